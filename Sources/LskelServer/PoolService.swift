import LskelPool
import ServiceLifecycle

/// Runs with the application: on graceful shutdown the pool stops taking
/// jobs, the jobs in flight finish, and the store writes what is pending
/// before the process exits.
struct PoolService: Service {
    let pool: WorkerPool
    let store: LoaderStore

    func run() async throws {
        try? await gracefulShutdown()
        await pool.shutdown()
        await store.flush()
    }
}
