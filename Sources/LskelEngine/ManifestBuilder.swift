import BPFObject

/// Builds the relocation manifest of a generated loader.
///
/// The final instructions and the CO-RE/ksym/kfunc records come from what
/// libbpf handed the loader generator; origins, names and types come from our
/// own reader of the object. Where a program calls subprograms, the layout
/// libbpf produced (the program, then each subprogram appended once) is
/// reconstructed by following the calls in the final instructions back to
/// the functions of the object.
///
/// ```swift
/// let manifest = try ManifestBuilder.build(objectName: "x.bpf.o", object: bytes, loader: loader, profile: profile)
/// ```
public enum ManifestBuilder {
    public static let lskeldVersion = LskelVersion.lskel
    public static let libbpfVersion = LskelVersion.libbpf
    public static let reference = LskelVersion.reference

    /// CO-RE relocation kinds by `enum bpf_core_relo_kind` name, lower-cased without the prefix.
    static let coreKindNames = [
        "field_byte_offset", "field_byte_size", "field_exists", "field_signed", "field_lshift_u64", "field_rshift_u64",
        "local_type_id", "target_type_id", "type_exists", "type_size", "enumval_exists", "enumval_value", "type_matches",
    ]

    static func coreKindName(_ raw: UInt32) -> String {
        Int(raw) < coreKindNames.count ? coreKindNames[Int(raw)] : "unknown"
    }


    /// Builds the manifest. `objectDigest` and `kconfigDigest` are the SHA-256 (hex) of
    /// the object and of the profile's kernel config when the caller has them
    /// already (computed on another thread); otherwise they are computed here.
    public static func build(objectName: String, object: [UInt8], loader: GeneratedLoader, profile: TargetProfile,
                             summary: ObjectSummary? = nil, objectDigest: String? = nil,
                             kconfigDigest: String? = nil) throws -> Manifest {
        try build(objectName: objectName, object: ObjectBytes(object), loader: loader, profile: profile,
                  summary: summary, objectDigest: objectDigest, kconfigDigest: kconfigDigest)
    }

    /// Builds the manifest of `object`, read in place.
    public static func build(objectName: String, object: ObjectBytes, loader: GeneratedLoader, profile: TargetProfile,
                             summary: ObjectSummary? = nil, objectDigest: String? = nil,
                             kconfigDigest: String? = nil) throws -> Manifest {
        let summary = try summary ?? ObjectReader.summary(object)
        let kconfigMapIndex = loader.maps.firstIndex { $0.isInternal && $0.ident == "kconfig" }
        let kconfigValues = kconfigValueTexts(loader: loader, summary: summary, kconfigMapIndex: kconfigMapIndex)
        let weakSymbols = Set(summary.elf.symbols.filter { $0.binding == ELF.STB_WEAK }.map(\.name))

        let programs = try programRecords(loader: loader, summary: summary, kconfigMapIndex: kconfigMapIndex, kconfigValues: kconfigValues)
        let externs = externRecords(loader: loader, summary: summary, kconfigValues: kconfigValues, weakSymbols: weakSymbols)
        return Manifest(
            object: Manifest.ObjectInfo(
                name: objectName, sha256: objectDigest ?? SHA256.hex(object), size: object.count,
                byteOrder: summary.elf.byteOrder == .big ? "big" : "little",
                license: summary.license, kernelVersion: summary.kernelVersion,
                btfTypeCount: summary.btf?.typeCount ?? 0),
            generator: Manifest.GeneratorInfo(lskeldVersion: lskeldVersion, libbpfVersion: libbpfVersion, reference: reference),
            profile: profileRecord(profile, loader: loader, externs: externs, kconfigDigest: kconfigDigest),
            loader: loaderInfo(loader),
            maps: mapRecords(loader: loader, profile: profile, summary: summary),
            programs: programs,
            externs: externs,
            warnings: warnings(loader: loader, profile: profile)
        )
    }

    /// What building the manifest would refuse, without the manifest: each loaded program's
    /// layout and relocations traced back to the object (``build`` refuses with the same
    /// errors). For a run that writes no manifest, which then needs no digest either.
    public static func check(loader: GeneratedLoader, summary: ObjectSummary) throws {
        let kconfigMapIndex = loader.maps.firstIndex { $0.isInternal && $0.ident == "kconfig" }
        let kconfigValues = kconfigValueTexts(loader: loader, summary: summary, kconfigMapIndex: kconfigMapIndex)
        _ = try programRecords(loader: loader, summary: summary, kconfigMapIndex: kconfigMapIndex, kconfigValues: kconfigValues)
    }

    // MARK: sections of the manifest

    static func programRecords(loader: GeneratedLoader, summary: ObjectSummary, kconfigMapIndex: Int?,
                               kconfigValues: [String: String]) throws -> [Manifest.ProgramRecord] {
        try loader.programs.map { program in
            guard program.autoload else { return ProgramLayout.notLoaded(program) }
            return try ProgramLayout(program: program, summary: summary).record(
                loader: loader, summary: summary, kconfigMapIndex: kconfigMapIndex, kconfigValues: kconfigValues)
        }
    }

    static func loaderInfo(_ loader: GeneratedLoader) -> Manifest.LoaderInfo {
        let identified = loader.maps.filter { $0.ident != nil }
        let mapDescriptors = identified.enumerated().map { index, map in
            Manifest.Descriptor(name: map.ident ?? map.name, index: index, offset: LoaderContextLayout.mapOffset(index))
        }
        let programDescriptors = loader.programs.enumerated().map { index, program in
            Manifest.Descriptor(name: program.name, index: index, offset: LoaderContextLayout.programOffset(index, maps: identified.count))
        }
        return Manifest.LoaderInfo(
            skeletonName: loader.name, insnsSize: loader.insns.count, insnsSha256: SHA256.hex(loader.insns),
            dataSize: loader.data.count, dataSha256: SHA256.hex(loader.data),
            headerSha256: SHA256.hex(Array(loader.header.utf8)), ctxSize: loader.contextSize,
            mapDescriptors: mapDescriptors, programDescriptors: programDescriptors)
    }

    static func mapRecords(loader: GeneratedLoader, profile: TargetProfile, summary: ObjectSummary) -> [Manifest.MapRecord] {
        let definitions = Dictionary(summary.maps.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        return loader.maps.enumerated().map { index, map in
            var source = "object"
            if profile.maxEntries[map.name] != nil {
                source = "override"
            } else if map.type == BPFMapType.perfEventArray.rawValue, (definitions[map.name]?.maxEntries ?? 0) == 0 {
                source = "profile"  // perf-event array sized from the CPU count
            }
            var section: String? = nil
            if map.isInternal, let ident = map.ident, let btf = summary.btf {
                section = btf.dataSectionNames.first { LibbpfBTF.ident(ofSection: $0) == ident }
            }
            let readOnly = map.flags & BPFMapFlag.rdonlyProg != 0
            return Manifest.MapRecord(
                name: map.name, ident: map.ident, index: index, type: map.type, typeName: map.typeName,
                keySize: map.keySize, valueSize: map.valueSize, maxEntries: map.maxEntries, maxEntriesSource: source,
                flags: map.flags, innerMap: map.innerMap, initialDataSection: section,
                frozen: map.isInternal && readOnly, mmapable: map.flags & BPFMapFlag.mmapable != 0)
        }
    }

    static func profileRecord(_ profile: TargetProfile, loader: GeneratedLoader, externs: [Manifest.ExternRecord],
                              kconfigDigest: String? = nil) -> Manifest.ProfileRecord {
        let consumed = loader.consumedProfile
        func source(_ isDefault: Bool) -> String { isDefault ? "default" : "request" }
        // A digest given stands for the config text even when the text was not read.
        let kconfigDigest = kconfigDigest ?? profile.kconfig.map { SHA256.hex($0.utf8) }
        var configValues: [String: String] = [:]
        for extern in externs where extern.kind == "kconfig" && extern.name.hasPrefix("CONFIG_") {
            configValues[extern.name] = extern.value ?? ""
        }
        return Manifest.ProfileRecord(
            kernelRelease: .init(value: profile.kernelRelease, consumed: consumed.contains("kernel_release"),
                                 source: source(profile.kernelRelease == nil)),
            kernelVersionCode: profile.kernelVersionCode,
            cpus: .init(value: profile.possibleCPUs, consumed: consumed.contains("cpus"),
                        source: source(profile.possibleCPUs == TargetProfile.defaultPossibleCPUs)),
            pageSize: .init(value: profile.pageSize, consumed: consumed.contains("page_size"),
                            source: source(profile.pageSize == TargetProfile.defaultPageSize)),
            kconfig: .init(value: kconfigDigest, consumed: consumed.contains("kconfig"), source: source(kconfigDigest == nil)),
            kconfigValues: configValues,
            maxEntries: .init(value: profile.maxEntries, consumed: consumed.contains("max_entries"),
                              source: source(profile.maxEntries.isEmpty)))
    }

    static func externRecords(loader: GeneratedLoader, summary: ObjectSummary, kconfigValues: [String: String],
                              weakSymbols: Set<String>) -> [Manifest.ExternRecord] {
        var records: [Manifest.ExternRecord] = []
        let resolvedByLog = Set(loader.libbpfLog.compactMap { message -> String? in
            guard message.text.includes("extern (kcfg) '"), message.text.includes("': set to") else { return nil }
            return ObjectPolicy.quoted(after: "'", in: message.text)
        })
        for variable in loader.kconfigLayout {
            let resolution: String
            if variable.name.hasPrefix("LINUX_") {
                resolution = "libbpf"
            } else if resolvedByLog.contains(variable.name) {
                resolution = "profile"
            } else {
                resolution = "default"
            }
            records.append(Manifest.ExternRecord(name: variable.name, kind: "kconfig", weak: weakSymbols.contains(variable.name),
                                                 typed: nil, value: kconfigValues[variable.name], resolution: resolution))
        }
        var seen: Set<String> = []
        for program in loader.programs {
            for relocation in program.relocations {
                switch relocation {
                case .ksym(_, let name, let weak, let typeless) where seen.insert("ksym:" + name).inserted:
                    records.append(Manifest.ExternRecord(name: name, kind: "ksym", weak: weak, typed: !typeless,
                                                         value: nil, resolution: "load_time"))
                case .kfunc(_, let name, let weak) where seen.insert("kfunc:" + name).inserted:
                    records.append(Manifest.ExternRecord(name: name, kind: "kfunc", weak: weak, typed: true,
                                                         value: nil, resolution: "load_time"))
                default:
                    break
                }
            }
        }
        return records
    }

    static func warnings(loader: GeneratedLoader, profile: TargetProfile) -> [Manifest.Warning] {
        var warnings: [Manifest.Warning] = []
        for map in loader.maps where map.type == BPFMapType.perfEventArray.rawValue && profile.maxEntries[map.name] == nil && loader.consumedProfile.contains("cpus") {
            warnings.append(Manifest.Warning(code: "perf-array-sized-from-profile",
                message: "map '\(map.name)' (perf_event_array) sets no max_entries; it is sized to \(map.maxEntries) from the profile's CPU count, which must cover the target's possible CPUs"))
        }
        if profile.kernelRelease == nil && loader.programs.contains(where: { $0.typeName == "kprobe" }) {
            warnings.append(Manifest.Warning(code: "kern-version-zero",
                message: "no kernel release in the profile: kprobe programs carry kern_version 0, which kernels before 5.0 reject"))
        }
        return warnings
    }

    /// The text of each kconfig extern's value, read from the kconfig map as the loader sets it.
    static func kconfigValueTexts(loader: GeneratedLoader, summary: ObjectSummary, kconfigMapIndex: Int?) -> [String: String] {
        guard let index = kconfigMapIndex else { return [:] }
        let data = loader.maps[index].initialData
        var values: [String: String] = [:]
        for variable in loader.kconfigLayout {
            guard variable.offset >= 0, variable.size > 0, variable.offset + variable.size <= data.count else { continue }
            let bytes = Array(data[variable.offset ..< variable.offset + variable.size])
            values[variable.name] = KconfigValue.text(bytes, typeID: variable.typeID, btf: summary.btf)
        }
        return values
    }
}

/// Reading objects with our reader, with its errors as generation errors.
public enum ObjectReader {
    public static func summary(_ object: [UInt8]) throws -> ObjectSummary {
        try summary(ObjectBytes(object))
    }

    /// Our reader's summary of `object`, read in place.
    public static func summary(_ object: ObjectBytes) throws -> ObjectSummary {
        do {
            return try ObjectSummary(object: object)
        } catch {
            throw GenerationError(.invalidObject, "the object is malformed: \(error)")
        }
    }
}
