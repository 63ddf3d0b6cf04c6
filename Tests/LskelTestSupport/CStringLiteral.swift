/// Decodes the body of the C string literals a `.lskel.h` embeds
/// (`opts.data = (void *)"\...";`), to compare bpftool's blobs with ours.
public enum CStringLiteral {
    /// The bytes of the literal that follows `marker` in `header`.
    public static func bytes(after marker: String, in header: String) -> [UInt8]? {
        guard let start = header.firstRange(of: marker)?.upperBound else { return nil }
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
}
