import LskelModel
import LskelPool

/// What the service needs to turn an object into a loader: the sandboxed
/// worker pool in lskeld; in tests that exercise only the routes, the
/// in-process pipeline (the same engine, without the processes).
public protocol LoaderGenerating: Sendable {
    func generate(_ request: WorkerRequest, object: [UInt8]) async throws -> WorkerResult
    /// The same on an upload as it arrived.
    func generate(_ request: WorkerRequest, upload: UploadBody) async throws -> WorkerResult
    /// The isolation the generator runs objects in, once it is ready.
    var readiness: GeneratorReadiness? { get async }
}

/// What `/readyz` and `/metrics` report of a generator.
public struct GeneratorReadiness: Sendable {
    public var sandbox: SandboxReport
    public var stats: WorkerPoolStats
    public var concurrency: Int
    public var queueLimit: Int

    public init(sandbox: SandboxReport, stats: WorkerPoolStats, concurrency: Int, queueLimit: Int) {
        self.sandbox = sandbox
        self.stats = stats
        self.concurrency = concurrency
        self.queueLimit = queueLimit
    }
}

extension LoaderGenerating {
    /// The upload joined: for a generator that needs the object whole.
    public func generate(_ request: WorkerRequest, upload: UploadBody) async throws -> WorkerResult {
        try await generate(request, object: upload.bytes)
    }
}

extension WorkerPool: LoaderGenerating {
    /// An upload that arrived in fragments goes to the job as they are, never joined.
    public func generate(_ request: WorkerRequest, upload: UploadBody) async throws -> WorkerResult {
        if let fragments = upload.unjoinedFragments { return try await generate(request, fragments: fragments) }
        return try await generate(request, object: upload.bytes)
    }

    public var readiness: GeneratorReadiness? {
        guard let sandbox else { return nil }
        return GeneratorReadiness(sandbox: sandbox, stats: stats, concurrency: configuration.concurrency,
                                  queueLimit: configuration.queueLimit)
    }
}

/// Where generated loaders are kept by key, each with its memory cache in
/// front: files in a directory (``LoaderStore``) or rows in PostgreSQL shared
/// by every replica (``PostgresLoaderStore``).
///
/// A store that cannot answer is a miss, never an error or a partial loader:
/// the service then generates, and ``report`` says so.
public protocol LoaderStoring: Sendable {
    func get(_ key: String) async -> StoredLoader?
    func put(_ loader: StoredLoader) async
    /// Waits until every loader put so far is stored (or failed to be).
    func flush() async
    var report: StoreReport { get async }
    /// Connects (a database) or does nothing (a directory, opened before).
    func start() async
    /// Stores what is pending, then lets go of the store.
    func close() async
}

