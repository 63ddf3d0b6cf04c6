/// Bytes as the body of a C string literal, wrapped the way bpftool's
/// `print_hex` wraps them: `\0` for zero bytes, `\xNN` otherwise, a
/// backslash-newline whenever a line would pass 78 characters; and back.
public enum CHexLiteral {
    public static func append(_ bytes: some Collection<UInt8>, to out: inout [UInt8]) {
        let written: Void? = bytes.withContiguousStorageIfAvailable { append($0, to: &out) }
        if written == nil { append(Array(bytes), to: &out) }
    }

    /// The literal's exact length is counted first, then it is written in place.
    public static func append(_ bytes: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        var length = 0
        var lineLength = 0
        for byte in bytes {
            let width = byte == 0 ? 2 : 4
            lineLength += width
            if lineLength > 78 {
                length += 2
                lineLength = width
            }
            length += width
        }
        let start = out.count
        out.append(contentsOf: repeatElement(0, count: length))
        hexDigits.withUnsafeBufferPointer { hex in
            out.withUnsafeMutableBufferPointer { output in
                var at = start
                lineLength = 0
                for byte in bytes {
                    let width = byte == 0 ? 2 : 4
                    lineLength += width
                    if lineLength > 78 {
                        output[at] = UInt8(ascii: "\\")
                        output[at + 1] = UInt8(ascii: "\n")
                        at += 2
                        lineLength = width
                    }
                    output[at] = UInt8(ascii: "\\")
                    if byte == 0 {
                        output[at + 1] = UInt8(ascii: "0")
                    } else {
                        output[at + 1] = UInt8(ascii: "x")
                        output[at + 2] = hex[Int(byte >> 4)]
                        output[at + 3] = hex[Int(byte & 0xf)]
                    }
                    at += width
                }
            }
        }
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)
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
