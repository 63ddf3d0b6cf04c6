/// The one spelling of a request path that reaches the router.
///
/// The router matches path segments and skips empty ones, so `//v1/loaders`
/// would reach the same handler as `/v1/loaders`. Every route is only served
/// under its canonical spelling: a path with an empty segment, a `.` or `..`
/// segment or a backslash is refused before routing. An absolute-form target
/// (`GET http://host/v1/...`, which HTTP/1.1 servers must accept) is judged by
/// its path.
enum CanonicalPath {
    enum Refusal: Equatable, CustomStringConvertible {
        case notAbsolute
        case emptySegment
        case dotSegment
        case backslash

        var description: String {
            switch self {
            case .notAbsolute: "the path does not start with '/'"
            case .emptySegment: "the path has an empty segment ('//')"
            case .dotSegment: "the path has a '.' or '..' segment"
            case .backslash: "the path has a backslash"
            }
        }
    }

    /// Why `path` (without its query) is not canonical, or nil when it is.
    static func refusal(_ path: Substring) -> Refusal? {
        guard path.first == "/" else { return .notAbsolute }
        if path == "/" { return nil }
        for segment in path.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
            if segment.isEmpty { return .emptySegment }
            if segment == "." || segment == ".." || segment.lowercased() == "%2e" || segment.lowercased() == "%2e%2e" {
                return .dotSegment
            }
            if segment.contains("\\") || segment.lowercased().contains("%5c") { return .backslash }
        }
        return nil
    }

    /// The path of a request target: origin-form as it is, absolute-form
    /// (`scheme://authority/path`) without its scheme and authority; no query.
    static func path(ofTarget target: String) -> Substring {
        var rest = Substring(target)
        if let query = rest.firstIndex(where: { $0 == "?" || $0 == "#" }) { rest = rest[..<query] }
        if !rest.hasPrefix("/"), let scheme = rest.range(of: "://") {
            let afterAuthority = rest[scheme.upperBound...]
            rest = afterAuthority.firstIndex(of: "/").map { afterAuthority[$0...] } ?? "/"
        }
        return rest
    }
}
