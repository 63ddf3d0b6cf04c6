import LskelPool
import LskelSign

/// Everything `lskeld` can be told, with defaults for a 2-core machine and no
/// external services.
public struct ServerConfiguration: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    /// Where generated loaders are kept (content-addressed): a directory, or a
    /// PostgreSQL database that replicas share.
    public var store = StoreLocation.directory("lskeld-data")
    /// Largest upload accepted, in bytes.
    public var maxUploadBytes = 16 << 20
    /// Most objects in one batch.
    public var maxBatchObjects = 64
    /// In-memory cache in front of the data directory, in bytes.
    public var memoryCacheBytes = 64 << 20
    /// Recent uploads kept whole so that the same upload again finds its key by
    /// comparison instead of SHA-256 (``UploadKeyMemo``), in bytes; 0 for none.
    public var keyMemoBytes = 64 << 20
    /// The store's bound, in bytes (the directory's files, or the database's rows for all replicas).
    public var storeBytes = 1 << 30
    /// How long a database may take to answer one store operation before it counts as unavailable.
    public var storeTimeoutSeconds = 2.0
    /// Directory of the web form and schemas.
    public var publicDirectory = "Public"
    public var pool: WorkerPoolConfiguration
    /// Timeouts for slow clients and the connection budget.
    public var connections = ConnectionLimits()
    /// Bearer tokens required on the API, or nil for none.
    public var tokens: AccessTokens?
    /// Without tokens, bind to a non-loopback address only when this is set.
    public var allowAnonymous = false
    /// The kernel matrix (deploy/fetch-kernels DIR, deploy/build-guest DIR), or nil: no `verify`.
    public var kernels: String?
    /// Guests kept booted per kernel series.
    public var verifyPool = 1
    /// Signing keys by name (`--signing-key NAME=KEY.pem,CERT`), read and checked at start.
    public var signingKeys: [String: SigningKey] = [:]

    /// Whether `host` is a loopback address.
    public var bindsLoopbackOnly: Bool {
        ["127.0.0.1", "localhost", "::1", "[::1]"].contains(host) || host.hasPrefix("127.")
    }

    /// Refuses to serve strangers anonymously unless told to.
    public func checkAccess() throws {
        if tokens == nil && !allowAnonymous && !bindsLoopbackOnly {
            throw ServerConfigurationError("refusing to serve \(host) without --tokens: anyone who can reach it could use it; give --tokens FILE, or --allow-anonymous to accept that")
        }
    }

    public init(workerPath: String) {
        pool = WorkerPoolConfiguration(workerPath: workerPath)
    }
}

public struct ServerConfigurationError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
