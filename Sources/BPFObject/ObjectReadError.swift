/// Everything that can go wrong while reading an untrusted BPF object.
///
/// Every case says *where* the problem is: a section name or index, a byte
/// offset, a type ID, or the thing that was being read.
public enum ObjectReadError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A read of `needed` bytes at `offset` ran past the `available` bytes of `what`.
    case truncated(what: String, offset: Int, needed: Int, available: Int)
    /// The file does not start with `\x7fELF`.
    case badMagic
    /// The ELF class is not ELFCLASS64.
    case notELF64
    /// The ELF data encoding byte is neither ELFDATA2LSB nor ELFDATA2MSB.
    case badByteOrder(UInt8)
    /// `e_machine` is not EM_BPF (247).
    case wrongMachine(UInt16)
    /// A header field has a value that the reader cannot accept.
    case badHeader(field: String, value: UInt64)
    /// The file range of the section lies (partly) outside the file.
    case sectionOutOfRange(index: Int, name: String)
    /// Two sections' file ranges overlap.
    case overlappingSections(a: String, b: String)
    /// A section header's `sh_link` (or a section index elsewhere) names a missing section.
    case badSectionIndex(what: String, index: Int)
    /// A string offset does not lie inside the named string table.
    case badStringOffset(table: String, offset: Int)
    /// A symbol index in a relocation (or elsewhere) is out of range.
    case badSymbolIndex(section: String, entry: Int, index: Int)
    /// A chain of BTF references loops back on itself without passing
    /// through a struct/union member or a function prototype.
    case btfCycle(typeID: UInt32)
    /// A count or length is larger than the data could possibly hold.
    case absurdCount(what: String, count: Int, limit: Int)
    /// `.BTF` is malformed; `typeID` is the type being read, if any.
    case badBTF(typeID: UInt32?, reason: String)
    /// A BTF type refers to a type ID that does not exist.
    case badTypeReference(from: UInt32, to: UInt32)
    /// `.BTF.ext` is malformed.
    case badBTFExt(section: String?, reason: String)
    /// A CO-RE access string cannot be parsed or does not fit the root type.
    case badAccessString(String, reason: String)
    /// The instruction at `index` (in 8-byte slots) is malformed.
    case badInstruction(section: String, index: Int, reason: String)
    /// A BTF-defined map in `.maps` is malformed.
    case badMap(name: String, reason: String)

    public var description: String {
        switch self {
        case let .truncated(what, offset, needed, available):
            return "truncated \(what): need \(needed) byte(s) at offset \(offset), only \(available) available"
        case .badMagic: return "not an ELF file (bad magic)"
        case .notELF64: return "not a 64-bit ELF file"
        case let .badByteOrder(b): return "unknown ELF data encoding \(b)"
        case let .wrongMachine(m): return "e_machine is \(m), expected EM_BPF (247)"
        case let .badHeader(field, value): return "bad ELF header field \(field) = \(value)"
        case let .sectionOutOfRange(index, name): return "section [\(index)] '\(name)' lies outside the file"
        case let .overlappingSections(a, b): return "sections '\(a)' and '\(b)' overlap"
        case let .badSectionIndex(what, index): return "\(what) refers to missing section index \(index)"
        case let .badStringOffset(table, offset): return "string offset \(offset) is outside \(table)"
        case let .badSymbolIndex(section, entry, index): return "\(section) entry \(entry) refers to missing symbol \(index)"
        case let .btfCycle(id): return "BTF type [\(id)] is part of a reference cycle"
        case let .absurdCount(what, count, limit): return "\(what) count \(count) exceeds limit \(limit)"
        case let .badBTF(id, reason):
            if let id { return "bad BTF type [\(id)]: \(reason)" }
            return "bad BTF: \(reason)"
        case let .badTypeReference(from, to): return "BTF type [\(from)] refers to missing type [\(to)]"
        case let .badBTFExt(section, reason):
            if let section { return "bad .BTF.ext (\(section)): \(reason)" }
            return "bad .BTF.ext: \(reason)"
        case let .badAccessString(s, reason): return "bad CO-RE access string '\(s)': \(reason)"
        case let .badInstruction(section, index, reason): return "bad instruction \(section)#\(index): \(reason)"
        case let .badMap(name, reason): return "bad map '\(name)': \(reason)"
        }
    }
}
