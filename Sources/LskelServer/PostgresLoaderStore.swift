import Foundation
import Logging
import LskelModel
import NIOCore
import PostgresNIO

/// Generated loaders as rows of one PostgreSQL table that every replica
/// shares, with the in-memory LRU in front (see ``LoaderMemoryCache``).
///
/// - A row holds the same frame as a loader file (``StoredLoaderFrame``) and
///   its SHA-256; a row whose frame does not check out is a miss and is
///   deleted. A row is written in one statement, so a replica killed
///   mid-write leaves no row at all, never part of one.
/// - Concurrent writers of one key: the key is the content address, so the
///   first row wins (`ON CONFLICT DO NOTHING`) and every writer's bytes are
///   the same.
/// - Least recently used eviction under one byte budget for all replicas:
///   each read touches `used_at`; memory hits are touched in batches; after
///   each insert, under an advisory lock, the oldest rows beyond the budget go.
/// - A database that stops answering (an error or no answer within the
///   timeout) makes the store unavailable: reads are misses and writes are
///   dropped at once, so requests are generated and never wait on it, and
///   ``report`` says so. A probe each second brings it back with a new client.
public actor PostgresLoaderStore: LoaderStoring {
    public let location: PostgresLocation
    let budget: Int
    let timeout: Duration
    let logger: Logger
    private var memory: LoaderMemoryCache
    private var client: PostgresClient?
    private var clientTask: Task<Void, Never>?
    private var state = StoreReport.State.connecting
    private var reason = "not connected yet"
    private var stored: StoreReport.Usage?
    private var pendingWrites: [String: StoredLoader] = [:]
    private var writeQueue: [String] = []
    private var writer: Task<Void, Never>?
    private var touched: Set<String> = []
    private var maintenance: Task<Void, Never>?
    private var closed = false
    private var failures = 0

    static let table = "lskel_loaders"
    /// Advisory lock ids (any two constants of ours): schema creation, eviction.
    static let schemaLock: Int64 = 0x6c736b_656c_0001
    static let evictionLock: Int64 = 0x6c736b_656c_0002

    public init(location: PostgresLocation, memoryLimit: Int, budget: Int, timeout: Duration = .seconds(2), logger: Logger) {
        self.location = location
        self.budget = budget
        self.timeout = timeout
        self.logger = logger
        memory = LoaderMemoryCache(limit: memoryLimit)
    }

    // MARK: lifecycle

    /// Connects in the background: until the database answers, the store is a miss.
    public func start() {
        guard maintenance == nil, !closed else { return }
        maintenance = Task { await self.maintain() }
    }

    /// Writes what is pending (while the database answers), then disconnects.
    public func close() async {
        await flush()
        closed = true
        maintenance?.cancel()
        maintenance = nil
        clientTask?.cancel()
        clientTask = nil
        client = nil
    }

    public func flush() async {
        while let writer {
            await writer.value
        }
    }

    public var report: StoreReport {
        StoreReport(kind: "postgres", location: location.description, state: state,
                    reason: state == .available ? "" : reason, budgetBytes: budget,
                    memory: .init(entries: memory.count, bytes: memory.bytes), stored: stored, failures: failures)
    }

    // MARK: reads and writes

    public func get(_ key: String) async -> StoredLoader? {
        if let loader = memory.get(key) {
            touched.insert(key)
            return loader
        }
        if let pending = pendingWrites[key] { return pending }
        let found = await withDatabase("read") { client -> (frame: ByteBuffer, digest: String)? in
            let rows = try await client.query(
                "UPDATE lskel_loaders SET used_at = now() WHERE key = \(key) RETURNING frame, frame_sha256")
            for try await (frame, digest) in rows.decode((ByteBuffer, String).self) {
                return (frame, digest)
            }
            return nil
        }
        guard let row = found ?? nil else { return nil }
        let bytes = Array(row.frame.readableBytesView)
        guard SHA256.hex(bytes) == row.digest, let loader = StoredLoaderFrame.decode(bytes, key: key) else {
            logger.warning("dropping a stored loader that does not check out", metadata: ["key": "\(key)"])
            let digest = row.digest
            _ = await withDatabase("delete") { client in
                try await client.query("DELETE FROM lskel_loaders WHERE key = \(key) AND frame_sha256 = \(digest)")
            }
            return nil
        }
        memory.put(loader)
        return loader
    }

    public func put(_ loader: StoredLoader) {
        memory.put(loader)
        guard !closed, pendingWrites[loader.key] == nil else { return }
        pendingWrites[loader.key] = loader
        writeQueue.append(loader.key)
        if writer == nil {
            writer = Task { await self.drainWrites() }
        }
    }

    private func drainWrites() async {
        var next = 0
        defer { writeQueue.removeAll() }
        while next < writeQueue.count {
            let key = writeQueue[next]
            next += 1
            guard let loader = pendingWrites[key] else { continue }
            let budget = self.budget
            let inserted = await withDatabase("write") { client -> Bool in
                guard let frame = StoredLoaderFrame.encode(loader), frame.count <= budget else { return false }
                let rows = try await client.query("""
                    INSERT INTO lskel_loaders (key, frame, frame_sha256, bytes)
                    VALUES (\(key), \(ByteBuffer(bytes: frame)), \(SHA256.hex(frame)), \(Int64(frame.count)))
                    ON CONFLICT (key) DO NOTHING RETURNING key
                    """)
                var count = 0
                for try await _ in rows { count += 1 }
                return count > 0
            }
            pendingWrites[key] = nil
            if inserted == true { await evict() }
        }
        writer = nil
    }

    /// Deletes the least recently used rows beyond the budget, one replica at a time.
    private func evict() async {
        let budget = Int64(self.budget)
        _ = await withDatabase("evict") { client in
            try await client.withTransaction(logger: Self.quiet) { connection in
                try await connection.query("SELECT pg_advisory_xact_lock(\(Self.evictionLock))", logger: Self.quiet)
                try await connection.query("""
                    DELETE FROM lskel_loaders WHERE key IN (
                      SELECT key FROM (
                        SELECT key, sum(bytes) OVER (ORDER BY used_at DESC, key DESC) AS newer_bytes FROM lskel_loaders
                      ) AS ranked WHERE newer_bytes > \(budget))
                    """, logger: Self.quiet)
            }
        }
    }

    // MARK: the database

    static let quiet = Logger(label: "lskeld.store", factory: { _ in SwiftLogNoOpLogHandler() })

    /// `body` against the database within the timeout, or nil (and the store
    /// unavailable) when it fails or takes longer; nil at once while unavailable.
    private func withDatabase<T: Sendable>(_ what: String, _ body: @escaping @Sendable (PostgresClient) async throws -> T) async -> T? {
        guard state == .available, let client else { return nil }
        do {
            return try await Deadline.run(within: timeout) { try await body(client) }
        } catch {
            failures += 1
            becomeUnavailable("\(what): \(Self.describe(error))")
            return nil
        }
    }

    private func becomeUnavailable(_ why: String) {
        guard state == .available else { return }
        state = .unavailable
        reason = why
        pendingWrites.removeAll()
        logger.warning("the store stopped answering; loaders are generated until it is back", metadata: [
            "store": "\(location)", "reason": "\(why)",
        ])
    }

    /// Connects, creates the table, then every second: touches what memory
    /// served, refreshes the usage, and (while unavailable) probes with a new client.
    private func maintain() async {
        var lastProblem = ""
        while !Task.isCancelled {
            if state != .available {
                let candidate = Self.makeClient(location, logger: logger)
                let task = Task { await candidate.run() }
                do {
                    // A first connection authenticates (SCRAM is many rounds of hashing): give it
                    // longer than one operation, and never less than 10 s.
                    try await Deadline.run(within: max(timeout * 5, .seconds(10))) { try await Self.createSchema(candidate) }
                    clientTask?.cancel()
                    client = candidate
                    clientTask = task
                    if state == .unavailable {
                        logger.notice("the store answers again", metadata: ["store": "\(location)"])
                    } else {
                        logger.info("store ready", metadata: ["store": "\(location)"])
                    }
                    state = .available
                    reason = ""
                } catch {
                    task.cancel()
                    reason = "cannot reach \(location): \(Self.describe(error))"
                    if reason != lastProblem { logger.warning("store unavailable", metadata: ["reason": "\(reason)"]) }
                    lastProblem = reason
                }
            } else {
                lastProblem = ""
                await flushTouches()
                await refreshUsage()
            }
            try? await Task.sleep(for: state == .available ? .seconds(5) : .seconds(1))
        }
    }

    private func flushTouches() async {
        guard !touched.isEmpty else { return }
        let keys = Array(touched)
        touched.removeAll()
        _ = await withDatabase("touch") { client in
            try await client.query("UPDATE lskel_loaders SET used_at = now() WHERE key = ANY(\(keys))")
        }
    }

    private func refreshUsage() async {
        let usage = await withDatabase("usage") { client -> StoreReport.Usage? in
            let rows = try await client.query("SELECT count(*)::bigint, coalesce(sum(bytes), 0)::bigint FROM lskel_loaders")
            for try await (count, bytes) in rows.decode((Int64, Int64).self) {
                return StoreReport.Usage(entries: Int(count), bytes: Int(bytes))
            }
            return nil
        }
        if let usage = usage ?? nil { stored = usage }
    }

    /// The usage as of now (for tests and the benchmark; /readyz shows the last refresh).
    public func storedUsage() async -> StoreReport.Usage? {
        await refreshUsage()
        return stored
    }

    static func createSchema(_ client: PostgresClient) async throws {
        try await client.withTransaction(logger: quiet) { connection in
            // Two replicas starting at once would race on CREATE ... IF NOT EXISTS.
            try await connection.query("SELECT pg_advisory_xact_lock(\(schemaLock))", logger: quiet)
            try await connection.query("""
                CREATE TABLE IF NOT EXISTS lskel_loaders (
                  key text PRIMARY KEY CHECK (key ~ '^[0-9a-f]{64}$'),
                  frame bytea NOT NULL,
                  frame_sha256 text NOT NULL,
                  bytes bigint NOT NULL,
                  created_at timestamptz NOT NULL DEFAULT now(),
                  used_at timestamptz NOT NULL DEFAULT now())
                """, logger: quiet)
            try await connection.query("CREATE INDEX IF NOT EXISTS lskel_loaders_used_at ON lskel_loaders (used_at)", logger: quiet)
        }
    }

    static func makeClient(_ location: PostgresLocation, logger: Logger) -> PostgresClient {
        let tls: PostgresClient.Configuration.TLS = switch location.tls {
        case .disable: .disable
        case .prefer: .prefer(.makeClientConfiguration())
        case .require: .require(.makeClientConfiguration())
        }
        var configuration = PostgresClient.Configuration(host: location.host, port: location.port, username: location.user,
                                                         password: location.password, database: location.database, tls: tls)
        configuration.options.connectTimeout = .seconds(2)
        configuration.options.maximumConnections = 8
        return PostgresClient(configuration: configuration, backgroundLogger: quiet)
    }

    /// One line for a log or /readyz: the server's message when it sent one.
    static func describe(_ error: any Error) -> String {
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] { return message }
            return "\(error.code)"
        }
        return "\(error)"
    }
}
