import Foundation
@testable import BPFObject

/// Compiles fixtures from Tests/Fixtures with clang-14 at test time.
enum Fixtures {
    static let directory: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")

    struct ToolError: Error, CustomStringConvertible {
        var description: String
    }

    @discardableResult
    static func run(_ tool: String, _ args: [String]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = args
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw ToolError(description: "\(tool) \(args) failed: \(String(decoding: errData, as: UTF8.self))")
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// Compiles `<name>.bpf.c` and returns the object's path.
    static func objectPath(_ name: String) throws -> String {
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("bpfobject-tests-\(ProcessInfo.processInfo.processIdentifier)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let out = dir.appendingPathComponent("\(name)-\(UUID().uuidString).bpf.o").path
        try run("/usr/bin/clang-14", ["-target", "bpf", "-g", "-O2", "-D__TARGET_ARCH_x86",
                                      "-I", directory.path, "-c",
                                      directory.appendingPathComponent("\(name).bpf.c").path, "-o", out])
        return out
    }

    /// Compiles `<name>.bpf.c` and returns the object's bytes.
    static func object(_ name: String) throws -> [UInt8] {
        let path = try objectPath(name)
        defer { try? FileManager.default.removeItem(atPath: path) }
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// Relocation entry counts per relocation section name, from `readelf -r`.
    static func readelfRelocationCounts(_ path: String) throws -> [String: Int] {
        let text = try run("/usr/bin/readelf", ["-rW", path])
        var out: [String: Int] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("Relocation section '") {
            let rest = line.dropFirst("Relocation section '".count)
            guard let q = rest.firstIndex(of: "'") else { continue }
            let name = String(rest[..<q])
            let words = line.split(separator: " ")
            if let i = words.firstIndex(of: "contains"), i + 1 < words.count, let n = Int(words[i + 1]) {
                out[name] = n
            }
        }
        return out
    }
}

extension Array where Element == UInt8 {
    mutating func putLE32(_ v: UInt32, at o: Int) {
        for i in 0..<4 { self[o + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt32(i))) }
    }
    mutating func putLE16(_ v: UInt16, at o: Int) {
        self[o] = UInt8(truncatingIfNeeded: v)
        self[o + 1] = UInt8(truncatingIfNeeded: v >> 8)
    }
    mutating func putLE64(_ v: UInt64, at o: Int) {
        for i in 0..<8 { self[o + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt64(i))) }
    }
    func le32(at o: Int) -> UInt32 {
        (0..<4).reduce(UInt32(0)) { $0 | UInt32(self[o + $1]) << (8 * UInt32($1)) }
    }
}

/// Deterministic generator for the mutation test.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Builds a minimal little-endian BTF blob from raw type words and a string table.
func makeBTF(typeWords: [UInt32], strings: [UInt8] = [0]) -> [UInt8] {
    var out: [UInt8] = []
    func u32(_ v: UInt32) { for i in 0..<4 { out.append(UInt8(truncatingIfNeeded: v >> (8 * UInt32(i)))) } }
    out += [0x9f, 0xeb, 1, 0]
    u32(24)
    u32(0); u32(UInt32(typeWords.count * 4))
    u32(UInt32(typeWords.count * 4)); u32(UInt32(strings.count))
    for w in typeWords { u32(w) }
    out += strings
    return out
}

func btfInfo(kind: UInt32, vlen: UInt32 = 0, kflag: Bool = false) -> UInt32 {
    (kflag ? 0x8000_0000 : 0) | kind << 24 | vlen
}
