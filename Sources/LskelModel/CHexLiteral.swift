/// Bytes as the body of a C string literal, wrapped the way bpftool's
/// `print_hex` wraps them: `\0` for zero bytes, `\xNN` otherwise, a
/// backslash-newline whenever a line would pass 78 characters; and back.
public enum CHexLiteral {
    public static func append(_ bytes: some Collection<UInt8>, to out: inout [UInt8]) {
        let written: Void? = bytes.withContiguousStorageIfAvailable { append($0, to: &out) }
        if written == nil { append(Array(bytes), to: &out) }
    }

    /// One pass into room for the longest literal (four characters a byte, a
    /// backslash-newline per 19 of them), each byte's escape stored as one
    /// 32-bit word from a table; then cut to what was written.
    public static func append(_ bytes: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        out.append(contentsOf: literal(bytes))
    }

    /// The literal's characters, without the quotes.
    public static func literal(_ bytes: some Collection<UInt8>) -> [UInt8] {
        bytes.withContiguousStorageIfAvailable { literal($0) } ?? literal(Array(bytes))
    }

    /// The literal's characters, without the quotes, in one array of their own.
    public static func literal(_ bytes: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        let capacity = bytes.count * 4 + (bytes.count / 19 + 1) * 2
        return [UInt8](unsafeUninitializedCapacity: capacity) { buffer, initialized in
            guard let base = buffer.baseAddress else { return }
            let output = UnsafeMutableRawPointer(base)
            var at = 0
            var lineLength = 0
            escapes.withUnsafeBufferPointer { table in
                for byte in bytes {
                    let width = byte == 0 ? 2 : 4
                    lineLength += width
                    if lineLength > 78 {
                        output.storeBytes(of: newlineEscape, toByteOffset: at, as: UInt16.self)
                        at += 2
                        lineLength = width
                    }
                    // Four bytes stored even for "\0": the next escape overwrites the two extra.
                    output.storeBytes(of: table[Int(byte)], toByteOffset: at, as: UInt32.self)
                    at += width
                }
            }
            initialized = at
        }
    }

    /// `\xNN` for each byte value, `\0` (and two bytes to be overwritten) for zero,
    /// as little-endian words in memory order.
    private static let escapes: [UInt32] = (0..<256).map { value in
        let digits = Array("0123456789abcdef".utf8)
        let text: [UInt8] = value == 0
            ? [UInt8(ascii: "\\"), UInt8(ascii: "0"), 0, 0]
            : [UInt8(ascii: "\\"), UInt8(ascii: "x"), digits[value >> 4], digits[value & 0xf]]
        return text.enumerated().reduce(0) { $0 | UInt32($1.element) << (8 * UInt32($1.offset)) }
    }

    private static let newlineEscape = UInt16(UInt8(ascii: "\\")) | UInt16(UInt8(ascii: "\n")) << 8
}

extension CHexLiteral {
    /// The bytes of the literal that follows `marker` in a header
    /// (`opts.data = (void *)"\\...";`), or nil when there is none.
    public static func decode(after marker: String, in header: String) -> [UInt8]? {
        guard let start = header.range(ofLiteral: marker)?.upperBound else { return nil }
        var bytes: [UInt8] = []
        var iterator = header[start...].utf8.makeIterator()
        func hexValue(_ c: UInt8) -> UInt8? {
            switch c {
            case 0x30...0x39: return c - 0x30
            case 0x61...0x66: return c - 0x61 + 10
            default: return nil
            }
        }
        while let c = iterator.next() {
            if c == UInt8(ascii: "\"") { return bytes }
            guard c == UInt8(ascii: "\\") else { return nil }
            guard let kind = iterator.next() else { return nil }
            switch kind {
            case UInt8(ascii: "\n"): continue
            case UInt8(ascii: "0"): bytes.append(0)
            case UInt8(ascii: "x"):
                guard let hi = iterator.next().flatMap(hexValue), let lo = iterator.next().flatMap(hexValue) else { return nil }
                bytes.append(hi << 4 | lo)
            default: return nil
            }
        }
        return nil
    }

    /// The loader blobs a light-skeleton header embeds.
    public static func blobs(in header: String) -> (insns: [UInt8], data: [UInt8])? {
        guard let insns = decode(after: "opts.insns = (void *)\"", in: header),
              let data = decode(after: "opts.data = (void *)\"", in: header) else { return nil }
        return (insns, data)
    }
}
