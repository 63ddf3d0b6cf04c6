import Foundation
import Logging
import LskelCoding
import LskelModel
import LskelTestSupport
import Testing
@testable import LskelServer

/// The key is what `GET /v1/info`'s recipe says, so that a client can compute
/// it without the server's code.
@Suite("Loader keys")
struct LoaderKeyTests {
    /// The recipe followed step by step: each field as its length (u64 little-endian)
    /// then its bytes; the object as its own SHA-256.
    static func byRecipe(object: [UInt8], name: String, profile: TargetProfile, version: String) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var framed: [UInt8] = []
        for field in [Array(version.utf8), Array(name.utf8), Array(try encoder.encode(profile)), SHA256.digest(object)] {
            for shift in stride(from: 0, to: 64, by: 8) { framed.append(UInt8(truncatingIfNeeded: UInt64(field.count) >> UInt64(shift))) }
            framed += field
        }
        return SHA256.hex(framed)
    }

    @Test("the key is the recipe's SHA-256, for objects, names and profiles")
    func recipe() throws {
        var profile = TargetProfile()
        profile.kernelRelease = "6.1.0-13-amd64"
        profile.maxEntries = ["events": 8192]
        for fixture in ["core", "rt_execsnoop"] {
            let object = try Fixtures.bytes(fixture)
            for (name, profile) in [("core_bpf", TargetProfile()), ("other", profile)] {
                let key = LoaderKey.compute(object: object, name: name, profile: profile, generatorVersion: LoaderService.generatorVersion)
                #expect(key == (try Self.byRecipe(object: object, name: name, profile: profile, version: LoaderService.generatorVersion)))
                #expect(StoredLoader.isKey(key))
            }
        }
        #expect(LoaderKey.recipe.contains("sha256(object)"))
    }

    @Test("the service hashes an upload once: the key and the digest the worker is given agree")
    func serviceDigest() throws {
        let object = try Fixtures.bytes("rt_execsnoop")
        let directory = NSTemporaryDirectory() + "lskel-key-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = LoaderStore(directory: directory, memoryLimit: 1 << 20, diskLimit: 1 << 20, logger: Logger(label: "test"))
        let service = LoaderService(generator: InProcessGenerator(), store: store, metrics: ServerMetrics())
        let first = service.key(object: UploadBody(bytes: object), name: "x", profile: TargetProfile())
        #expect(first.objectDigest == SHA256.hex(object))
        #expect(first.key == LoaderKey.compute(object: object, name: "x", profile: TargetProfile(), generatorVersion: LoaderService.generatorVersion))
        // Again: the memo answers, nothing is hashed, the key is the same.
        let again = service.key(object: UploadBody(bytes: object), name: "x", profile: TargetProfile())
        #expect(again.key == first.key && again.objectDigest == nil)
    }
}
