/// The manifest's JSON form: snake_case keys, sorted, pretty-printed, so the
/// same manifest is always the same bytes.
public enum ManifestJSON {
    /// The manifest as Foundation's `JSONEncoder` writes it (the reference and
    /// decoding are in LskelCoding), written directly (ManifestDirectJSON.swift).
    public static func encode(_ manifest: Manifest) throws -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(16 << 10)
        manifest.writePrettyJSON(indent: 0, to: &out)
        out.append(UInt8(ascii: "\n"))
        return out
    }
}
