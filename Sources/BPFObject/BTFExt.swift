/// The kind of a CO-RE relocation (`enum bpf_core_relo_kind`), named as libbpf names them.
public enum CoreReloKind: UInt32, Sendable, CaseIterable {
    case fieldByteOffset = 0
    case fieldByteSize = 1
    case fieldExists = 2
    case fieldSigned = 3
    case fieldLShiftU64 = 4
    case fieldRShiftU64 = 5
    case localTypeID = 6
    case targetTypeID = 7
    case typeExists = 8
    case typeSize = 9
    case enumvalExists = 10
    case enumvalValue = 11
    case typeMatches = 12

    /// libbpf's spelling, e.g. `byte_off`-style names as used in its logs.
    public var libbpfName: String {
        switch self {
        case .fieldByteOffset: return "byte_off"
        case .fieldByteSize: return "byte_sz"
        case .fieldExists: return "field_exists"
        case .fieldSigned: return "signed"
        case .fieldLShiftU64: return "lshift_u64"
        case .fieldRShiftU64: return "rshift_u64"
        case .localTypeID: return "local_type_id"
        case .targetTypeID: return "target_type_id"
        case .typeExists: return "type_exists"
        case .typeSize: return "type_size"
        case .enumvalExists: return "enumval_exists"
        case .enumvalValue: return "enumval_value"
        case .typeMatches: return "type_matches"
        }
    }

    /// Whether this is a field-based relocation (access string walks members).
    public var isFieldBased: Bool {
        [.fieldByteOffset, .fieldByteSize, .fieldExists, .fieldSigned, .fieldLShiftU64, .fieldRShiftU64].contains(self)
    }
    /// Whether this is a type-based relocation.
    public var isTypeBased: Bool { [.localTypeID, .targetTypeID, .typeExists, .typeSize, .typeMatches].contains(self) }
    /// Whether this is an enumerator-value relocation.
    public var isEnumValueBased: Bool { self == .enumvalExists || self == .enumvalValue }
}

/// A `bpf_func_info` record.
public struct FuncInfo: Sendable, Equatable {
    /// Instruction offset; in object files this is in **bytes**.
    public var instructionOffset: UInt32
    /// BTF FUNC type ID.
    public var typeID: UInt32
}

/// A `bpf_line_info` record.
public struct LineInfo: Sendable, Equatable {
    /// Instruction offset; in object files this is in **bytes**.
    public var instructionOffset: UInt32
    /// Offset of the file name in the BTF string section.
    public var fileNameOffset: UInt32
    /// Offset of the source line text in the BTF string section.
    public var lineOffset: UInt32
    /// `line << 10 | column`.
    public var lineColumn: UInt32
    /// Line number.
    public var line: UInt32 { lineColumn >> 10 }
    /// Column number.
    public var column: UInt32 { lineColumn & 0x3ff }
}

/// A `bpf_core_relo` record.
public struct CoreRelo: Sendable, Equatable {
    /// Instruction offset; in object files this is in **bytes**.
    public var instructionOffset: UInt32
    /// Local (program-side) root BTF type ID.
    public var typeID: UInt32
    /// Offset of the access string in the BTF string section.
    public var accessStringOffset: UInt32
    /// The access string, e.g. "0:1".
    public var accessString: String
    /// The relocation kind; nil when the raw value is unknown.
    public var kind: CoreReloKind?
    /// The raw kind value.
    public var rawKind: UInt32
}

/// The records of one `.BTF.ext` info subsection for one ELF section.
///
/// `Record` is unconstrained and the conformances conditional: a constrained
/// parameter makes each use of `BTFExtSection<FuncInfo>` look its conformances
/// up at run time, a scan of every conformance record of the executable that
/// was a twentieth of a fresh `lskel gen`.
public struct BTFExtSection<Record> {
    /// ELF section name (from the BTF string section).
    public var sectionName: String
    /// The records.
    public var records: [Record]
}

extension BTFExtSection: Sendable where Record: Sendable {}
extension BTFExtSection: Equatable where Record: Equatable {}

/// Parsed `.BTF.ext`: function info, line info and CO-RE relocations per section.
public struct BTFExt: Sendable {
    /// `version` from the header.
    public let version: UInt8
    /// `flags` from the header.
    public let flags: UInt8
    /// `hdr_len` from the header.
    public let headerLength: UInt32
    /// Record size declared for func_info.
    public let funcInfoRecordSize: UInt32
    /// Record size declared for line_info.
    public let lineInfoRecordSize: UInt32
    /// Record size declared for core_relo (0 when absent).
    public let coreReloRecordSize: UInt32
    /// func_info per ELF section.
    public let funcInfo: [BTFExtSection<FuncInfo>]
    /// line_info per ELF section.
    public let lineInfo: [BTFExtSection<LineInfo>]
    /// CO-RE relocations per ELF section.
    public let coreRelos: [BTFExtSection<CoreRelo>]

    /// Parses a `.BTF.ext` image; section names and access strings are looked
    /// up in `btf`.
    public init(bytes: [UInt8], btf: BTF) throws(ObjectReadError) {
        try self.init(section: ByteReader(bytes), btf: btf)
    }

    /// Parses the `.BTF.ext` image `section` windows, in place.
    public init(section: ByteReader, btf: BTF) throws(ObjectReadError) {
        var r = section
        r.byteOrder = btf.byteOrder
        r.what = ".BTF.ext header"
        try r.check(0, 8)
        let magic = try r.u16(at: 0)
        guard magic == BTF.magic else { throw .badBTFExt(section: nil, reason: "bad magic 0x\(String(magic, radix: 16))") }
        version = try r.u8(at: 2)
        flags = try r.u8(at: 3)
        guard version == 1 else { throw .badBTFExt(section: nil, reason: "unsupported version \(version)") }
        let hdrLen = Int(try r.u32(at: 4))
        headerLength = UInt32(hdrLen)
        guard hdrLen >= 24 else { throw .badBTFExt(section: nil, reason: "hdr_len \(hdrLen) < 24") }
        guard hdrLen <= r.count else { throw .truncated(what: ".BTF.ext header", offset: 0, needed: hdrLen, available: r.count) }
        let body = try r.window(at: hdrLen, length: r.count - hdrLen, what: ".BTF.ext")

        func sub(_ offField: Int, _ what: String) throws(ObjectReadError) -> ByteReader? {
            let off = Int(try r.u32(at: offField)), len = Int(try r.u32(at: offField + 4))
            if len == 0 { return nil }
            guard len <= body.count else { throw .absurdCount(what: ".BTF.ext \(what) length", count: len, limit: body.count) }
            return try body.window(at: off, length: len, what: ".BTF.ext \(what)")
        }

        func parse<R>(_ sr: ByteReader?, _ what: String, minSize: Int,
                      _ make: (ByteReader, Int) throws(ObjectReadError) -> R) throws(ObjectReadError) -> (UInt32, [BTFExtSection<R>]) {
            guard let sr else { return (0, []) }
            let recSize = Int(try sr.u32(at: 0))
            guard recSize >= minSize else {
                throw .badBTFExt(section: nil, reason: "\(what) record size \(recSize) < \(minSize)")
            }
            var out: [BTFExtSection<R>] = []
            var pos = 4
            while pos < sr.count {
                let nameOff = try sr.u32(at: pos)
                let n = Int(try sr.u32(at: pos + 4))
                pos += 8
                guard let name = btf.string(at: nameOff) else {
                    throw .badStringOffset(table: ".BTF (\(what) section name)", offset: Int(nameOff))
                }
                let limit = (sr.count - pos) / recSize
                guard n <= limit else { throw .absurdCount(what: "\(what) records for \(name)", count: n, limit: limit) }
                var recs: [R] = []
                recs.reserveCapacity(n)
                for i in 0..<n {
                    recs.append(try make(sr, pos + i * recSize))
                }
                pos += n * recSize
                out.append(BTFExtSection(sectionName: name, records: recs))
            }
            return (UInt32(recSize), out)
        }

        try r.check(0, 24)
        (funcInfoRecordSize, funcInfo) = try parse(try sub(8, "func_info"), "func_info", minSize: 8) { (sr, o) throws(ObjectReadError) in
            let t = try sr.u32(at: o + 4)
            guard Int(t) < btf.typeCount else { throw .badBTFExt(section: nil, reason: "func_info type \(t) out of range") }
            return FuncInfo(instructionOffset: try sr.u32(at: o), typeID: t)
        }
        (lineInfoRecordSize, lineInfo) = try parse(try sub(16, "line_info"), "line_info", minSize: 16) { (sr, o) throws(ObjectReadError) in
            let f = try sr.u32(at: o + 4), l = try sr.u32(at: o + 8)
            guard btf.hasString(at: f) else { throw .badStringOffset(table: ".BTF (line_info file)", offset: Int(f)) }
            guard btf.hasString(at: l) else { throw .badStringOffset(table: ".BTF (line_info line)", offset: Int(l)) }
            return LineInfo(instructionOffset: try sr.u32(at: o), fileNameOffset: f, lineOffset: l, lineColumn: try sr.u32(at: o + 12))
        }
        if hdrLen >= 32 {
            (coreReloRecordSize, coreRelos) = try parse(try sub(24, "core_relo"), "core_relo", minSize: 16) { (sr, o) throws(ObjectReadError) in
                let t = try sr.u32(at: o + 4), a = try sr.u32(at: o + 8), k = try sr.u32(at: o + 12)
                guard Int(t) < btf.typeCount else { throw .badBTFExt(section: nil, reason: "core_relo type \(t) out of range") }
                guard let s = btf.string(at: a) else { throw .badStringOffset(table: ".BTF (core_relo access string)", offset: Int(a)) }
                return CoreRelo(instructionOffset: try sr.u32(at: o), typeID: t, accessStringOffset: a,
                                accessString: s, kind: CoreReloKind(rawValue: k), rawKind: k)
            }
        } else {
            coreReloRecordSize = 0
            coreRelos = []
        }
    }
}

extension BTF {
    /// The source file name of a line_info record.
    public func fileName(of info: LineInfo) -> String? { string(at: info.fileNameOffset) }
    /// The source line text of a line_info record.
    public func sourceLine(of info: LineInfo) -> String? { string(at: info.lineOffset) }
}
