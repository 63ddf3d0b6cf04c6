import FoundationEssentials
import LskelModel

/// A loader's content address: SHA-256 over the generator version, the
/// skeleton name, the profile (JSON with sorted keys, as ``TargetProfile``
/// encodes itself) and the object's own SHA-256 (its 32 bytes), each as its
/// length (u64, little-endian) then its bytes. The server files loaders under
/// it; a client computes it itself to ask for a loader before uploading the
/// object (`GET /v1/info` says how). The object is hashed once for both its
/// key and the manifest's `object.sha256`, which the worker then need not
/// compute again.
public enum LoaderKey {
    public static let recipe = "sha256 of generator_version, name, profile, sha256(object); each as its length (u64 little-endian) then its bytes; profile as JSON with sorted keys (TargetProfile's own names); sha256(object) as its 32 bytes"

    public static func compute(object: [UInt8], name: String, profile: TargetProfile, generatorVersion: String) -> String {
        compute(objectDigest: SHA256.digest(object), name: name, profile: profile, generatorVersion: generatorVersion)
    }

    /// The key of an object whose SHA-256 is `objectDigest` (32 bytes).
    public static func compute(objectDigest: [UInt8], name: String, profile: TargetProfile, generatorVersion: String) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let profileJSON = (try? encoder.encode(profile)).map(Array.init) ?? []
        var parts: [[UInt8]] = []
        for field in [Array(generatorVersion.utf8), Array(name.utf8), profileJSON, objectDigest] {
            var length = UInt64(field.count).littleEndian
            parts.append(withUnsafeBytes(of: &length) { Array($0) })
            parts.append(field)
        }
        return SHA256.hex(parts: parts)
    }
}
