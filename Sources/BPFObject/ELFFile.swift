/// A section header of an ELF64 file.
public struct ELFSection: Sendable, Equatable {
    /// Index in the section header table.
    public var index: Int
    /// Name from the section header string table.
    public var name: String
    /// `sh_type` (e.g. 1 = PROGBITS, 2 = SYMTAB, 8 = NOBITS, 9 = REL).
    public var type: UInt32
    /// `sh_flags` (e.g. 0x4 = SHF_EXECINSTR).
    public var flags: UInt64
    /// `sh_offset`: file offset of the section contents.
    public var offset: UInt64
    /// `sh_size`: size in bytes.
    public var size: UInt64
    /// `sh_link`.
    public var link: UInt32
    /// `sh_info`.
    public var info: UInt32
    /// `sh_addralign`.
    public var addressAlignment: UInt64
    /// `sh_entsize`.
    public var entrySize: UInt64

    /// Whether the section holds instructions (SHF_EXECINSTR).
    public var isExecutable: Bool { flags & ELF.SHF_EXECINSTR != 0 }
}

/// An entry of the ELF symbol table.
public struct ELFSymbol: Sendable, Equatable {
    /// Index in `.symtab`.
    public var index: Int
    /// Name from the symbol's string table.
    public var name: String
    /// `st_value` (for BPF objects: byte offset in the section).
    public var value: UInt64
    /// `st_size` in bytes.
    public var size: UInt64
    /// `ELF64_ST_TYPE` (0 NOTYPE, 1 OBJECT, 2 FUNC, 3 SECTION, 4 FILE).
    public var type: UInt8
    /// `ELF64_ST_BIND` (0 LOCAL, 1 GLOBAL, 2 WEAK).
    public var binding: UInt8
    /// `ELF64_ST_VISIBILITY` (0 DEFAULT, 1 INTERNAL, 2 HIDDEN, 3 PROTECTED).
    public var visibility: UInt8
    /// `st_shndx` (0 UNDEF, 0xfff1 ABS, 0xfff2 COMMON).
    public var sectionIndex: UInt16

}

/// One relocation entry (`Elf64_Rel` or `Elf64_Rela`).
public struct ELFRelocation: Sendable, Equatable {
    /// `r_offset`: byte offset in the target section.
    public var offset: UInt64
    /// `ELF64_R_SYM(r_info)`, checked against the symbol table.
    public var symbolIndex: UInt32
    /// `ELF64_R_TYPE(r_info)` (BPF: 1 = R_BPF_64_64, 2 = R_BPF_64_ABS64, 3 = R_BPF_64_ABS32, 10 = R_BPF_64_32).
    public var type: UInt32
    /// `r_addend` for SHT_RELA sections, otherwise nil.
    public var addend: Int64?
}

/// The relocations that apply to one section.
public struct ELFRelocationSection: Sendable, Equatable {
    /// The relocation section itself (`.rel<target>`).
    public var section: ELFSection
    /// Index of the section the entries apply to (`sh_info`).
    public var targetIndex: Int
    /// Name of that section.
    public var targetName: String
    /// The entries, in file order. Empty for a section that relocates DWARF
    /// (`.rel.debug_*`), which nothing here reads (libbpf skips them too);
    /// ``count`` still says how many it has.
    public var entries: [ELFRelocation]
    /// How many entries the section has.
    public var count: Int
}

/// A parsed, validated ELF64 file of machine EM_BPF.
public struct ELFFile: Sendable {
    /// Upper bound on the number of sections accepted.
    public static let maxSections = 65_536

    /// The whole file.
    public let storage: ObjectBytes
    /// Byte order from `EI_DATA`.
    public let byteOrder: ByteOrder
    /// `e_type` (1 = ET_REL).
    public let fileType: UInt16
    /// `e_machine` (always 247).
    public let machine: UInt16
    /// `e_flags`.
    public let flags: UInt32
    /// All sections, index 0 being the null section.
    public let sections: [ELFSection]
    /// The symbol table (empty if there is none); index 0 is the null symbol.
    public let symbols: [ELFSymbol]
    /// Relocation sections, one per `.rel`/`.rela` section, in section order.
    public let relocationSections: [ELFRelocationSection]

    /// Parses and validates a copy of `bytes` as an ELF64 BPF object.
    public init(bytes: [UInt8]) throws(ObjectReadError) {
        try self.init(object: ObjectBytes(bytes))
    }

    /// Parses and validates `object` as an ELF64 BPF object, in place.
    public init(object bytes: ObjectBytes) throws(ObjectReadError) {
        self.storage = bytes
        var r = ByteReader(bytes, what: "ELF header")
        try r.check(0, 16)
        guard try r.u8(at: 0) == 0x7f, try r.u8(at: 1) == 0x45, try r.u8(at: 2) == 0x4c, try r.u8(at: 3) == 0x46 else {
            throw .badMagic
        }
        guard try r.u8(at: 4) == 2 else { throw .notELF64 }
        switch try r.u8(at: 5) {
        case 1: byteOrder = .little
        case 2: byteOrder = .big
        case let b: throw .badByteOrder(b)
        }
        r.byteOrder = byteOrder
        try r.check(0, 64)
        fileType = try r.u16(at: 16)
        machine = try r.u16(at: 18)
        guard machine == ELF.EM_BPF else { throw .wrongMachine(machine) }
        flags = try r.u32(at: 48)
        let shoff = try r.u64(at: 40)
        let shentsize = Int(try r.u16(at: 58))
        var shnum = Int(try r.u16(at: 60))
        var shstrndx = Int(try r.u16(at: 62))

        var sectionList: [ELFSection] = []
        if shoff != 0 {
            guard shentsize >= 64 else { throw .badHeader(field: "e_shentsize", value: UInt64(shentsize)) }
            guard shoff <= UInt64(bytes.count) else {
                throw .truncated(what: "section header table", offset: Int(clamping: shoff), needed: shentsize, available: 0)
            }
            let tableStart = Int(shoff)
            let tableReader = try r.window(at: tableStart, length: bytes.count - tableStart, what: "section header table")
            // Extended numbering: real counts live in section 0.
            if shnum == 0 || shstrndx == 0xffff {
                try tableReader.check(0, 64)
                if shnum == 0 { shnum = Int(clamping: try tableReader.u64(at: 32)) }
                if shstrndx == 0xffff { shstrndx = Int(try tableReader.u32(at: 40)) }
            }
            let fits = tableReader.count / shentsize
            guard shnum <= min(fits, ELFFile.maxSections) else {
                throw .absurdCount(what: "e_shnum", count: shnum, limit: min(fits, ELFFile.maxSections))
            }
            var raw: [(UInt32, ELFSection)] = []
            raw.reserveCapacity(shnum)
            for i in 0..<shnum {
                let o = i * shentsize
                let s = ELFSection(
                    index: i, name: "",
                    type: try tableReader.u32(at: o + 4),
                    flags: try tableReader.u64(at: o + 8),
                    offset: try tableReader.u64(at: o + 24),
                    size: try tableReader.u64(at: o + 32),
                    link: try tableReader.u32(at: o + 40),
                    info: try tableReader.u32(at: o + 44),
                    addressAlignment: try tableReader.u64(at: o + 48),
                    entrySize: try tableReader.u64(at: o + 56))
                raw.append((try tableReader.u32(at: o), s))
            }
            guard shnum == 0 || (shstrndx > 0 && shstrndx < shnum) else {
                throw .badSectionIndex(what: "e_shstrndx", index: shstrndx)
            }
            func inFile(_ s: ELFSection) -> Bool {
                if s.type == ELF.SHT_NOBITS || s.size == 0 { return true }
                let (end, overflow) = s.offset.addingReportingOverflow(s.size)
                return !overflow && end <= UInt64(bytes.count)
            }
            var names: ByteReader? = nil
            if shnum > 0 {
                let strSec = raw[shstrndx].1
                guard strSec.type != ELF.SHT_NOBITS else {
                    throw .badSectionIndex(what: "e_shstrndx", index: shstrndx)
                }
                guard inFile(strSec) else { throw .sectionOutOfRange(index: shstrndx, name: ".shstrtab") }
                names = try r.window(at: Int(strSec.offset), length: Int(strSec.size), what: ".shstrtab")
            }
            for (nameOff, var s) in raw {
                if s.index != 0 || nameOff != 0 {
                    guard let n = names?.cString(at: Int(nameOff)) else {
                        throw .badStringOffset(table: ".shstrtab", offset: Int(nameOff))
                    }
                    s.name = n
                }
                guard inFile(s) else { throw .sectionOutOfRange(index: s.index, name: s.name) }
                sectionList.append(s)
            }
            // Overlap check over the file-backed sections.
            // The ELF header and the section header table take part as pseudo-sections.
            let headerArea = ELFSection(index: -1, name: "ELF header", type: 0, flags: 0, offset: 0, size: 64,
                                        link: 0, info: 0, addressAlignment: 0, entrySize: 0)
            let tableArea = ELFSection(index: -1, name: "section header table", type: 0, flags: 0,
                                       offset: shoff, size: UInt64(shnum * shentsize),
                                       link: 0, info: 0, addressAlignment: 0, entrySize: 0)
            let backed = ([headerArea, tableArea] + sectionList)
                .filter { $0.type != ELF.SHT_NOBITS && $0.size > 0 }
                .sorted { $0.offset < $1.offset }
            if backed.count > 1 {
                for i in 1..<backed.count where backed[i].offset < backed[i - 1].offset + backed[i - 1].size {
                    throw .overlappingSections(a: backed[i - 1].name, b: backed[i].name)
                }
            }
        }
        sections = sectionList

        // Symbol table.
        var syms: [ELFSymbol] = []
        if let symtab = sectionList.first(where: { $0.type == ELF.SHT_SYMTAB }) {
            guard Int(symtab.link) < sectionList.count, Int(symtab.link) > 0 else {
                throw .badSectionIndex(what: "\(symtab.name) sh_link", index: Int(symtab.link))
            }
            let strtab = sectionList[Int(symtab.link)]
            let strReader = try Self.reader(bytes, strtab, byteOrder)
            let symReader = try Self.reader(bytes, symtab, byteOrder)
            let n = symReader.count / 24
            syms.reserveCapacity(n)
            for i in 0..<n {
                let o = i * 24
                let nameOff = Int(try symReader.u32(at: o))
                let info = try symReader.u8(at: o + 4)
                let other = try symReader.u8(at: o + 5)
                var name = ""
                if nameOff != 0 {
                    guard let s = strReader.cString(at: nameOff) else {
                        throw .badStringOffset(table: strtab.name, offset: nameOff)
                    }
                    name = s
                }
                syms.append(ELFSymbol(
                    index: i, name: name,
                    value: try symReader.u64(at: o + 8),
                    size: try symReader.u64(at: o + 16),
                    type: info & 0xf, binding: info >> 4, visibility: other & 0x3,
                    sectionIndex: try symReader.u16(at: o + 6)))
            }
        }
        symbols = syms

        // Relocation sections.
        var rels: [ELFRelocationSection] = []
        for s in sectionList where s.type == ELF.SHT_REL || s.type == ELF.SHT_RELA {
            let isRela = s.type == ELF.SHT_RELA
            let entSize = isRela ? 24 : 16
            guard Int(s.info) > 0, Int(s.info) < sectionList.count else {
                throw .badSectionIndex(what: "\(s.name) sh_info", index: Int(s.info))
            }
            let target = sectionList[Int(s.info)]
            let rr = try Self.reader(bytes, s, byteOrder)
            let n = rr.count / entSize
            // Debug info carries most of a real object's relocations and none that matter here.
            if target.name.hasPrefix(".debug_") {
                rels.append(ELFRelocationSection(section: s, targetIndex: target.index, targetName: target.name, entries: [], count: n))
                continue
            }
            var entries: [ELFRelocation] = []
            entries.reserveCapacity(n)
            for i in 0..<n {
                let o = i * entSize
                let info = try rr.u64(at: o + 8)
                let sym = UInt32(truncatingIfNeeded: info >> 32)
                guard Int(sym) < syms.count else {
                    throw .badSymbolIndex(section: s.name, entry: i, index: Int(sym))
                }
                entries.append(ELFRelocation(
                    offset: try rr.u64(at: o),
                    symbolIndex: sym,
                    type: UInt32(truncatingIfNeeded: info),
                    addend: isRela ? Int64(bitPattern: try rr.u64(at: o + 16)) : nil))
            }
            rels.append(ELFRelocationSection(section: s, targetIndex: target.index, targetName: target.name, entries: entries, count: n))
        }
        relocationSections = rels
    }

    private static func reader(_ bytes: ObjectBytes, _ s: ELFSection, _ order: ByteOrder) throws(ObjectReadError) -> ByteReader {
        if s.type == ELF.SHT_NOBITS { return ByteReader(ObjectBytes.empty, byteOrder: order, what: s.name) }
        // Ranges were validated against the file size in init.
        return try ByteReader(bytes, byteOrder: order, what: s.name)
            .window(at: Int(clamping: s.offset), length: Int(clamping: s.size), what: s.name)
    }

    /// The first section called `name`.
    public func section(named name: String) -> ELFSection? {
        sections.first { $0.name == name }
    }

    /// A reader over the file contents of `section` (empty for SHT_NOBITS).
    public func reader(for section: ELFSection) throws(ObjectReadError) -> ByteReader {
        try Self.reader(storage, section, byteOrder)
    }

    /// The file contents of `section` (empty for SHT_NOBITS).
    public func data(of section: ELFSection) throws(ObjectReadError) -> [UInt8] {
        try reader(for: section).all
    }

    /// Whether libbpf reads the kernel config for this object: only an extern
    /// named `CONFIG_*` makes it (`bpf_object__resolve_externs`). It answers
    /// `LINUX_KERNEL_VERSION`, `LINUX_HAS_BPF_COOKIE` and
    /// `LINUX_HAS_SYSCALL_WRAPPER` without the config, and ksyms and kfuncs are
    /// resolved at load time. (An undefined `CONFIG_*` that is not a `__kconfig`
    /// extern counts too: reading the config for it changes nothing.)
    public var readsKernelConfig: Bool {
        symbols.contains { $0.index != 0 && $0.sectionIndex == ELF.SHN_UNDEF && $0.name.hasPrefix(Self.kconfigPrefix) }
    }

    /// The prefix of the externs libbpf takes from the kernel config.
    public static let kconfigPrefix = "CONFIG_"

    /// The relocations that apply to the section with index `targetIndex`.
    public func relocations(for targetIndex: Int) -> [ELFRelocation] {
        relocationSections.filter { $0.targetIndex == targetIndex }.flatMap(\.entries)
    }

    /// The contents of the `license` section up to the first NUL, if present.
    public var license: String? {
        guard let s = section(named: "license"), let r = try? reader(for: s) else { return nil }
        var end = 0
        while end < r.count, (try? r.u8(at: end)) != 0 { end += 1 }
        guard let bytes = try? r.raw(at: 0, length: end) else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The u32 in the `version` section, if present and at least 4 bytes long.
    public var kernelVersion: UInt32? {
        guard let s = section(named: "version"), let r = try? reader(for: s) else { return nil }
        return try? r.u32(at: 0)
    }
}
