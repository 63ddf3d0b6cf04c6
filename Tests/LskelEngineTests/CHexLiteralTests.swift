import LskelModel
import Testing

@Suite("C string literals of loader blobs")
struct CHexLiteralTests {
    /// bpftool's print_hex, written plainly: `\0` or `\xNN` per byte, a
    /// backslash-newline before an escape that would take a line past 78.
    static func reference(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [], line = 0
        for byte in bytes {
            let escape = byte == 0 ? "\\0" : "\\x" + String(byte, radix: 16).leftPadded(to: 2)
            if line + escape.utf8.count > 78 {
                out += Array("\\\n".utf8)
                line = 0
            }
            out += Array(escape.utf8)
            line += escape.utf8.count
        }
        return out
    }

    @Test("the literal is bpftool's for every byte value, runs of zeros and every length up to 400")
    func matchesReference() {
        var generator = SystemRandomNumberGenerator()
        var inputs: [[UInt8]] = [[], Array(0...255), [UInt8](repeating: 0, count: 200), [UInt8](repeating: 0xff, count: 200)]
        for length in 0...400 {
            inputs.append((0..<length).map { _ in
                // Zeros often, as loader data has them.
                Bool.random(using: &generator) ? 0 : UInt8.random(in: 0...255, using: &generator)
            })
        }
        for bytes in inputs {
            var out: [UInt8] = Array("prefix".utf8)
            CHexLiteral.append(bytes, to: &out)
            #expect(out == Array("prefix".utf8) + Self.reference(bytes), "\(bytes.count) bytes")
            let header = "opts.data = (void *)\"" + String(decoding: out.dropFirst(6), as: UTF8.self) + "\";"
            #expect(CHexLiteral.decode(after: "opts.data = (void *)\"", in: header) == bytes)
        }
    }
}

private extension String {
    func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
