import CLibbpf
import BPFObject
import CLskelHost
import Glibc

/// One generation: owns every C allocation it hands to libbpf.
final class GenerationRun {
    let object: ObjectBytes
    /// Our reader's parse of `object`, if the caller has it.
    let elf: ELFFile?
    let name: String
    let profile: TargetProfile
    var cStrings: [UnsafeMutablePointer<CChar>] = []
    let logBuffer = UnsafeMutablePointer<lskel_buf>.allocate(capacity: 1)
    let target = UnsafeMutablePointer<lskel_target>.allocate(capacity: 1)
    var consumed: Set<String> = []

    init(object: ObjectBytes, name: String, profile: TargetProfile, elf: ELFFile? = nil) {
        self.object = object
        self.elf = elf
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
        var text = text
        let copy = text.withUTF8 { utf8 in
            let copy = UnsafeMutablePointer<CChar>.allocate(capacity: utf8.count + 1)
            if let base = utf8.baseAddress { memcpy(copy, base, utf8.count) }
            copy[utf8.count] = 0
            return copy
        }
        cStrings.append(copy)
        return copy
    }

    var log: [LibbpfMessage] {
        guard let data = logBuffer.pointee.data, logBuffer.pointee.len > 0 else { return [] }
        return LibbpfMessage.parse(bytes: UnsafeRawBufferPointer(start: data, count: logBuffer.pointee.len))
    }

    func run() throws -> GeneratedLoader {
        // The kernel config is handed over where it lies, for the run's duration
        // (read by length, only if libbpf opens it): a copy of a real config was
        // 25 page faults of every generation.
        var kconfig = profile.kconfig ?? ""
        return try kconfig.withUTF8 { text in
            if profile.kconfig != nil, let base = text.baseAddress {
                target.pointee.kconfig = UnsafeRawPointer(base).assumingMemoryBound(to: CChar.self)
                target.pointee.kconfig_len = text.count
            }
            defer {
                target.pointee.kconfig = nil
                target.pointee.kconfig_len = 0
            }
            return try runWithConfig()
        }
    }

    private func runWithConfig() throws -> GeneratedLoader {
        target.pointee.kernel_release = UnsafePointer(cString(profile.kernelRelease ?? ""))
        target.pointee.page_size = profile.pageSize
        lskel_log_capture_begin(logBuffer)
        lskel_target_activate(target)
        defer {
            lskel_target_deactivate()
            lskel_log_capture_end()
        }

        // The object as libbpf is to read it: rewritten where bpftool's libbpf
        // would read it otherwise, and kept alive until the object is closed.
        let opened = try InheritedDifferences.prepare(object, elf: elf)
        // libelf reads a native-endian image in place and never writes it, so libbpf
        // is given the bytes themselves (a copy of a 700 KB object was 170 page
        // faults of a job). A big-endian one libelf may convert where it lies: a copy.
        let nativeOrder = opened.count > 5 && opened[5] == 1  // EI_DATA: ELFDATA2LSB
        if nativeOrder {
            return try opened.withUnsafeBytes { try load(image: $0) }
        }
        let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: opened.count, alignment: 8)
        defer { copy.deallocate() }
        copy.copyMemory(from: UnsafeRawBufferPointer(opened.buffer))
        return try load(image: UnsafeRawBufferPointer(copy))
    }

    /// Opens `image` with libbpf, applies the profile and runs the gen-loader
    /// load; `image` must stay valid until this returns (libbpf keeps it until close).
    private func load(image: UnsafeRawBufferPointer) throws -> GeneratedLoader {
        var openOpts = bpf_object_open_opts()
        openOpts.sz = MemoryLayout<bpf_object_open_opts>.size
        openOpts.object_name = UnsafePointer(cString(name))
        guard let handle = bpf_object__open_mem(image.baseAddress, image.count, &openOpts) else {
            throw ObjectPolicy.openFailure(errno: errno, log: log)
        }
        defer { bpf_object__close(handle) }
        let obj = LibbpfObject(pointer: handle)

        try ObjectPolicy.checkOpened(obj, log: log)
        InheritedDifferences.adjust(obj, possibleCPUs: UInt32(profile.possibleCPUs))
        try ObjectPolicy.checkAutoloadOrder(obj)
        try InheritedDifferences.checkKconfig(profile.kconfig,
                                              externs: LibbpfBTF(obj.btf)?.layout(ofSection: ".kconfig").map(\.name) ?? [])
        try applyProfile(to: obj)

        var genOpts = gen_loader_opts()
        genOpts.sz = MemoryLayout<gen_loader_opts>.size
        if bpf_object__gen_loader(handle, &genOpts) != 0 {
            throw GenerationError(.generationFailed, "libbpf refused to enter gen-loader mode", libbpfLog: log.warnings)
        }
        if bpf_object__load(handle) != 0 {
            let code = errno
            try ObjectPolicy.checkGenerated(programCount: Int(lskel_target_loader_nr_progs()))
            throw ObjectPolicy.loadFailure(errno: code, log: log)
        }
        let programCount = Int(lskel_target_loader_nr_progs())
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
            maps: obj.maps.map(LoaderDescription.map),
            programs: LoaderDescription.programs(obj, records: GenProgramRecord.captured()),
            libbpfProgramCount: programCount,
            contextSize: renderer.contextSize,
            libbpfLog: finalLog,
            consumedProfile: consumed,
            kconfigLayout: LibbpfBTF(obj.btf)?.layout(ofSection: ".kconfig") ?? []
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
        let ksyms = LibbpfBTF(obj.btf).flatMap { btf in btf.dataSection(named: ".ksyms").map { btf.variables(of: $0).map(\.name) } } ?? []
        if !ksyms.isEmpty {
            // Every ksym resolves on the target at load time; libbpf only needs
            // to see it listed, at address 0, so no host address is baked in.
            let text = ksyms.map { "0000000000000000 T \($0)\n" }.joined()
            target.pointee.kallsyms = UnsafePointer(cString(text))
            target.pointee.kallsyms_len = text.utf8.count
        }
    }
}
