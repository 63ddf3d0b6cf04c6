import ArgumentParser
import CLskelSystem
import Foundation
import Hummingbird
import Logging
import LskelServer
import LskelSign

/// lskeld: the light-skeleton generation service.
///
/// Every option can also come from the environment as `LSKELD_<OPTION>`
/// (for example `LSKELD_PORT=9000`, `LSKELD_DATA_DIR=/var/lib/lskeld`); a
/// flag given on the command line wins.
@main
struct Lskeld: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lskeld",
        abstract: "Serve libbpf light-skeleton loaders over HTTP, generated in sandboxed workers."
    )

    @Option(help: "Address to bind.") var host: String?
    @Option(help: "Port to listen on.") var port: Int?
    @Option(name: .customLong("store"), help: "Where loaders are kept: a directory (default lskeld-data), or postgres://USER[:PASSWORD]@HOST[:PORT]/DB[?sslmode=disable|prefer|require] shared by every replica (the password may come from PGPASSWORD).")
    var store: String?
    @Option(name: .customLong("data-dir"), help: "The same as --store DIR.") var dataDir: String?
    @Option(name: .customLong("public-dir"), help: "Directory of the web form and schemas.") var publicDir: String?
    @Option(name: .customLong("worker-path"), help: "The lskel-worker executable (default: next to lskeld).") var workerPath: String?
    @Option(name: .customLong("max-upload-bytes"), help: "Largest upload accepted.") var maxUploadBytes: Int?
    @Option(name: .customLong("pool-size"), help: "Generations that run at once.") var poolSize: Int?
    @Option(name: .customLong("warm-workers"), help: "Sandboxed workers kept waiting.") var warmWorkers: Int?
    @Option(name: .customLong("queue-limit"), help: "Jobs that may wait before requests get 503.") var queueLimit: Int?
    @Option(name: .customLong("late-exits"), help: "Late exits: a job exits at nice 19 while fewer answered jobs are exiting (32; 0 to 128; 0: none).") var lateExits: Int?
    @Option(name: .customLong("job-memory-mib"), help: "Address-space limit of one worker.") var jobMemoryMiB: UInt64?
    @Option(name: .customLong("job-cpu-seconds"), help: "CPU-time limit of one worker.") var jobCPUSeconds: UInt64?
    @Option(name: .customLong("job-timeout"), help: "Wall-clock limit of one job, seconds.") var jobTimeout: Double?
    @Option(name: .customLong("memory-cache-bytes"), help: "In-memory cache size.") var memoryCacheBytes: Int?
    @Option(name: .customLong("key-memo-bytes"),
            help: "Recent uploads kept whole so that a repeated upload finds its key by comparison, not hashing (0: none).")
    var keyMemoBytes: Int?
    @Option(name: .customLong("store-bytes"), help: "The store's bound in bytes, least recently used out first (1 GiB; for a database, shared by every replica).")
    var storeBytes: Int?
    @Option(name: .customLong("disk-cache-bytes"), help: "The same as --store-bytes.") var diskCacheBytes: Int?
    @Option(name: .customLong("store-timeout"), help: "Seconds a database may take to answer before the store counts as unavailable (2).")
    var storeTimeout: Double?
    @Option(name: .customLong("sandbox"), help: "strict: refuse to start without full worker isolation; best-effort: report the level and go on.") var sandbox: String?
    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.") var logLevel: String?
    @Option(name: .customLong("kernels"), help: "Kernel matrix for verify= (deploy/fetch-kernels DIR; deploy/build-guest DIR).") var kernels: String?
    @Option(name: .customLong("verify-pool"), help: "Guests kept booted per kernel series (1).") var verifyPool: Int?
    @Option(name: .customLong("tokens"), help: "File of bearer token hashes (NAME sha256:HEX RATE/s|m|h per line) required on /v1.") var tokens: String?
    @Option(name: .customLong("signing-key"), help: "A key to sign loaders with, as NAME=KEY.pem,CERT (PEM or DER); repeatable. The key file must be readable by its owner only. LSKELD_SIGNING_KEYS takes several, separated by ';'.")
    var signingKeys: [String] = []
    @Flag(name: .customLong("allow-anonymous"), help: "Serve a non-loopback address without tokens.") var allowAnonymous = false
    @Option(name: .customLong("read-header-timeout"), help: "Seconds from a request's first byte (or a new connection) to the end of its head (10).")
    var readHeaderTimeout: Double?
    @Option(name: .customLong("read-body-timeout"), help: "Seconds a request body may make no progress (30).") var readBodyTimeout: Double?
    @Option(name: .customLong("idle-timeout"), help: "Seconds a kept-alive connection may wait for its next request (60).") var idleTimeout: Double?
    @Option(name: .customLong("max-connections"), help: "Client connections open at once (4096, and no more than the open-file limit allows).")
    var maxConnections: Int?

    func validate() throws {
        if let sandbox = setting(sandbox, "SANDBOX"), !["strict", "best-effort"].contains(sandbox) {
            throw ValidationError("--sandbox is strict or best-effort, not '\(sandbox)'")
        }
    }

    /// The flag, else the environment variable `LSKELD_<name>`.
    func setting(_ value: String?, _ name: String) -> String? {
        value ?? ProcessInfo.processInfo.environment["LSKELD_\(name)"]
    }

    func setting<T: LosslessStringConvertible>(_ value: T?, _ name: String) throws -> T? {
        if let value { return value }
        guard let text = ProcessInfo.processInfo.environment["LSKELD_\(name)"] else { return nil }
        guard let parsed = T(text) else { throw ValidationError("LSKELD_\(name)='\(text)' is not valid") }
        return parsed
    }

    func run() async throws {
        lskel_malloc_long_server()
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        let defaultWorker = executable.deletingLastPathComponent().appendingPathComponent("lskel-worker").path
        var configuration = ServerConfiguration(workerPath: setting(workerPath, "WORKER_PATH") ?? defaultWorker)
        if let value = setting(host, "HOST") { configuration.host = value }
        if let value = try setting(port, "PORT") { configuration.port = value }
        if let store, let dataDir, store != dataDir {
            throw ValidationError("--store and --data-dir name two stores; give one")
        }
        // A flag wins over the environment; LSKELD_STORE over LSKELD_DATA_DIR (so a Secret
        // holding the database URL overrides an image's default directory).
        let environment = ProcessInfo.processInfo.environment
        if let text = store ?? dataDir ?? environment["LSKELD_STORE"] ?? environment["LSKELD_DATA_DIR"] {
            do {
                configuration.store = try StoreLocation(parsing: text)
            } catch {
                throw ValidationError("\(error)")
            }
        }
        if let value = setting(publicDir, "PUBLIC_DIR") { configuration.publicDirectory = value }
        if let value = try setting(maxUploadBytes, "MAX_UPLOAD_BYTES") { configuration.maxUploadBytes = value }
        if let value = try setting(poolSize, "POOL_SIZE") { configuration.pool.concurrency = value }
        if let value = try setting(warmWorkers, "WARM_WORKERS") { configuration.pool.warmWorkers = value }
        if let value = try setting(queueLimit, "QUEUE_LIMIT") { configuration.pool.queueLimit = value }
        if let value = try setting(lateExits, "LATE_EXITS") {
            guard (0...type(of: configuration.pool).maxLateExits).contains(value) else {
                throw ValidationError("--late-exits is 0 to \(type(of: configuration.pool).maxLateExits), not \(value)")
            }
            configuration.pool.lateExits = value
        }
        if let value = try setting(jobMemoryMiB, "JOB_MEMORY_MIB") { configuration.pool.memoryMiB = value }
        if let value = try setting(jobCPUSeconds, "JOB_CPU_SECONDS") { configuration.pool.cpuSeconds = value }
        if let value = try setting(jobTimeout, "JOB_TIMEOUT") { configuration.pool.wallSeconds = value }
        if let value = try setting(memoryCacheBytes, "MEMORY_CACHE_BYTES") { configuration.memoryCacheBytes = value }
        if let value = try setting(keyMemoBytes, "KEY_MEMO_BYTES") { configuration.keyMemoBytes = value }
        if let value = try setting(storeBytes, "STORE_BYTES") ?? setting(diskCacheBytes, "DISK_CACHE_BYTES") {
            guard value >= 0 else { throw ValidationError("--store-bytes must be 0 or more") }
            configuration.storeBytes = value
        }
        if let value = try setting(storeTimeout, "STORE_TIMEOUT") {
            guard value > 0 && value <= 600 else { throw ValidationError("--store-timeout is seconds from 0 to 600, not \(value)") }
            configuration.storeTimeoutSeconds = value
        }
        if let value = setting(kernels, "KERNELS") { configuration.kernels = value }
        if let value = try setting(verifyPool, "VERIFY_POOL") {
            guard value >= 1 else { throw ValidationError("--verify-pool must be at least 1") }
            configuration.verifyPool = value
        }
        if let value = try setting(readHeaderTimeout, "READ_HEADER_TIMEOUT") { configuration.connections.readHeaderSeconds = value }
        if let value = try setting(readBodyTimeout, "READ_BODY_TIMEOUT") { configuration.connections.readBodySeconds = value }
        if let value = try setting(idleTimeout, "IDLE_TIMEOUT") { configuration.connections.idleSeconds = value }
        if let value = try setting(maxConnections, "MAX_CONNECTIONS") { configuration.connections.maxConnections = value }
        for (value, name) in [(configuration.connections.readHeaderSeconds, "read-header-timeout"),
                              (configuration.connections.readBodySeconds, "read-body-timeout"),
                              (configuration.connections.idleSeconds, "idle-timeout")] where !(value > 0 && value <= 86_400) {
            throw ValidationError("\(name) (or its LSKELD_ variable) is seconds from 0 to 86400, not \(value)")
        }
        guard configuration.connections.maxConnections >= 1 else {
            throw ValidationError("max-connections (or LSKELD_MAX_CONNECTIONS) must be at least 1")
        }
        configuration.pool.maxObjectBytes = configuration.maxUploadBytes
        configuration.pool.requireFullSandbox = setting(sandbox, "SANDBOX") == "strict"
        if let path = setting(tokens, "TOKENS") {
            guard let text = FileManager.default.contents(atPath: path).map({ String(decoding: $0, as: UTF8.self) }) else {
                throw ValidationError("cannot read the tokens file \(path)")
            }
            do {
                configuration.tokens = try AccessTokens(text: text)
            } catch {
                throw ValidationError("\(error)")
            }
        }
        let keySpecs = !signingKeys.isEmpty ? signingKeys
            : (ProcessInfo.processInfo.environment["LSKELD_SIGNING_KEYS"] ?? "").split(separator: ";").map(String.init)
        for spec in keySpecs {
            guard let equals = spec.firstIndex(of: "="), let comma = spec[equals...].firstIndex(of: ",") else {
                throw ValidationError("--signing-key is NAME=KEY.pem,CERT, not '\(spec)'")
            }
            let name = String(spec[..<equals])
            guard !name.isEmpty, name.utf8.count <= 64, name.allSatisfy({ $0.isLetter || $0.isNumber || "._-".contains($0) }),
                  configuration.signingKeys[name] == nil else {
                throw ValidationError("--signing-key name '\(name)' must be unique, 1 to 64 letters, digits, '.', '_' or '-'")
            }
            do {
                configuration.signingKeys[name] = try SigningKey(name: name, keyPath: String(spec[spec.index(after: equals)..<comma]),
                                                                 certificatePath: String(spec[spec.index(after: comma)...]))
            } catch {
                throw ValidationError("\(error)")
            }
        }
        configuration.allowAnonymous = allowAnonymous || ProcessInfo.processInfo.environment["LSKELD_ALLOW_ANONYMOUS"] == "1"
        do {
            try configuration.checkAccess()
        } catch {
            throw ValidationError("\(error)")
        }

        var logger = Logger(label: "lskeld")
        logger.logLevel = setting(logLevel, "LOG_LEVEL").flatMap(Logger.Level.init(rawValue:)) ?? .info
        let app = try await buildApplication(configuration: configuration, logger: logger)
        try await app.runService()
    }
}
