import BPFObject

/// A kconfig extern's value as text, the way a kernel config spells it.
enum KconfigValue {
    static func text(_ bytes: [UInt8], typeID: UInt32, btf: BTF?) -> String {
        let type = btf.flatMap { $0.type($0.skipModifiers(typeID)) }
        switch type {
        case .int(_, _, let encoding, _, _)? where encoding & 4 != 0:
            return bytes.first == 0 ? "n" : "y"
        case .enumeration(let name, _, _, _)? where name == "libbpf_tristate":
            switch integer(bytes) {
            case 0: return "n"
            case 1: return "y"
            case 2: return "m"
            default: return String(integer(bytes))
            }
        case .array(let element, _, _)?:
            if case .int(_, 1, _, _, _)? = btf.flatMap({ $0.type($0.skipModifiers(element)) }) {
                let text = bytes.prefix { $0 != 0 }
                return "\"" + String(decoding: text, as: UTF8.self) + "\""
            }
            return bytes.map { String($0, radix: 16) }.joined(separator: " ")
        case .int(_, _, let encoding, _, _)? where encoding & 1 != 0:
            return String(signedInteger(bytes))
        default:
            return String(integer(bytes))
        }
    }

    static func integer(_ bytes: [UInt8]) -> UInt64 {
        bytes.prefix(8).enumerated().reduce(0) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
    }

    static func signedInteger(_ bytes: [UInt8]) -> Int64 {
        let value = integer(bytes)
        let bits = min(bytes.count, 8) * 8
        guard bits > 0, bits < 64 else { return Int64(bitPattern: value) }
        let shift = UInt64(64 - bits)
        return Int64(bitPattern: value << shift) >> Int64(shift)
    }
}
