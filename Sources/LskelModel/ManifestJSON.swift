import FoundationEssentials

/// The manifest's JSON form: snake_case keys, sorted, pretty-printed, so the
/// same manifest is always the same bytes.
public enum ManifestJSON {
    /// The manifest as Foundation's `JSONEncoder` writes it (see
    /// ``foundationEncode(_:)``), written directly (ManifestDirectJSON.swift).
    public static func encode(_ manifest: Manifest) throws -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(16 << 10)
        manifest.writePrettyJSON(indent: 0, to: &out)
        out.append(UInt8(ascii: "\n"))
        return out
    }

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
