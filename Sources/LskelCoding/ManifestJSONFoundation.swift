import FoundationEssentials
import LskelModel

/// The manifest through Foundation: the reference encoding the direct writer is
/// held to, and decoding. Apart from LskelModel so that what generates loaders
/// (the lean `lskel`) links no Foundation.
extension ManifestJSON {
    /// The reference form: Foundation's `JSONEncoder` with snake_case keys,
    /// sorted keys, pretty printing and unescaped slashes.
    public static func foundationEncode(_ manifest: Manifest) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return Array(try encoder.encode(manifest)) + [UInt8(ascii: "\n")]
    }

    public static func decode(_ bytes: [UInt8]) throws -> Manifest {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(Manifest.self, from: Data(bytes))
    }
}
