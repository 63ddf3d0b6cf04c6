import Prometheus
import LskelPool

/// The service's Prometheus metrics, served at `/metrics`.
public final class ServerMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    let generationSeconds: ValueHistogram
    let cacheHits: Counter
    let cacheMisses: Counter
    /// Uploads whose key came from ``UploadKeyMemo`` (compared, not hashed).
    let keyMemoHits: Counter
    let workerSpawns: Counter
    let forkServerStarts: Counter
    let workerKills: Counter
    let workerCrashes: Counter
    let workerContained: Counter
    let rejectedSaturated: Counter
    let queueDepth: Gauge
    let busyWorkers: Gauge
    let warmWorkers: Gauge
    let unresponsiveServers: Counter
    let sharedGenerations: Counter
    let connectionsOpen: Gauge
    let connectionsEvicted: Counter
    let connectionsRefused: Counter
    let connections: ConnectionBudget
    /// Guests of the kernel matrix replaced (timed out, died, or ran their share of jobs).
    let guestRestarts: Gauge
    /// 1 while the store answers, 0 while loaders are generated for want of it.
    let storeAvailable: Gauge
    let storeFailures: Counter
    let storeBytes: Gauge
    private let seenStoreFailures = Locked(0)
    private let seen = Locked(WorkerPoolStats())
    private let seenConnections = Locked(ConnectionBudget.Counts())

    /// Metrics for a router without lskeld's connection budget (tests of the routes alone).
    public convenience init() {
        self.init(connections: ConnectionBudget(limit: Int.max))
    }

    init(connections: ConnectionBudget) {
        self.connections = connections
        generationSeconds = registry.makeValueHistogram(
            name: "lskeld_generation_seconds",
            buckets: [0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
            help: "Time to generate one loader in a sandboxed worker")
        storeAvailable = registry.makeGauge(name: "lskeld_store_available", help: "1 while the loader store answers, else 0")
        storeFailures = registry.makeCounter(name: "lskeld_store_failures_total",
                                             help: "Store operations that failed or got no answer in time")
        storeBytes = registry.makeGauge(name: "lskeld_store_bytes", help: "Bytes of loaders in the store (all replicas' for a database)")
        guestRestarts = registry.makeGauge(name: "lskeld_guest_restarts", help: "Verification guests replaced since start")
        cacheHits = registry.makeCounter(name: "lskeld_cache_hits_total", help: "Requests answered from the content-addressed store")
        cacheMisses = registry.makeCounter(name: "lskeld_cache_misses_total", help: "Requests that needed a generation")
        keyMemoHits = registry.makeCounter(name: "lskeld_key_memo_hits_total",
                                           help: "Uploads whose content address was found by comparing them with a recent upload instead of hashing")
        workerSpawns = registry.makeCounter(name: "lskeld_worker_spawns_total", help: "Worker processes forked for jobs")
        forkServerStarts = registry.makeCounter(name: "lskeld_fork_server_starts_total",
                                                help: "Sandboxed fork servers started: the first, and one after each that died")
        workerKills = registry.makeCounter(name: "lskeld_worker_kills_total", help: "Workers killed at the deadline or the output cap")
        workerCrashes = registry.makeCounter(name: "lskeld_worker_crashes_total", help: "Workers that crashed or failed")
        workerContained = registry.makeCounter(name: "lskeld_worker_contained_total", help: "Workers stopped by seccomp or resource limits")
        rejectedSaturated = registry.makeCounter(name: "lskeld_rejected_saturated_total", help: "Requests refused with 503 because the queue was full")
        queueDepth = registry.makeGauge(name: "lskeld_queue_depth", help: "Jobs waiting for a worker")
        busyWorkers = registry.makeGauge(name: "lskeld_workers_busy", help: "Jobs running in workers")
        warmWorkers = registry.makeGauge(name: "lskeld_workers_warm", help: "Sandboxed workers waiting for a request")
        unresponsiveServers = registry.makeCounter(name: "lskeld_fork_server_unresponsive_total",
                                                   help: "Fork servers replaced because they stopped forking jobs")
        sharedGenerations = registry.makeCounter(name: "lskeld_single_flight_shared_total",
                                                 help: "Requests answered by a generation another request with the same key had started")
        connectionsOpen = registry.makeGauge(name: "lskeld_connections_open", help: "Client connections open")
        connectionsEvicted = registry.makeCounter(name: "lskeld_connections_evicted_total",
                                                  help: "Idle or slow connections closed to make room under --max-connections")
        connectionsRefused = registry.makeCounter(name: "lskeld_connections_refused_total",
                                                  help: "Connections closed at once: every connection was busy with a request")
    }

    /// Counts one answered request.
    func request(route: String, method: String, status: Int) {
        registry.makeCounter(name: "lskeld_http_requests_total",
                             labels: [("route", route), ("method", method), ("status", String(status))],
                             help: "HTTP requests by route, method and status").increment()
    }

    /// Brings the pool counters up to date (called before each scrape).
    /// One verification: counted by kernel and result, its time by kernel.
    func recordVerification(series: String, result: String, seconds: Double) {
        registry.makeCounter(name: "lskeld_verifications_total", labels: [("kernel", series), ("result", result)],
                             help: "Loaders run in a kernel of the matrix, by kernel and result").increment()
        registry.makeValueHistogram(name: "lskeld_verification_seconds", labels: [("kernel", series)],
                                    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
                                    help: "Time of one verification job in a guest").record(seconds)
    }

    func update(from stats: WorkerPoolStats) {
        let previous = seen.exchange(stats)
        func delta(_ now: Int, _ before: Int) -> Int64 { Int64(max(0, now - before)) }
        workerSpawns.increment(by: delta(stats.spawned, previous.spawned))
        forkServerStarts.increment(by: delta(stats.forkServerStarts, previous.forkServerStarts))
        workerKills.increment(by: delta(stats.killedTimeout + stats.killedOutput, previous.killedTimeout + previous.killedOutput))
        workerCrashes.increment(by: delta(stats.crashed, previous.crashed))
        workerContained.increment(by: delta(stats.forbiddenSyscalls + stats.limitExceeded, previous.forbiddenSyscalls + previous.limitExceeded))
        rejectedSaturated.increment(by: delta(stats.rejectedSaturated, previous.rejectedSaturated))
        queueDepth.set(Double(stats.queued))
        busyWorkers.set(Double(stats.busy))
        warmWorkers.set(Double(stats.warm))
        unresponsiveServers.increment(by: delta(stats.unresponsiveServers, previous.unresponsiveServers))
        let counts = connections.counts
        let before = seenConnections.exchange(counts)
        connectionsEvicted.increment(by: delta(counts.evicted, before.evicted))
        connectionsRefused.increment(by: delta(counts.refused, before.refused))
        connectionsOpen.set(Double(connections.open))
    }

    func update(from store: StoreReport) {
        storeAvailable.set(Int64(store.state == .available ? 1 : 0))
        let before = seenStoreFailures.exchange(store.failures)
        storeFailures.increment(by: Int64(max(0, store.failures - before)))
        if let stored = store.stored { storeBytes.set(Int64(stored.bytes)) }
    }
}
