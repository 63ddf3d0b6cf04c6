import Foundation

/// Where lskeld keeps its loaders: `--store DIR` (files, the default) or
/// `--store postgres://USER[:PASSWORD]@HOST[:PORT]/DB[?sslmode=disable|prefer|require]`
/// (one store that every replica shares).
public enum StoreLocation: Sendable, Equatable {
    case directory(String)
    case postgres(PostgresLocation)

    /// A URL with the `postgres` or `postgresql` scheme is a database; anything else is a directory.
    public init(parsing text: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        let lower = text.lowercased()
        if lower.hasPrefix("postgres://") || lower.hasPrefix("postgresql://") {
            self = .postgres(try PostgresLocation(url: text, environment: environment))
        } else if lower.contains("://") {
            throw ServerConfigurationError("--store is a directory or a postgres:// URL, not \(StoreLocation.redacted(text))")
        } else {
            guard !text.isEmpty else { throw ServerConfigurationError("--store needs a directory or a postgres:// URL") }
            self = .directory(text)
        }
    }

    /// The location as logs and /readyz show it: never a password.
    public var description: String {
        switch self {
        case .directory(let path): path
        case .postgres(let location): location.description
        }
    }

    public var kind: String {
        switch self {
        case .directory: "directory"
        case .postgres: "postgres"
        }
    }

    /// `text` with whatever stands between `://` and `@` after the first `:` blanked out.
    static func redacted(_ text: String) -> String {
        guard let scheme = text.range(of: "://"), let at = text[scheme.upperBound...].lastIndex(of: "@"),
              let colon = text[scheme.upperBound..<at].firstIndex(of: ":") else { return text }
        return String(text[..<colon]) + ":***" + String(text[at...])
    }
}

/// A PostgreSQL database named by URL. The password comes from the URL or
/// from `PGPASSWORD`; it is kept out of ``description``.
public struct PostgresLocation: Sendable, Equatable, CustomStringConvertible {
    public enum TLSMode: String, Sendable {
        case disable, prefer, require
    }

    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String
    public var tls: TLSMode

    public init(host: String, port: Int = 5432, user: String, password: String? = nil, database: String, tls: TLSMode = .disable) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
        self.tls = tls
    }

    init(url text: String, environment: [String: String]) throws {
        func invalid(_ why: String) -> ServerConfigurationError {
            ServerConfigurationError("--store \(StoreLocation.redacted(text)): \(why)")
        }
        guard let components = URLComponents(string: text) else { throw invalid("not a URL") }
        guard let user = components.user, !user.isEmpty else { throw invalid("no user (postgres://USER@HOST:PORT/DB)") }
        guard var host = components.host, !host.isEmpty else { throw invalid("no host (postgres://USER@HOST:PORT/DB)") }
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        let port = components.port ?? 5432
        guard (1...65535).contains(port) else { throw invalid("port \(port) is not 1 to 65535") }
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        guard !path.isEmpty, !path.contains("/") else { throw invalid("no database name (postgres://USER@HOST:PORT/DB)") }
        var tls = TLSMode.disable
        for item in components.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                guard let mode = item.value.flatMap(TLSMode.init(rawValue:)) else {
                    throw invalid("sslmode is disable, prefer or require, not '\(item.value ?? "")'")
                }
                tls = mode
            default:
                throw invalid("unknown parameter '\(item.name)' (only sslmode is understood)")
            }
        }
        self.init(host: host, port: port, user: user,
                  password: components.password ?? environment["PGPASSWORD"], database: path, tls: tls)
    }

    public var description: String {
        let address = host.contains(":") ? "[\(host)]" : host
        return "postgres://\(user)@\(address):\(port)/\(database)" + (tls == .disable ? "" : "?sslmode=\(tls.rawValue)")
    }
}
