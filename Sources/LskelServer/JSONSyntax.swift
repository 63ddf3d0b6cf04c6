/// A check that bytes are one JSON object (RFC 8259, UTF-8), without building
/// it: what the service needs before it splices a worker's manifest into its
/// answers. One pass, no recursion (nesting is bounded by `maxDepth`), total on
/// any input; a test holds it to Foundation's parser on mutated manifests.
enum JSONSyntax {
    static let maxDepth = 512

    static func isObject(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBufferPointer { isObject($0) }
    }

    static func isObject(_ buffer: UnsafeBufferPointer<UInt8>) -> Bool {
        var reader = Reader(bytes: buffer)
        reader.skipWhitespace()
        guard reader.peek == UInt8(ascii: "{"), reader.value() else { return false }
        reader.skipWhitespace()
        return reader.offset == buffer.count
    }

    private struct Reader {
        let bytes: UnsafeBufferPointer<UInt8>
        var offset = 0

        init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

        var peek: UInt8? { offset < bytes.count ? bytes[offset] : nil }

        mutating func skipWhitespace() {
            while let byte = peek, byte == 0x20 || byte == 0x0a || byte == 0x0d || byte == 0x09 { offset += 1 }
        }

        mutating func expect(_ byte: UInt8) -> Bool {
            guard peek == byte else { return false }
            offset += 1
            return true
        }

        /// One value, containers included; an explicit stack of open containers
        /// (true: object) keeps deep input from exhausting the thread's stack.
        mutating func value() -> Bool {
            var open: [Bool] = []
            while true {
                skipWhitespace()
                // A value.
                guard let byte = peek else { return false }
                switch byte {
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    offset += 1
                    let isObject = byte == UInt8(ascii: "{")
                    guard open.count < JSONSyntax.maxDepth else { return false }
                    open.append(isObject)
                    skipWhitespace()
                    if expect(isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                        open.removeLast()
                        break
                    }
                    if isObject {
                        guard string(), colon() else { return false }
                    }
                    continue
                case UInt8(ascii: "\""):
                    guard string() else { return false }
                case UInt8(ascii: "t"): guard literal("true") else { return false }
                case UInt8(ascii: "f"): guard literal("false") else { return false }
                case UInt8(ascii: "n"): guard literal("null") else { return false }
                default: guard number() else { return false }
                }
                // After a value: close containers, or a comma and the next member.
                while true {
                    guard let isObject = open.last else { return true }
                    skipWhitespace()
                    if expect(UInt8(ascii: ",")) {
                        if isObject {
                            skipWhitespace()
                            guard string(), colon() else { return false }
                        }
                        break
                    }
                    guard expect(isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) else { return false }
                    open.removeLast()
                }
            }
        }

        mutating func colon() -> Bool {
            skipWhitespace()
            return expect(UInt8(ascii: ":"))
        }

        mutating func literal(_ text: StaticString) -> Bool {
            let count = text.utf8CodeUnitCount
            guard bytes.count - offset >= count else { return false }
            for index in 0..<count where bytes[offset + index] != text.utf8Start[index] { return false }
            offset += count
            return true
        }

        mutating func digits() -> Bool {
            let start = offset
            while let byte = peek, byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") { offset += 1 }
            return offset > start
        }

        mutating func number() -> Bool {
            _ = expect(UInt8(ascii: "-"))
            if expect(UInt8(ascii: "0")) {
                if let byte = peek, byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") { return false }
            } else if !digits() {
                return false
            }
            if expect(UInt8(ascii: ".")) && !digits() { return false }
            if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
                offset += 1
                if !expect(UInt8(ascii: "+")) { _ = expect(UInt8(ascii: "-")) }
                if !digits() { return false }
            }
            return true
        }

        /// A string at `"`: escapes as RFC 8259 has them, no raw control
        /// characters, well-formed UTF-8 (no overlongs, surrogates or values past U+10FFFF).
        mutating func string() -> Bool {
            guard expect(UInt8(ascii: "\"")) else { return false }
            while let byte = peek {
                offset += 1
                switch byte {
                case UInt8(ascii: "\""):
                    return true
                case UInt8(ascii: "\\"):
                    guard let escaped = peek else { return false }
                    offset += 1
                    switch escaped {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
                         UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                        break
                    case UInt8(ascii: "u"):
                        guard bytes.count - offset >= 4 else { return false }
                        for _ in 0..<4 {
                            guard isHexDigit(bytes[offset]) else { return false }
                            offset += 1
                        }
                    default:
                        return false
                    }
                case 0x00..<0x20:
                    return false
                case 0x20..<0x80:
                    break
                default:
                    guard utf8Sequence(lead: byte) else { return false }
                }
            }
            return false
        }

        func isHexDigit(_ byte: UInt8) -> Bool {
            (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "f"))
                || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "F"))
        }

        /// The continuation bytes of a multi-byte UTF-8 sequence whose lead byte was just read.
        mutating func utf8Sequence(lead: UInt8) -> Bool {
            let count: Int
            var low: UInt8 = 0x80, high: UInt8 = 0xbf
            switch lead {
            case 0xc2...0xdf: count = 1
            case 0xe0: count = 2; low = 0xa0
            case 0xe1...0xec, 0xee...0xef: count = 2
            case 0xed: count = 2; high = 0x9f
            case 0xf0: count = 3; low = 0x90
            case 0xf1...0xf3: count = 3
            case 0xf4: count = 3; high = 0x8f
            default: return false
            }
            guard bytes.count - offset >= count else { return false }
            for index in 0..<count {
                let byte = bytes[offset + index]
                let (min, max) = index == 0 ? (low, high) : (UInt8(0x80), UInt8(0xbf))
                guard byte >= min && byte <= max else { return false }
            }
            offset += count
            return true
        }
    }
}
