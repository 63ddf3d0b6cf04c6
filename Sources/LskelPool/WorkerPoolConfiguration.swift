/// Sizes and limits of the worker pool. The defaults suit a 2-core machine.
public struct WorkerPoolConfiguration: Sendable {
    /// Path of the `lskel-worker` executable.
    public var workerPath: String
    /// Jobs that run at once.
    public var concurrency: Int = 2
    /// Workers kept started, sandboxed and waiting for a request.
    public var warmWorkers: Int = 2
    /// Jobs that may wait for a free slot before requests are refused with 503.
    public var queueLimit: Int = 64
    /// Per-job limits.
    public var memoryMiB: UInt64 = 256
    public var cpuSeconds: UInt64 = 5
    public var wallSeconds: Double = 5
    /// How long the fork server may take to fork a job before it is
    /// replaced (and the job runs on the new one).
    public var forkSeconds: Double = 2
    public var maxOutputBytes: Int = 64 << 20
    /// The pool asks a job for a late exit (``WorkerRequest/lateExit``) only while
    /// fewer answered jobs than this are exiting; past that, jobs exit at their own
    /// priority. Read as each job starts, so up to ``concurrency`` more may pass at
    /// once. Measured at concurrency 8 on two cores with no bound, 12-46 were
    /// exiting at any time.
    public var lateExits: Int = 32

    /// The largest ``lateExits``: the fork server holds 256 jobs (fork_server.c,
    /// `MAX_JOBS`), and a job keeps its place until it is reaped.
    public static let maxLateExits = 128
    public var maxObjectBytes: Int = 16 << 20
    /// Refuse to start unless every sandbox layer is in force.
    public var requireFullSandbox: Bool = false
    /// Test only: let requests ask the worker for hostile actions.
    public var allowTestHostile: Bool = false
    /// Test only: sandbox layers the workers leave out, as if the kernel refused them.
    public var testSimulateMissingLayers: [String] = []

    public init(workerPath: String) {
        self.workerPath = workerPath
    }

    var workerArguments: [String] {
        var arguments = [workerPath, "--memory-mib", String(memoryMiB), "--cpu-seconds", String(cpuSeconds),
                         "--max-request-bytes", String(maxObjectBytes + (1 << 20))]
        if allowTestHostile { arguments.append("--allow-test-hostile") }
        for layer in testSimulateMissingLayers { arguments += ["--simulate-missing-layer", layer] }
        return arguments
    }
}
