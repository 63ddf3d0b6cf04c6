import LskelPool

/// Everything `lskeld` can be told, with defaults for a 2-core machine and no
/// external services.
public struct ServerConfiguration: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    /// Where generated loaders are kept (content-addressed).
    public var dataDirectory = "lskeld-data"
    /// Largest upload accepted, in bytes.
    public var maxUploadBytes = 16 << 20
    /// Most objects in one batch.
    public var maxBatchObjects = 64
    /// In-memory cache in front of the data directory, in bytes.
    public var memoryCacheBytes = 64 << 20
    /// On-disk store bound, in bytes.
    public var diskCacheBytes = 1 << 30
    /// Directory of the web form and schemas.
    public var publicDirectory = "Public"
    public var pool: WorkerPoolConfiguration

    public init(workerPath: String) {
        pool = WorkerPoolConfiguration(workerPath: workerPath)
    }
}
