/// A BPF program or subprogram: an STT_FUNC symbol in an executable section.
public struct ProgramInfo: Sendable, Equatable {
    /// Symbol name.
    public var name: String
    /// Name of the section that holds it (e.g. `tracepoint/syscalls/sys_enter_openat`, `.text`).
    public var sectionName: String
    /// Section index.
    public var sectionIndex: Int
    /// Byte offset in the section.
    public var offset: UInt64
    /// Size in 8-byte instruction slots.
    public var instructionCount: UInt64
    /// Whether the symbol binding is STB_GLOBAL.
    public var isGlobal: Bool
}

/// A BTF-defined map from the `.maps` section.
public struct MapDefinition: Sendable, Equatable {
    /// Variable name.
    public var name: String
    /// Byte offset in `.maps` (from the ELF symbol: clang leaves DATASEC offsets at 0).
    public var sectionOffset: UInt32
    /// `type` (enum bpf_map_type), if given.
    public var type: UInt32?
    /// `max_entries`, if given.
    public var maxEntries: UInt32?
    /// Key size: `key_size`, or the size of the `key` type.
    public var keySize: UInt64?
    /// Value size: `value_size`, or the size of the `value` type.
    public var valueSize: UInt64?
    /// BTF type ID of `key`, if given as a type.
    public var keyTypeID: UInt32?
    /// BTF type ID of `value`, if given as a type.
    public var valueTypeID: UInt32?
    /// `map_flags`, if given.
    public var mapFlags: UInt32?
    /// `pinning`, if given (1 = LIBBPF_PIN_BY_NAME).
    public var pinning: UInt32?
    /// `numa_node`, if given.
    public var numaNode: UInt32?
    /// `map_extra`, if given.
    public var mapExtra: UInt32?
    /// For map-in-map / prog-array `values`: BTF type ID of the pointee
    /// (the inner map definition struct, or the function prototype).
    public var valuesTypeID: UInt32?
    /// Any other `__uint`-style members, by name.
    public var otherAttributes: [String: UInt32]
    /// Static `.values = { [slot] = &sym }` initialisers, from the `.rel.maps`
    /// entries that fall inside this map's `values` array: slot -> symbol name.
    public var valueInitializers: [UInt32: String] = [:]
    /// Byte offset of the `values` member inside the definition, if any.
    public var valuesMemberOffset: UInt32?
    /// Size in bytes of the definition variable in `.maps`.
    public var sectionSize: UInt32 = 0

    /// The `BPF_MAP_TYPE_*` name of `type`, if known.
    public var typeName: String? {
        guard let t = type, Int(t) < MapDefinition.typeNames.count else { return nil }
        return MapDefinition.typeNames[Int(t)]
    }

    /// `enum bpf_map_type` names, by value.
    public static let typeNames: [String] = [
        "UNSPEC", "HASH", "ARRAY", "PROG_ARRAY", "PERF_EVENT_ARRAY", "PERCPU_HASH", "PERCPU_ARRAY",
        "STACK_TRACE", "CGROUP_ARRAY", "LRU_HASH", "LRU_PERCPU_HASH", "LPM_TRIE", "ARRAY_OF_MAPS",
        "HASH_OF_MAPS", "DEVMAP", "SOCKMAP", "CPUMAP", "XSKMAP", "SOCKHASH", "CGROUP_STORAGE",
        "REUSEPORT_SOCKARRAY", "PERCPU_CGROUP_STORAGE", "QUEUE", "STACK", "SK_STORAGE", "DEVMAP_HASH",
        "STRUCT_OPS", "RINGBUF", "INODE_STORAGE", "TASK_STORAGE", "BLOOM_FILTER", "USER_RINGBUF",
        "CGRP_STORAGE", "ARENA",
    ].map { "BPF_MAP_TYPE_" + $0 }
}

/// Everything the reader extracts from one BPF object: the parsed ELF, BTF
/// and BTF.ext, plus programs, maps and per-section counts.
public struct ObjectSummary: Sendable {
    /// The ELF file.
    public let elf: ELFFile
    /// `.BTF`, if present.
    public let btf: BTF?
    /// `.BTF.ext`, if present (requires `.BTF`).
    public let btfExt: BTFExt?
    /// Programs and subprograms, in symbol table order.
    public let programs: [ProgramInfo]
    /// BTF-defined maps from `.maps`, in DATASEC order.
    public let maps: [MapDefinition]
    /// Legacy `struct bpf_map_def` maps from the `maps` section (one per
    /// symbol there; fields type, key_size, value_size, max_entries, map_flags).
    /// libbpf 1.0 no longer loads these.
    public let legacyMaps: [MapDefinition]
    /// Number of ELF relocation entries per target section name.
    public let relocationCounts: [String: Int]
    /// Number of CO-RE relocation records per section name.
    public let coreReloCounts: [String: Int]
    /// Decoded instructions per executable section name.
    public let instructions: [String: [DecodedInstruction]]

    /// The `license` string.
    public var license: String? { elf.license }
    /// The `version` u32.
    public var kernelVersion: UInt32? { elf.kernelVersion }

    /// Reads and validates a whole object.
    public init(bytes: [UInt8]) throws(ObjectReadError) {
        try self.init(object: ObjectBytes(bytes))
    }

    /// Reads and validates a whole object, in place.
    public init(object: ObjectBytes) throws(ObjectReadError) {
        let elf = try ELFFile(object: object)
        self.elf = elf
        var btf: BTF? = nil
        if let s = elf.section(named: ".BTF") {
            btf = try BTF(section: try elf.reader(for: s), byteOrder: elf.byteOrder)
        }
        self.btf = btf
        if let s = elf.section(named: ".BTF.ext"), let btf {
            btfExt = try BTFExt(section: try elf.reader(for: s), btf: btf)
        } else {
            btfExt = nil
        }

        var progs: [ProgramInfo] = []
        for sym in elf.symbols where sym.type == ELF.STT_FUNC {
            let idx = Int(sym.sectionIndex)
            guard idx > 0, idx < elf.sections.count, elf.sections[idx].isExecutable else { continue }
            progs.append(ProgramInfo(name: sym.name, sectionName: elf.sections[idx].name, sectionIndex: idx,
                                     offset: sym.value, instructionCount: sym.size / 8,
                                     isGlobal: sym.binding == ELF.STB_GLOBAL))
        }
        programs = progs

        var insns: [String: [DecodedInstruction]] = [:]
        for s in elf.sections where s.isExecutable && s.type != ELF.SHT_NOBITS && s.size > 0 {
            insns[s.name] = try decodeProgram(try elf.reader(for: s), section: s.name)
        }
        instructions = insns

        var legacy: [MapDefinition] = []
        if let ms = elf.section(named: "maps") {
            let r = try elf.reader(for: ms)
            for sym in elf.symbols where Int(sym.sectionIndex) == ms.index && sym.type != ELF.STT_SECTION && !sym.name.isEmpty {
                guard sym.value <= UInt64(r.count), sym.size <= UInt64(r.count) - sym.value, sym.size >= 16 else {
                    throw .badMap(name: sym.name, reason: "legacy map definition outside 'maps' or shorter than 16 bytes")
                }
                let o = Int(sym.value)
                var m = MapDefinition(name: sym.name, sectionOffset: UInt32(truncatingIfNeeded: sym.value), otherAttributes: [:])
                m.sectionSize = UInt32(truncatingIfNeeded: sym.size)
                m.type = try r.u32(at: o)
                m.keySize = UInt64(try r.u32(at: o + 4))
                m.valueSize = UInt64(try r.u32(at: o + 8))
                m.maxEntries = try r.u32(at: o + 12)
                if sym.size >= 20 { m.mapFlags = try r.u32(at: o + 16) }
                legacy.append(m)
            }
        }
        legacyMaps = legacy

        var relCounts: [String: Int] = [:]
        for r in elf.relocationSections { relCounts[r.targetName, default: 0] += r.count }
        relocationCounts = relCounts

        var coreCounts: [String: Int] = [:]
        for s in btfExt?.coreRelos ?? [] { coreCounts[s.sectionName, default: 0] += s.records.count }
        coreReloCounts = coreCounts

        if let btf, let ds = btf.dataSection(named: ".maps") {
            var list = try ds.variables.map { (v) throws(ObjectReadError) in try Self.readMap(btf, v) }
            if let mapsSection = elf.section(named: ".maps") {
                // clang leaves DATASEC offsets (and size) at 0 in object files; the
                // real placement is the ELF symbol's st_value, as libbpf fixes it up.
                for i in list.indices {
                    if let sym = elf.symbols.first(where: {
                        Int($0.sectionIndex) == mapsSection.index && $0.name == list[i].name && $0.type != ELF.STT_SECTION
                    }) {
                        list[i].sectionOffset = UInt32(truncatingIfNeeded: sym.value)
                        if list[i].sectionSize == 0 { list[i].sectionSize = UInt32(truncatingIfNeeded: sym.size) }
                    }
                }
                let rels = elf.relocations(for: mapsSection.index)
                for i in list.indices {
                    guard let vo = list[i].valuesMemberOffset else { continue }
                    let start = UInt64(list[i].sectionOffset) + UInt64(vo)
                    let end = UInt64(list[i].sectionOffset) + UInt64(list[i].sectionSize)
                    for r in rels where r.offset >= start && r.offset < end {
                        guard (r.offset - start) % 8 == 0 else {
                            throw .badMap(name: list[i].name, reason: "misaligned 'values' relocation at \(r.offset)")
                        }
                        let sym = elf.symbols[Int(r.symbolIndex)] // index validated by ELFFile
                        list[i].valueInitializers[UInt32(truncatingIfNeeded: (r.offset - start) / 8)] = sym.name
                    }
                }
            }
            maps = list
        } else {
            maps = []
        }
    }

    static func readMap(_ btf: BTF, _ v: BTFVarSecInfo) throws(ObjectReadError) -> MapDefinition {
        guard case let .variable(name, varType, _)? = btf.type(v.type) else {
            throw .badMap(name: "#\(v.type)", reason: ".maps entry is not a VAR")
        }
        let defID = btf.skipModifiers(varType)
        guard case let .structure(_, _, members)? = btf.type(defID) else {
            throw .badMap(name: name, reason: "definition is not a struct")
        }
        var m = MapDefinition(name: name, sectionOffset: v.offset, otherAttributes: [:])
        m.sectionSize = v.size
        for member in members {
            let mt = btf.skipModifiers(member.type)
            switch member.name {
            case "key", "value":
                guard case let .pointer(target)? = btf.type(mt) else {
                    throw .badMap(name: name, reason: "'\(member.name)' is not a pointer")
                }
                let size = try btf.resolveSize(of: target)
                if member.name == "key" { m.keyTypeID = target; m.keySize = size } else { m.valueTypeID = target; m.valueSize = size }
            case "values":
                guard case let .array(elem, _, _)? = btf.type(mt),
                      case let .pointer(target)? = btf.type(btf.skipModifiers(elem)) else {
                    throw .badMap(name: name, reason: "'values' is not an array of pointers")
                }
                m.valuesTypeID = btf.skipModifiers(target)
                m.valuesMemberOffset = member.bitOffset / 8
            default:
                guard case let .pointer(target)? = btf.type(mt),
                      case let .array(_, _, n)? = btf.type(btf.skipModifiers(target)) else {
                    throw .badMap(name: name, reason: "'\(member.name)' is not declared as int (*\(member.name))[N]")
                }
                switch member.name {
                case "type": m.type = n
                case "max_entries": m.maxEntries = n
                case "key_size": m.keySize = UInt64(n)
                case "value_size": m.valueSize = UInt64(n)
                case "map_flags": m.mapFlags = n
                case "pinning": m.pinning = n
                case "numa_node": m.numaNode = n
                case "map_extra": m.mapExtra = n
                default: m.otherAttributes[member.name] = n
                }
            }
        }
        return m
    }
}
