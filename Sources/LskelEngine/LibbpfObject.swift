import CLibbpf

/// Iteration helpers over an open libbpf object.
struct LibbpfObject {
    let pointer: OpaquePointer

    var maps: [OpaquePointer] {
        var result: [OpaquePointer] = []
        var map = bpf_object__next_map(pointer, nil)
        while let current = map {
            result.append(current)
            map = bpf_object__next_map(pointer, current)
        }
        return result
    }

    /// The programs bpftool lists: every libbpf program but a lone function in
    /// `.text`, which the libbpf bpftool embeds treats as a subprogram (see
    /// ``InheritedDifferences/adjust(_:possibleCPUs:)``).
    var programs: [OpaquePointer] {
        allPrograms.filter { !Self.isTextSubprogram($0) }
    }

    /// A function in `.text`: libbpf 1.1.2 lists one when it is the object's only function.
    static func isTextSubprogram(_ program: OpaquePointer) -> Bool {
        String(optionalCString: bpf_program__section_name(program)) == ".text"
    }

    /// Every program libbpf 1.1.2 lists.
    var allPrograms: [OpaquePointer] {
        var result: [OpaquePointer] = []
        var prog = bpf_object__next_program(pointer, nil)
        while let current = prog {
            result.append(current)
            prog = bpf_object__next_program(pointer, current)
        }
        return result
    }

    var btf: OpaquePointer? { bpf_object__btf(pointer) }
}

extension String {
    /// A Swift string from a C string that may be NULL.
    init?(optionalCString pointer: UnsafePointer<CChar>?) {
        guard let pointer else { return nil }
        self.init(cString: pointer)
    }
}

enum MapInfo {
    static func name(_ map: OpaquePointer) -> String {
        String(optionalCString: bpf_map__name(map)) ?? ""
    }

    /// bpftool's `get_map_ident`: the skeleton identifier of a map, if any.
    static func ident(_ map: OpaquePointer) -> String? {
        let name = name(map)
        guard bpf_map__is_internal(map) else { return name }
        let bytes = Array(name.utf8)
        for suffix in [".data", ".rodata", ".bss", ".kconfig"] {
            if let start = bytes.withUnsafeBufferPointer({ ByteSearch.firstIndex(of: Array(suffix.utf8), in: $0) }) {
                return SkeletonName.sanitize(String(decoding: bytes[(start + 1)...], as: UTF8.self))
            }
        }
        return nil
    }

    /// bpftool's `is_internal_mmapable_map`.
    static func mmappedIdent(_ map: OpaquePointer) -> String? {
        guard bpf_map__is_internal(map), bpf_map__map_flags(map) & UInt32(BPF_F_MMAPABLE) != 0 else { return nil }
        return ident(map)
    }
}
