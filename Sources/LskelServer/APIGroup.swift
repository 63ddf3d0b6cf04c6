/// The API's route group: every route under it runs behind its middleware
/// (the token check under `--tokens`).
enum APIGroup {
    static let name = "v1"

    /// Whether a canonical path is in the group.
    static func contains(_ path: Substring) -> Bool {
        path == "/\(name)" || path.hasPrefix("/\(name)/")
    }
}
