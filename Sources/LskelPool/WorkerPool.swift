import Foundation
import LskelModel
import NIOCore

/// What one job through the pool produced.
public struct WorkerResult: Sendable {
    /// The worker's answer: the object's rejection, libbpf's log (the loader's
    /// files are the buffers below, not the answer's `header` and `manifest`).
    public var answer: WorkerAnswer
    /// The loader's files when the worker made one: slices of the buffer its
    /// answer was read into, stored and sent as they are.
    public var loader: Files?
    /// The isolation the worker that ran the job had.
    public var sandbox: SandboxReport
    /// Wall time of the job in the worker, seconds.
    public var elapsed: Double

    public struct Files: Sendable {
        public var header: ByteBuffer
        public var insns: ByteBuffer
        public var data: ByteBuffer
        public var manifest: ByteBuffer

        public init(header: ByteBuffer, insns: ByteBuffer, data: ByteBuffer, manifest: ByteBuffer) {
            self.header = header
            self.insns = insns
            self.data = data
            self.manifest = manifest
        }
    }

    public init(answer: WorkerAnswer, loader: Files?, sandbox: SandboxReport, elapsed: Double) {
        self.answer = answer
        self.loader = loader
        self.sandbox = sandbox
        self.elapsed = elapsed
    }

    /// A result from an answer that carries its header and manifest as text (a generation in process).
    public init(answer: WorkerAnswer, insns: [UInt8], data: [UInt8], sandbox: SandboxReport, elapsed: Double) {
        var answer = answer
        if let header = answer.header, let manifest = answer.manifest {
            loader = Files(header: ByteBuffer(string: header), insns: ByteBuffer(bytes: insns), data: ByteBuffer(bytes: data),
                           manifest: ByteBuffer(string: manifest))
        }
        answer.header = nil
        answer.manifest = nil
        self.answer = answer
        self.sandbox = sandbox
        self.elapsed = elapsed
    }

    public var headerText: String? { loader.map { String(buffer: $0.header) } }
    public var manifestText: String? { loader.map { String(buffer: $0.manifest) } }
    public var insns: [UInt8] { loader.map { Array($0.insns.readableBytesView) } ?? [] }
    public var data: [UInt8] { loader.map { Array($0.data.readableBytesView) } ?? [] }
}

/// Counters for metrics and tests.
public struct WorkerPoolStats: Sendable, Equatable {
    /// Fork servers started: the first, and one after each that died.
    public var forkServerStarts = 0
    /// Fork servers replaced because they stopped forking jobs.
    public var unresponsiveServers = 0
    /// Job processes forked.
    public var spawned = 0
    public var completed = 0
    public var killedTimeout = 0
    public var killedOutput = 0
    public var crashed = 0
    public var forbiddenSyscalls = 0
    public var limitExceeded = 0
    public var rejectedSaturated = 0
    public var busy = 0
    public var queued = 0
    public var warm = 0

    public init() {}
}

/// Sandboxed single-use workers, forked by a fork server. The pool starts one
/// `lskel-worker --fork-server` (warmed up and locked down once) and keeps
/// `warmWorkers` jobs forked from it, each waiting for a request; a job
/// takes one, sends it one request and collects the answer, and a
/// replacement is forked. A process never serves two requests. At most
/// `concurrency` jobs run; up to `queueLimit` wait; more are refused with
/// ``WorkerError/saturated(retryAfterSeconds:)``. A fork server that dies is
/// started again on the next request.
///
/// ```swift
/// let pool = WorkerPool(configuration: .init(workerPath: "/usr/lib/lskeld/lskel-worker"))
/// let sandbox = try await pool.start()
/// let result = try await pool.generate(request, object: bytes)
/// ```
public actor WorkerPool {
    public nonisolated let configuration: WorkerPoolConfiguration
    private var server: ForkServer?
    private var starting: Task<ForkServer, Error>?
    private var warm: [ForkedJob] = []
    private var running = 0
    private var waiters: [CheckedContinuation<Void, Error>] = []
    private var drained: [CheckedContinuation<Void, Never>] = []
    private var closed = false
    private var averageJobSeconds = 0.02
    public private(set) var sandbox: SandboxReport?
    private var counters = WorkerPoolStats()

    public init(configuration: WorkerPoolConfiguration) {
        self.configuration = configuration
    }

    public var stats: WorkerPoolStats {
        var stats = counters
        stats.busy = running
        stats.queued = waiters.count
        stats.warm = warm.count
        return stats
    }

    /// Jobs that answered and are still exiting.
    var exitingJobs: Int { server?.exitingJobs ?? 0 }

    /// The current fork server's ``ForkServer/reapedAfterAnswer`` (for tests).
    var reapedAfterAnswer: (all: Int, failed: Int) { server?.reapedAfterAnswer ?? (0, 0) }

    /// The fork server's process (it and every job share its process group).
    var serverPID: pid_t? { server?.pid }

    /// Starts the fork server and reports its sandbox; with
    /// `requireFullSandbox`, fails unless every layer is in force.
    @discardableResult
    public func start() async throws -> SandboxReport {
        // A job that dies before reading its request must be an EPIPE here, not the end of the service.
        signal(SIGPIPE, SIG_IGN)
        let started = try await startServer()
        if configuration.requireFullSandbox && started.sandbox.level != "full" {
            server = nil
            await Self.onThread { started.shutdown() }
            throw WorkerError.sandboxIncomplete(missing: started.sandbox.missing, reason: started.sandbox.failures)
        }
        replenish()
        return started.sandbox
    }

    /// Runs one generation in a sandboxed worker.
    public func generate(_ request: WorkerRequest, object: [UInt8]) async throws -> WorkerResult {
        try await generate(request, object: [.bytes(object)])
    }

    /// Runs one generation on an object given as the pieces it arrived in
    /// (written to the job in turn, never joined).
    public func generate(_ request: WorkerRequest, fragments: [ByteBuffer]) async throws -> WorkerResult {
        try await generate(request, object: fragments.map(FramePiece.buffer))
    }

    private func generate(_ request: WorkerRequest, object: [FramePiece]) async throws -> WorkerResult {
        guard !closed else { throw WorkerError.shuttingDown }
        if running >= configuration.concurrency {
            guard waiters.count < configuration.queueLimit else {
                counters.rejectedSaturated += 1
                throw WorkerError.saturated(retryAfterSeconds: retryAfter())
            }
            try await withCheckedThrowingContinuation { waiters.append($0) }
        }
        running += 1
        defer { release() }

        var request = request
        request.lateExit = exitingJobs < configuration.lateExits
        let requestJSON = Array(try JSONCoding.encoder.encode(request))
        requestMemoryKiB = Self.requestMemoryKiB(objectBytes: object.reduce(0) { $0 + $1.count },
                                                 maxObjectBytes: configuration.maxObjectBytes)
        var worker = try await takeWorker()
        replenish()
        var outcome = await run(worker, json: requestJSON, object: object)
        if outcome.serverGone && !closed {
            // The fork server died under the job or stopped forking (a job can do
            // neither: the job filter forbids it), so this is not the object's doing;
            // a job is idempotent, so it runs once more on a new server.
            worker = try await takeWorker()
            replenish()
            outcome = await run(worker, json: requestJSON, object: object)
        }
        averageJobSeconds = averageJobSeconds * 0.9 + outcome.elapsed * 0.1
        do {
            let result = try interpret(outcome, sandbox: worker.server.sandbox)
            counters.completed += 1
            return result
        } catch let error as WorkerError {
            count(error)
            throw error
        }
    }

    /// Hands one request to a forked job on a blocking thread (the object into the
    /// job's memory file, see ``ForkedJob/requestFrame(json:object:)``); a fork server
    /// that did not fork the job is ended here, so the next job starts a new one.
    private func run(_ worker: ForkedJob, json: [UInt8], object: [FramePiece]) async -> ForkedJob.Outcome {
        let configuration = configuration
        let outcome = await Self.onThread {
            worker.run(request: worker.requestFrame(json: json, object: object), wallSeconds: configuration.wallSeconds,
                       forkSeconds: configuration.forkSeconds, maxOutputBytes: configuration.maxOutputBytes)
        }
        if outcome.serverUnresponsive {
            counters.unresponsiveServers += 1
            worker.server.abandon()
        }
        return outcome
    }

    /// Refuses new jobs, waits for running jobs to finish, then stops the
    /// fork server and the jobs waiting for a request.
    public func shutdown() async {
        closed = true
        for waiter in waiters { waiter.resume(throwing: WorkerError.shuttingDown) }
        waiters = []
        if running > 0 {
            await withCheckedContinuation { drained.append($0) }
        }
        warm = []
        if let server {
            self.server = nil
            await Self.onThread { server.shutdown() }
        }
    }

    // MARK: internals

    private func release() {
        running -= 1
        if !waiters.isEmpty {
            waiters.removeFirst().resume()
        } else if running == 0 {
            for waiter in drained { waiter.resume() }
            drained = []
        }
    }

    private func retryAfter() -> Int {
        let jobsAhead = Double(waiters.count + running + 1)
        return max(1, Int((jobsAhead * averageJobSeconds / Double(max(configuration.concurrency, 1))).rounded(.up)))
    }

    /// A job forked from the live server: a waiting one, or a new one.
    private func takeWorker() async throws -> ForkedJob {
        while let ready = warm.popLast() {
            if ready.server.isRunning { return ready }
        }
        if server?.isRunning != true {
            warm = []
            _ = try await startServer()
        }
        guard let server else { throw WorkerError.shuttingDown }
        counters.spawned += 1
        do {
            return try server.fork(requestMemoryKiB: requestMemoryKiB)
        } catch {
            // It died since its reader last looked: start another and fork from that.
            warm = []
            return try await startServer().fork(requestMemoryKiB: requestMemoryKiB)
        }
    }

    /// How much of its request memory file a job forked now allocates while it
    /// waits warm: the last object's size, rounded up to 64 KiB (0 before the
    /// first). Writing a 650 KB object into pages that exist took 60-116 us here,
    /// into a fresh file 227-365 us: the new pages were the cost, now paid by the
    /// job before its request instead of on the request's path.
    private var requestMemoryKiB: Int32 = 0

    static func requestMemoryKiB(objectBytes: Int, maxObjectBytes: Int) -> Int32 {
        let granule = 64 << 10
        let rounded = (min(objectBytes, maxObjectBytes) + granule - 1) / granule * granule
        return Int32(clamping: rounded >> 10)
    }

    /// Keeps `warmWorkers` jobs forked and waiting. Forking is one message to
    /// the fork server: nothing here waits for the process.
    private func replenish() {
        guard !closed, let server, server.isRunning else { return }
        while warm.count < configuration.warmWorkers {
            guard let worker = try? server.fork(requestMemoryKiB: requestMemoryKiB) else { return }
            counters.spawned += 1
            warm.append(worker)
        }
    }

    /// Starts a fork server in place of the current one; concurrent callers share one start.
    private func startServer() async throws -> ForkServer {
        if let starting { return try await starting.value }
        let old = server
        server = nil
        let arguments = configuration.workerArguments
        let task = Task.detached {
            if let old { await Self.onThread { old.shutdown() } }
            return try await Self.onThread { try ForkServer.start(arguments: arguments, timeout: 10) }
        }
        starting = task
        defer { starting = nil }
        let started = try await task.value
        counters.forkServerStarts += 1
        if closed {
            await Self.onThread { started.shutdown() }
            throw WorkerError.shuttingDown
        }
        server = started
        sandbox = started.sandbox
        return started
    }

    private func count(_ error: WorkerError) {
        switch error {
        case .timedOut: counters.killedTimeout += 1
        case .outputTooLarge: counters.killedOutput += 1
        case .forbiddenSyscall: counters.forbiddenSyscalls += 1
        case .memoryLimit, .cpuLimit: counters.limitExceeded += 1
        case .crashed, .failed: counters.crashed += 1
        default: break
        }
    }

    /// Blocking work (job I/O, fork server start and stop), shared by every pool.
    static let threads = BlockingThreads()

    static func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await threads.run(body)
    }

    static func onThread<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await threads.run(body)
    }

    /// ``interpret(_:sandbox:)`` for tests of the exit mapping.
    func interpretForTests(_ outcome: ForkedJob.Outcome) -> Result<WorkerResult, WorkerError> {
        do {
            return .success(try interpret(outcome, sandbox: SandboxReport(layers: SandboxReport.allLayers, failures: "")))
        } catch let error as WorkerError {
            return .failure(error)
        } catch {
            return .failure(.failed(status: -1, detail: "\(error)"))
        }
    }

    /// Turns a finished worker process into a result or a precise error.
    func interpret(_ outcome: ForkedJob.Outcome, sandbox: SandboxReport) throws -> WorkerResult {
        let errorText = String(decoding: outcome.stderr, as: UTF8.self)
        let phase = errorText.split(separator: "\n").last { $0.hasPrefix("phase: ") }.map { String($0.dropFirst(7)) }
        if outcome.outputExceeded { throw WorkerError.outputTooLarge(limit: configuration.maxOutputBytes) }
        if outcome.timedOut { throw WorkerError.timedOut(seconds: configuration.wallSeconds, phase: phase) }
        if outcome.serverGone { throw WorkerError.failed(status: -1, detail: "the fork server exited during the job") }
        let status = outcome.status
        let exited = status & 0x7f == 0
        if exited {
            let code = (status >> 8) & 0xff
            switch WorkerExit(rawValue: code) {
            case .ok?:
                break
            case .forbiddenSyscall?:
                let line = WorkerExit.forbiddenSyscallLine
                let number = errorText.split(separator: "\n").last { $0.hasPrefix(line) }.flatMap { Int($0.dropFirst(line.count)) }
                throw WorkerError.forbiddenSyscall(name: number.map(SyscallNames.name) ?? "unknown", phase: phase)
            case .outOfMemory?:
                throw WorkerError.memoryLimit(mebibytes: configuration.memoryMiB, phase: phase)
            default:
                let detail = errorText.split(separator: "\n").filter { !$0.hasPrefix("phase: ") }.suffix(5).joined(separator: "; ")
                throw WorkerError.failed(status: code, detail: detail.isEmpty ? "no message" : detail)
            }
        } else {
            let signal = status & 0x7f
            if signal == SIGXCPU || signal == SIGKILL {
                throw WorkerError.cpuLimit(seconds: configuration.cpuSeconds, phase: phase)
            }
            if errorText.contains("Could not allocate memory") || errorText.contains("out of memory") {
                throw WorkerError.memoryLimit(mebibytes: configuration.memoryMiB, phase: phase)
            }
            throw WorkerError.crashed(signal: SyscallNames.signalName(signal), phase: phase)
        }
        let stdout = outcome.stdout
        let malformed = WorkerError.failed(status: 0, detail: "the worker's answer is malformed")
        guard let frame = try? stdout.withUnsafeReadableBytes({
                  try WorkerFrame.partRanges($0.bindMemory(to: UInt8.self), maxBytes: configuration.maxOutputBytes)
              }),
              frame.type == WorkerFrame.answer, frame.parts.count == 5
        else { throw malformed }
        // The parts in place: slices of the buffer the answer was read into.
        func part(_ index: Int) -> ByteBuffer? {
            stdout.getSlice(at: stdout.readerIndex + frame.parts[index].lowerBound, length: frame.parts[index].count)
        }
        guard let json = part(0).map({ Data($0.readableBytesView) }),
              var answer = try? JSONCoding.decoder.decode(WorkerAnswer.self, from: json),
              let insns = part(1), let data = part(2), var header = part(3), let manifest = part(4)
        else { throw malformed }
        var files: WorkerResult.Files? = nil
        if answer.header != nil {
            // The header is served as UTF-8 text and inside JSON: bytes that are not
            // UTF-8 (from a worker that ran untrusted input) are repaired as text
            // decoding repairs them; a real header is ASCII and kept as it is.
            if !header.withUnsafeReadableBytes(ByteSearch.isASCII) {
                header = ByteBuffer(string: String(buffer: header))
            }
            files = WorkerResult.Files(header: header, insns: insns, data: data, manifest: manifest)
        }
        answer.header = nil
        answer.manifest = nil
        return WorkerResult(answer: answer, loader: files, sandbox: sandbox, elapsed: outcome.elapsed)
    }
}
