import CLibbpf
import CLskelHost
import Glibc
import Synchronization

/// Turns a BPF ELF object into a light-skeleton loader the way
/// `bpftool gen skeleton -L` does, with every host read answered by a
/// ``TargetProfile``.
///
/// ```swift
/// let loader = try LoaderGenerator.generate(object: bytes, name: "maps_bpf", profile: TargetProfile())
/// print(loader.header)        // the .lskel.h text
/// loader.insns; loader.data   // the loader blobs
/// ```
///
/// libbpf keeps process-wide state (its print callback, the redirected host
/// inputs), so generations in one process run one at a time.
public enum LoaderGenerator {
    private static let serial = Mutex(())

    /// Generates the loader for `object` under skeleton `name`.
    public static func generate(object: [UInt8], name: String, profile: TargetProfile) throws -> GeneratedLoader {
        let name = try SkeletonName.validated(name)
        try profile.validate()
        guard object.count >= 4, object[0] == 0x7f, object[1] == 0x45, object[2] == 0x4c, object[3] == 0x46 else {
            throw GenerationError(.invalidObject, "the input is not an ELF file (\(object.count) bytes, no ELF magic)")
        }
        return try serial.withLock { _ in
            try GenerationRun(object: object, name: name, profile: profile).run()
        }
    }

    /// Generates the loader and its relocation manifest. The object is read
    /// with our own reader first, so malformed input is refused before libbpf
    /// sees it.
    public static func generateWithManifest(object: [UInt8], objectName: String, name: String,
                                            profile: TargetProfile) throws -> (loader: GeneratedLoader, manifest: Manifest) {
        let summary = try ObjectReader.summary(object)
        let loader = try generate(object: object, name: name, profile: profile)
        let manifest = try ManifestBuilder.build(objectName: objectName, object: object, loader: loader,
                                                 profile: profile, summary: summary)
        return (loader, manifest)
    }

    /// Runs `body` with libbpf to itself (no generation in flight), its
    /// messages captured; `body` reads them through its argument.
    static func withLibbpf<T>(_ body: (() -> [LibbpfMessage]) throws -> T) rethrows -> T {
        try serial.withLock { _ in
            let buffer = UnsafeMutablePointer<lskel_buf>.allocate(capacity: 1)
            buffer.initialize(to: lskel_buf())
            lskel_log_capture_begin(buffer)
            defer {
                lskel_log_capture_end()
                lskel_buf_free(buffer)
                buffer.deallocate()
            }
            return try body {
                guard let data = buffer.pointee.data else { return [] }
                return LibbpfMessage.parse(bytes: UnsafeRawBufferPointer(start: data, count: buffer.pointee.len))
            }
        }
    }
}

/// One generation: owns every C allocation it hands to libbpf.
private final class GenerationRun {
    let object: [UInt8]
    let name: String
    let profile: TargetProfile
    var cStrings: [UnsafeMutablePointer<CChar>] = []
    let logBuffer = UnsafeMutablePointer<lskel_buf>.allocate(capacity: 1)
    let target = UnsafeMutablePointer<lskel_target>.allocate(capacity: 1)
    var consumed: Set<String> = []

    init(object: [UInt8], name: String, profile: TargetProfile) {
        self.object = object
        self.name = name
        self.profile = profile
        logBuffer.initialize(to: lskel_buf())
        target.initialize(to: lskel_target())
    }

    deinit {
        lskel_buf_free(logBuffer)
        logBuffer.deallocate()
        target.deallocate()
        cStrings.forEach { $0.deallocate() }
    }

    /// A NUL-terminated copy of `text` that lives as long as this run.
    func cString(_ text: String) -> UnsafeMutablePointer<CChar> {
        let utf8 = Array(text.utf8)
        let copy = UnsafeMutablePointer<CChar>.allocate(capacity: utf8.count + 1)
        for (index, byte) in utf8.enumerated() { copy[index] = CChar(bitPattern: byte) }
        copy[utf8.count] = 0
        cStrings.append(copy)
        return copy
    }

    var log: [LibbpfMessage] {
        guard let data = logBuffer.pointee.data, logBuffer.pointee.len > 0 else { return [] }
        return LibbpfMessage.parse(bytes: UnsafeRawBufferPointer(start: data, count: logBuffer.pointee.len))
    }

    func run() throws -> GeneratedLoader {
        target.pointee.kernel_release = UnsafePointer(cString(profile.kernelRelease ?? ""))
        if let kconfig = profile.kconfig {
            target.pointee.kconfig = UnsafePointer(cString(kconfig))
            target.pointee.kconfig_len = kconfig.utf8.count
        }
        target.pointee.page_size = profile.pageSize
        lskel_log_capture_begin(logBuffer)
        lskel_target_activate(target)
        defer {
            lskel_target_deactivate()
            lskel_log_capture_end()
        }

        // libbpf keeps a reference to the object bytes until the object is closed:
        // a private copy, rewritten where bpftool's libbpf would read it otherwise.
        let opened = try InheritedDifferences.prepare(object)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: opened.count, alignment: 8)
        defer { buffer.deallocate() }
        buffer.copyBytes(from: opened)

        var openOpts = bpf_object_open_opts()
        openOpts.sz = MemoryLayout<bpf_object_open_opts>.size
        openOpts.object_name = UnsafePointer(cString(name))
        guard let handle = bpf_object__open_mem(buffer.baseAddress, opened.count, &openOpts) else {
            throw ObjectPolicy.openFailure(errno: errno, log: log)
        }
        defer { bpf_object__close(handle) }
        let obj = LibbpfObject(pointer: handle)

        try ObjectPolicy.checkOpened(obj, log: log)
        InheritedDifferences.adjust(obj, possibleCPUs: UInt32(profile.possibleCPUs))
        try ObjectPolicy.checkAutoloadOrder(obj)
        try InheritedDifferences.checkKconfig(profile.kconfig,
                                              externs: Self.dataSectionLayout(btf: obj.btf, named: ".kconfig").map(\.name))
        try applyProfile(to: obj)

        var genOpts = gen_loader_opts()
        genOpts.sz = MemoryLayout<gen_loader_opts>.size
        if bpf_object__gen_loader(handle, &genOpts) != 0 {
            throw GenerationError(.generationFailed, "libbpf refused to enter gen-loader mode", libbpfLog: log.warnings)
        }
        if bpf_object__load(handle) != 0 {
            let code = errno
            try ObjectPolicy.checkGenerated(programCount: Int(lskel_target_gen_prog_cnt()))
            throw ObjectPolicy.loadFailure(errno: code, log: log)
        }
        let programCount = Int(lskel_target_gen_prog_cnt())
        try ObjectPolicy.checkGenerated(programCount: programCount)
        let emitted = Array(UnsafeRawBufferPointer(start: genOpts.insns, count: Int(genOpts.insns_sz)))
        let insns = LoaderFixups.apply(emitted)
        let data = Array(UnsafeRawBufferPointer(start: genOpts.data, count: Int(genOpts.data_sz)))

        let renderer = HeaderRenderer(object: obj, name: name, pageSize: profile.pageSize)
        let header = try renderer.render(insns: insns, data: data)
        if renderer.usesPageSize { consumed.insert("page_size") }
        // libbpf writes the release's version code into every program's load attributes.
        if programCount > 0 && profile.kernelRelease != nil {
            consumed.insert("kernel_release")
        }
        let finalLog = log
        if finalLog.contains(where: { $0.text.includes("extern (kcfg) 'CONFIG_") }) {
            consumed.insert("kconfig")
        }

        return GeneratedLoader(
            name: name,
            insns: insns,
            data: data,
            header: header,
            maps: obj.maps.map(describe(map:)),
            programs: describePrograms(obj, records: GenProgramRecord.captured()),
            libbpfProgramCount: programCount,
            libbpfMapCount: Int(lskel_target_gen_map_cnt()),
            contextSize: renderer.contextSize,
            libbpfLog: finalLog,
            consumedProfile: consumed,
            kconfigLayout: Self.dataSectionLayout(btf: obj.btf, named: ".kconfig")
        )
    }

    /// Puts the profile's values where libbpf would otherwise read the host.
    func applyProfile(to obj: LibbpfObject) throws {
        var unknown = Set(profile.maxEntries.keys)
        for map in obj.maps {
            let mapName = MapInfo.name(map)
            if let value = profile.maxEntries[mapName] {
                unknown.remove(mapName)
                if bpf_map__is_internal(map) {
                    throw GenerationError(.invalidProfile, "map '\(mapName)' holds global data; its size comes from the object and cannot be overridden")
                }
                _ = bpf_map__set_max_entries(map, value)
                consumed.insert("max_entries")
            } else if bpf_map__type(map) == BPF_MAP_TYPE_PERF_EVENT_ARRAY && bpf_map__max_entries(map) == 0 {
                _ = bpf_map__set_max_entries(map, UInt32(profile.possibleCPUs))
                consumed.insert("cpus")
            }
            if bpf_map__type(map) == BPF_MAP_TYPE_RINGBUF { consumed.insert("page_size") }
        }
        if let first = unknown.sorted().first {
            let names = obj.maps.map(MapInfo.name).joined(separator: ", ")
            throw GenerationError(.unknownMap, "max_entries override names map '\(first)', which the object does not define (maps: \(names))")
        }
        let ksyms = Self.ksymNames(btf: obj.btf)
        if !ksyms.isEmpty {
            // Every ksym resolves on the target at load time; libbpf only needs
            // to see it listed, at address 0, so no host address is baked in.
            let text = ksyms.map { "0000000000000000 T \($0)\n" }.joined()
            target.pointee.kallsyms = UnsafePointer(cString(text))
            target.pointee.kallsyms_len = text.utf8.count
        }
    }

    /// The variables of a DATASEC with the offsets libbpf assigned.
    static func dataSectionLayout(btf: OpaquePointer?, named sectionName: String) -> [DataSectionVariable] {
        guard let btf else { return [] }
        let count = btf__type_cnt(btf)
        var id: UInt32 = 1
        while id < count {
            defer { id += 1 }
            guard let type = btf__type_by_id(btf, id), btf_is_datasec(type),
                  String(optionalCString: btf__name_by_offset(btf, type.pointee.name_off)) == sectionName,
                  let infos = btf_var_secinfos(type)
            else { continue }
            var result: [DataSectionVariable] = []
            for index in 0..<Int(btf_vlen(type)) {
                let info = infos[index]
                guard let variable = btf__type_by_id(btf, info.type), btf_is_var(variable),
                      let name = String(optionalCString: btf__name_by_offset(btf, variable.pointee.name_off))
                else { continue }
                result.append(DataSectionVariable(name: name, offset: Int(info.offset), size: Int(info.size),
                                                  typeID: variable.pointee.type))
            }
            return result
        }
        return []
    }

    /// Names of the variables in the object's `.ksyms` section.
    static func ksymNames(btf: OpaquePointer?) -> [String] {
        guard let btf else { return [] }
        var names: [String] = []
        let count = btf__type_cnt(btf)
        var id: UInt32 = 1
        while id < count {
            defer { id += 1 }
            guard let type = btf__type_by_id(btf, id), btf_is_datasec(type),
                  String(optionalCString: btf__name_by_offset(btf, type.pointee.name_off)) == ".ksyms"
            else { continue }
            guard let vars = btf_var_secinfos(type) else { continue }
            for index in 0..<Int(btf_vlen(type)) {
                guard let variable = btf__type_by_id(btf, vars[index].type), btf_is_var(variable),
                      let varName = String(optionalCString: btf__name_by_offset(btf, variable.pointee.name_off))
                else { continue }
                names.append(varName)
            }
        }
        return names
    }

    func describe(map: OpaquePointer) -> LoaderMap {
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

    func describePrograms(_ obj: LibbpfObject, records: [GenProgramRecord]) -> [LoaderProgram] {
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
