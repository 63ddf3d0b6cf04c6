import Foundation
import LskelEngine
import LskelModel
import LskelTestSupport
import Testing
@testable import LskelServer

/// The check the service makes before it splices a worker's manifest into its
/// answers, held to Foundation's parser: every real manifest passes, and of
/// seeded mutations of them it accepts exactly what Foundation parses as a
/// JSON object, but for Foundation's one leniency: a comma before `}` or `]`,
/// which RFC 8259 does not allow and the check refuses.
@Suite("The manifest check agrees with Foundation's JSON parser")
struct JSONSyntaxTests {
    /// Bytes that change JSON's meaning most often, for insertions and replacements.
    static let significant: [UInt8] = Array("{}[]\":,\\ \n\t0-1.eE+truefalsnu\u{7f}".utf8) + [0x00, 0x1f, 0x80, 0xbf, 0xc0, 0xc3, 0xe0, 0xed, 0xf0, 0xf4, 0xf5, 0xff]

    static func foundationAccepts(_ bytes: [UInt8]) -> Bool {
        (try? JSONSerialization.jsonObject(with: Data(bytes))) is [String: Any]
    }

    /// `bytes` with each comma that only whitespace separates from a closing bracket removed.
    static func withoutTrailingCommas(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        for (index, byte) in bytes.enumerated() {
            if byte == UInt8(ascii: ","),
               let next = bytes[(index + 1)...].first(where: { ![0x20, 0x0a, 0x0d, 0x09].contains($0) }),
               next == UInt8(ascii: "}") || next == UInt8(ascii: "]") { continue }
            out.append(byte)
        }
        return out
    }

    @Test("every fixture's manifest is a JSON object")
    func manifests() throws {
        for fixture in ["core", "maps", "rt_tetragon_kprobe", "rt_tracee_like"] {
            let generated = try LoaderGenerator.generateWithManifest(object: try Fixtures.bytes(fixture), objectName: "\(fixture).bpf.o",
                                                                     name: Fixtures.skeletonName(fixture), profile: Fixtures.hostProfile)
            let manifest = try ManifestJSON.encode(generated.manifest)
            #expect(JSONSyntax.isObject(manifest), "\(fixture)")
            #expect(Self.foundationAccepts(manifest), "\(fixture)")
        }
    }

    @Test("mutated manifests: accepted exactly when Foundation parses an object")
    func mutations() throws {
        var random = Fuzzing.generator("manifest check", standard: 0x4a53_4f4e)
        let generated = try LoaderGenerator.generateWithManifest(object: try Fixtures.bytes("core"), objectName: "core.bpf.o",
                                                                 name: "core_bpf", profile: Fixtures.hostProfile)
        let seed = try ManifestJSON.encode(generated.manifest)
        // Small documents mutate into every grammar corner faster than a whole manifest.
        let seeds = [seed, Array(#"{"a":[1,-2.5e+3,true,false,null,"x\u00e9\n"],"b":{"c":{}},"d":[]}"#.utf8), Array("{}".utf8)]
        var disagreements: [String] = []
        for _ in 0..<Fuzzing.iterations(4000) {
            var bytes = seeds[Int.random(in: 0..<seeds.count, using: &random)]
            var changedAt = 0
            for _ in 0..<Int.random(in: 1...3, using: &random) {
                let at = bytes.isEmpty ? 0 : Int.random(in: 0..<bytes.count, using: &random)
                let byte = Self.significant[Int.random(in: 0..<Self.significant.count, using: &random)]
                changedAt = at
                switch Int.random(in: 0..<4, using: &random) {
                case 0 where !bytes.isEmpty: bytes[at] = byte
                case 1: bytes.insert(byte, at: at)
                case 2 where !bytes.isEmpty: bytes.remove(at: at)
                default: bytes = Array(bytes.prefix(at))
                }
            }
            let ours = JSONSyntax.isObject(bytes)
            let foundation = Self.foundationAccepts(bytes)
            if !ours && foundation && JSONSyntax.isObject(Self.withoutTrailingCommas(bytes)) { continue }
            if ours != foundation {
                let around = bytes[max(0, changedAt - 40)..<min(bytes.count, changedAt + 40)]
                disagreements.append("ours \(ours), at \(changedAt) of \(bytes.count): " + String(decoding: around, as: UTF8.self).debugDescription
                                     + " " + around.map { String($0, radix: 16) }.joined(separator: " "))
            }
        }
        #expect(disagreements.isEmpty, "\(disagreements.count) disagreements, e.g. \(disagreements.prefix(3))")
    }

    @Test("deep nesting and odd tops are refused without recursion")
    func limits() {
        #expect(!JSONSyntax.isObject(Array(repeating: UInt8(ascii: "["), count: 1 << 20)))
        #expect(!JSONSyntax.isObject(Array("{\"a\":".utf8) + Array(repeating: UInt8(ascii: "{"), count: 100_000)))
        let nested = Array(repeating: "{\"a\":", count: JSONSyntax.maxDepth - 1).joined() + "1" + String(repeating: "}", count: JSONSyntax.maxDepth - 1)
        #expect(JSONSyntax.isObject(Array(nested.utf8)))
        for text in ["", " ", "[]", "1", "\"x\"", "null", "{} {}", "{\"a\":1,}", "{\"a\" 1}", "{1:2}", "{\"a\":01}", "{\"a\":\"\\x\"}"] {
            #expect(!JSONSyntax.isObject(Array(text.utf8)), "\(text.debugDescription)")
        }
        #expect(JSONSyntax.isObject(Array(" {\"a\" : [ 1 , { } ] }\n".utf8)))
    }
}
