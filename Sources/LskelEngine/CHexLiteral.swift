/// Bytes as the body of a C string literal, wrapped the way bpftool's
/// `print_hex` wraps them: `\0` for zero bytes, `\xNN` otherwise, a
/// backslash-newline whenever a line would pass 78 characters.
enum CHexLiteral {
    static func append(_ bytes: some Collection<UInt8>, to out: inout [UInt8]) {
        let hex = Array("0123456789abcdef".utf8)
        var lineLength = 0
        out.reserveCapacity(out.count + bytes.count * 4 + bytes.count / 19 * 2)
        for byte in bytes {
            let width = byte == 0 ? 2 : 4
            lineLength += width
            if lineLength > 78 {
                out.append(UInt8(ascii: "\\"))
                out.append(UInt8(ascii: "\n"))
                lineLength = width
            }
            out.append(UInt8(ascii: "\\"))
            if byte == 0 {
                out.append(UInt8(ascii: "0"))
            } else {
                out.append(UInt8(ascii: "x"))
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0xf)])
            }
        }
    }
}
