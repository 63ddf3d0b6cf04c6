import FoundationEssentials
import LskelModel

/// A loader's content address: SHA-256 over the generator version, the
/// skeleton name, the profile (JSON with sorted keys, as ``TargetProfile``
/// encodes itself) and the object, each as its length (u64, little-endian)
/// then its bytes. The server files loaders under it; a client computes it
/// itself to ask for a loader before uploading the object (`GET /v1/info`
/// says how).
public enum LoaderKey {
    public static let recipe = "sha256 of generator_version, name, profile, object; each as its length (u64 little-endian) then its bytes; profile as JSON with sorted keys (TargetProfile's own names)"

    public static func compute(object: [UInt8], name: String, profile: TargetProfile, generatorVersion: String) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let profileJSON = (try? encoder.encode(profile)).map(Array.init) ?? []
        var parts: [[UInt8]] = []
        for field in [Array(generatorVersion.utf8), Array(name.utf8), profileJSON, object] {
            var length = UInt64(field.count).littleEndian
            parts.append(withUnsafeBytes(of: &length) { Array($0) })
            parts.append(field)
        }
        return SHA256.hex(parts: parts)
    }
}
