import LskelPool
import ServiceLifecycle

/// Runs with the application: boots the verification guests (if any) so the
/// first `verify` does not pay for a boot, and connects the store; on graceful shutdown the pool stops
/// taking jobs, the jobs in flight finish, the guests are stopped, and the store
/// writes what is pending before the process exits.
struct PoolService: Service {
    let pool: WorkerPool
    let store: any LoaderStoring
    var verification: VerificationService? = nil

    func run() async throws {
        await store.start()
        if let verification {
            Task { await verification.pool.start() }
        }
        try? await gracefulShutdown()
        await pool.shutdown()
        verification?.pool.shutdown()
        await store.close()
    }
}
