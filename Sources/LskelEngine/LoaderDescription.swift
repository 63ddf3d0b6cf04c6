import CLibbpf

/// What libbpf made of an object's maps and programs, for the manifest and the tests.
enum LoaderDescription {
    static func map(_ map: OpaquePointer) -> LoaderMap {
        var initialData: [UInt8] = []
        var size = 0
        if bpf_map__is_internal(map), let initial = bpf_map__initial_value(map, &size), size > 0 {
            initialData = Array(UnsafeRawBufferPointer(start: initial, count: size))
        }
        return LoaderMap(
            name: MapInfo.name(map),
            ident: MapInfo.ident(map),
            type: bpf_map__type(map).rawValue,
            typeName: String(optionalCString: libbpf_bpf_map_type_str(bpf_map__type(map))) ?? "unknown",
            keySize: bpf_map__key_size(map),
            valueSize: bpf_map__value_size(map),
            maxEntries: bpf_map__max_entries(map),
            flags: bpf_map__map_flags(map),
            isInternal: bpf_map__is_internal(map),
            isMmapped: MapInfo.mmappedIdent(map) != nil,
            innerMap: bpf_map__inner_map(map).map(MapInfo.name),
            initialData: initialData
        )
    }

    /// libbpf's name of the expected attach type; "none" where the program
    /// type has none and the attribute is left 0.
    static func attachTypeName(_ program: OpaquePointer) -> String {
        let type = bpf_program__expected_attach_type(program)
        if type.rawValue == 0 && bpf_program__type(program) != BPF_PROG_TYPE_CGROUP_SKB {
            return "none"
        }
        return String(optionalCString: libbpf_bpf_attach_type_str(type)) ?? "unknown"
    }

    static func programs(_ obj: LibbpfObject, records: [GenProgramRecord]) -> [LoaderProgram] {
        obj.programs.map { program in
            let name = String(optionalCString: bpf_program__name(program)) ?? ""
            let record = records.first { $0.name == name }
            return LoaderProgram(
                name: name,
                section: String(optionalCString: bpf_program__section_name(program)) ?? "",
                type: bpf_program__type(program).rawValue,
                typeName: String(optionalCString: libbpf_bpf_prog_type_str(bpf_program__type(program))) ?? "unknown",
                expectedAttachType: bpf_program__expected_attach_type(program).rawValue,
                expectedAttachTypeName: Self.attachTypeName(program),
                instructionCount: bpf_program__insn_cnt(program),
                attachTarget: record?.attachTarget,
                funcInfoCount: record?.funcInfoCount ?? 0,
                lineInfoCount: record?.lineInfoCount ?? 0,
                kernVersion: record?.kernVersion ?? 0,
                instructions: record?.instructions ?? [],
                relocations: (record?.relocations ?? []).sorted { $0.insnIndex < $1.insnIndex },
                autoload: bpf_program__autoload(program)
            )
        }
    }
}
