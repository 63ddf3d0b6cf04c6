import Foundation
import LskelCoding
import LskelTestSupport
import Testing
@testable import LskelEngine
@testable import LskelModel

/// The manifest's fast encoder writes exactly what Foundation's JSONEncoder writes.
@Suite("Manifest encoding")
struct ManifestEncodingTests {
    static func expectSame(_ manifest: Manifest, _ comment: Comment) throws {
        let fast = try ManifestJSON.encode(manifest)
        let reference = try ManifestJSON.foundationEncode(manifest)
        if fast != reference {
            let index = (0..<min(fast.count, reference.count)).first { fast[$0] != reference[$0] } ?? min(fast.count, reference.count)
            let context = { (bytes: [UInt8]) in String(decoding: bytes[max(0, index - 80)..<min(bytes.count, index + 80)], as: UTF8.self) }
            Issue.record("\(comment): differs at byte \(index):\nfast:\n\(context(fast))\nFoundation:\n\(context(reference))")
        }
        // And it reads back to the same manifest.
        #expect(try ManifestJSON.decode(fast) == manifest, comment)
    }

    @Test("snake_case keys are converted exactly as Foundation converts them, ASCII or not")
    func snakeCase() {
        var random = Fuzzing.generator("snake case", standard: 0x534e_414b)
        var keys = ["", "a", "A", "insnsSha256", "myURLProperty", "aBC", "ABC", "ABCd", "a1B", "_a_B_", "__x", "x__", "kconfigValues",
                    "expectedAttachTypeName", "btfTypeCount", "URL", "aURL", "aURLb", "maxEntriesSource", "HTTPStatus2xx",
                    "é", "Émile", "aÉb", "ÀÉÎõ", "straße", "ǅungla", "aǅb", "ΣίσυφοςΚ", "日本Go", "xİy", "ﬁle"]
        let alphabet = ["a", "b", "B", "Z", "_", "1", "x", "Q", "é", "É", "ǅ", "σ", "Σ", "日"]
        for _ in 0..<Fuzzing.iterations(500) {
            keys.append(random.string(from: alphabet, count: Int.random(in: 0...9, using: &random)))
        }
        for key in keys {
            #expect(PrettyJSONEncoder.convertToSnakeCase(key) == Self.foundationSnakeCase(key), "\(key.debugDescription)")
        }
    }

    private struct ProbeKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    private struct Probe: Encodable {
        var key: String
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: ProbeKey.self)
            try container.encode(0, forKey: ProbeKey(stringValue: key))
        }
    }

    /// Foundation's own conversion, read back from what its encoder writes.
    static func foundationSnakeCase(_ key: String) -> String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.withoutEscapingSlashes]
        guard let data = try? encoder.encode(Probe(key: key)),
              let object = try? JSONDecoder().decode([String: Int].self, from: data),
              let converted = object.keys.first
        else { return key }
        return converted
    }

    @Test("every fixture's manifest, with the host profile and with a full request profile")
    func fixtures() throws {
        var profile = Fixtures.hostProfile
        profile.kconfig = "CONFIG_HZ=250\nCONFIG_BPF_SYSCALL=y\nCONFIG_DEFAULT_HOSTNAME=\"lskel/host\"\n"
        var compared = 0
        for fixture in Fixtures.supported {
            for (label, target) in [("host", Fixtures.hostProfile), ("request", profile)] {
                let manifest: Manifest
                do {
                    manifest = try LoaderGenerator.generateWithManifest(
                        object: try Fixtures.bytes(fixture), objectName: "\(fixture).bpf.o",
                        name: Fixtures.skeletonName(fixture), profile: target).manifest
                } catch {
                    print("\(fixture), \(label) profile: not generated (\(error))")
                    continue
                }
                try Self.expectSame(manifest, "\(fixture), \(label) profile")
                compared += 1
            }
        }
        #expect(compared >= Fixtures.supported.count + 4, "only \(compared) manifests compared")
    }

    @Test("strings that need escaping, unusual keys and empty containers")
    func hostileStrings() throws {
        let (_, base) = try LoaderGenerator.generateWithManifest(
            object: try Fixtures.bytes("kconfig"), objectName: "kconfig.bpf.o", name: "kconfig_bpf", profile: Fixtures.hostProfile)
        var manifest = base
        manifest.object.name = "a \"quoted\" \\ back/slash\ttab\nnewline \u{1}\u{1f}\u{7f} é 漢字 🐝.bpf.o"
        manifest.profile.kconfigValues = ["CONFIG_X": "\"y\"", "camelCaseKey": "v", "snake_key": "", "": "empty key"]
        manifest.profile.maxEntries = .init(value: ["myMapName": 1, "URLMap": 2], consumed: true, source: "request")
        manifest.warnings = []
        try Self.expectSame(manifest, "escapes")
        // Every optional member absent, empty dictionaries, and a signature record.
        manifest.object.license = nil
        manifest.object.kernelVersion = nil
        manifest.profile.kernelVersionCode = nil
        manifest.profile.kernelRelease = .init(value: nil, consumed: false, source: "default")
        manifest.profile.kconfig = .init(value: "sha256:00", consumed: true, source: "request")
        manifest.profile.kconfigValues = [:]
        manifest.profile.maxEntries = .init(value: [:], consumed: false, source: "default")
        manifest.warnings = [.init(code: "a\"b", message: "line\nbreak")]
        manifest.signature = .init(scheme: "loader-hash", keyName: "release", keyType: "rsa-2048", deterministic: true,
                                   certificateSha256: "c", certificateSubject: "CN=\"x\"/O=y", signedSize: 1, signedSha256: "s",
                                   signatureSize: 2, signatureSha256: "t", exclProgHash: "e", mapHash: "m", checkInsns: 21)
        try Self.expectSame(manifest, "absent optionals, empty dictionaries, a signature")
    }
}
