import Foundation
import LskelTestSupport
import Testing

/// The worker's warm-up object is embedded as bytes (the worker has no file
/// system to read it from); they must be what its source compiles to.
@Suite("The worker's warm-up object")
struct WarmUpObjectTests {
    static let swiftFile = "Sources/lskel-worker/WarmUpObject.swift"
    /// From the package root, so the debug info names no checkout path.
    static let compile = ["-target", "bpf", "-g", "-O2", "-fdebug-compilation-dir=.", "-I", "Tests/Fixtures",
                          "-c", "Sources/lskel-worker/warm.bpf.c", "-o"]

    static func embeddedBytes() throws -> [UInt8] {
        let text = try String(contentsOfFile: "\(Fixtures.packageRoot)/\(swiftFile)", encoding: .utf8)
        guard let start = text.range(of: "let warmUpObject: [UInt8] = [")?.upperBound,
              let end = text[start...].firstIndex(of: "]") else { throw FixtureError("no byte array in \(swiftFile)") }
        return text[start..<end].split(separator: ",").compactMap { item in
            let hex = item.trimmingCharacters(in: .whitespacesAndNewlines)
            return hex.hasPrefix("0x") ? UInt8(hex.dropFirst(2), radix: 16) : nil
        }
    }

    static func render(_ bytes: [UInt8], command: String) -> String {
        var rows: [String] = []
        for start in stride(from: 0, to: bytes.count, by: 24) {
            rows.append("    " + bytes[start..<min(start + 24, bytes.count)].map { String(format: "0x%02x,", $0) }.joined(separator: " "))
        }
        return """
            /// A small BPF object with what real ones carry (see its source) that the
            /// worker generates once before it is ready, so no job pays for the
            /// runtime's first-use work. Built from Sources/lskel-worker/warm.bpf.c,
            /// from the package root, with `\(command)`;
            /// a test checks the bytes against a fresh compile (LSKEL_REGENERATE_WARMUP=1 rewrites them).
            let warmUpObject: [UInt8] = [
            \(rows.joined(separator: "\n"))
            ]

            """
    }

    @Test("the embedded bytes equal a fresh compile of warm.bpf.c")
    func freshCompile() throws {
        let clang = try #require(Fixtures.clang, "clang-14 is needed to build the warm-up object")
        let output = NSTemporaryDirectory() + "lskel-warm-\(UUID().uuidString).o"
        defer { try? FileManager.default.removeItem(atPath: output) }
        let quoted = ([clang] + Self.compile + [output]).joined(separator: " ")
        let result = try Shell.run("/bin/sh", ["-c", "cd '\(Fixtures.packageRoot)' && \(quoted)"])
        #expect(result.status == 0, "\(result.stderrText)")
        let fresh = [UInt8](try Data(contentsOf: URL(fileURLWithPath: output)))
        let command = "clang-14 " + (Self.compile + ["OBJECT"]).joined(separator: " ")
        if ProcessInfo.processInfo.environment["LSKEL_REGENERATE_WARMUP"] == "1" {
            try Self.render(fresh, command: command).write(toFile: "\(Fixtures.packageRoot)/\(Self.swiftFile)", atomically: true, encoding: .utf8)
        }
        #expect(try Self.embeddedBytes() == fresh, "the warm-up object is stale: LSKEL_REGENERATE_WARMUP=1 swift test --filter WarmUpObjectTests")
    }
}
