import LskelModel
import LskelPool

/// What the service needs to turn an object into a loader: the sandboxed
/// worker pool in lskeld; in tests that exercise only the routes, the
/// in-process pipeline (the same engine, without the processes).
public protocol LoaderGenerating: Sendable {
    func generate(_ request: WorkerRequest, object: [UInt8]) async throws -> WorkerResult
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

extension WorkerPool: LoaderGenerating {
    public var readiness: GeneratorReadiness? {
        guard let sandbox else { return nil }
        return GeneratorReadiness(sandbox: sandbox, stats: stats, concurrency: configuration.concurrency,
                                  queueLimit: configuration.queueLimit)
    }
}

/// Where generated loaders are kept by key: the disk store with its memory
/// cache in lskeld, or any other that answers the same way.
public protocol LoaderStoring: Sendable {
    func get(_ key: String) async -> StoredLoader?
    func put(_ loader: StoredLoader) async
}

extension LoaderStore: LoaderStoring {}
