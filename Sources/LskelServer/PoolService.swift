import LskelPool
import ServiceLifecycle

/// Runs with the application: on graceful shutdown the pool stops taking
/// jobs and the jobs in flight finish before the process exits.
struct PoolService: Service {
    let pool: WorkerPool

    func run() async throws {
        try? await gracefulShutdown()
        await pool.shutdown()
    }
}
