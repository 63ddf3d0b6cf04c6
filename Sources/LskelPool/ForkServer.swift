import CLskelSystem
import Foundation
import LskelModel

/// One `lskel-worker --fork-server`: a worker that warmed up, locked itself
/// down once (namespaces, empty root, no capabilities, seccomp) and now forks
/// a job per request. Each job is a fresh process (nothing of one request
/// reaches the next) with its own CPU limit and a stricter seccomp filter
/// stacked on the server's; the namespaces are paid for once per server, not
/// once per job.
///
/// The service talks to it over a SOCK_SEQPACKET socket (see
/// `lskel_fork_server_serve`): it sends a job's stdin, stdout and stderr
/// with the fork request, and a reader thread here collects the exit status
/// of every job the server reaps.
final class ForkServer: @unchecked Sendable {
    /// The spawned process: it relays the exit of the server, PID 1 of the
    /// worker PID namespace. Its process group holds the server and every job.
    let pid: pid_t
    let sandbox: SandboxReport
    private let control: Int32
    private let stderrFD: Int32
    private let lock = NSLock()
    private var exits: [UInt64: JobExit] = [:]
    /// Jobs that answered and have not been reaped yet: still exiting.
    private var exiting: Set<UInt64> = []
    private var reapedAnswered = 0
    private var failedAnswered = 0
    private var nextJob: UInt64 = 1
    private var running = true
    private let stopped = DispatchSemaphore(value: 0)

    /// Starts the server and waits for its ready message (its sandbox report).
    static func start(arguments: [String], timeout: Double) throws -> ForkServer {
        var pair: [Int32] = [0, 0], errPipe: [Int32] = [0, 0]
        guard lskel_seqpacket_pair(&pair) == 0 else { throw WorkerError.spawnFailed("socketpair: \(errorText())") }
        guard lskel_pipe_cloexec(&errPipe) == 0 else {
            close(pair[0]); close(pair[1])
            throw WorkerError.spawnFailed("pipe: \(errorText())")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, pair[1], 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        lskel_spawn_closefrom(&actions, 3)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigfillset(&defaults)
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &mask)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        let cArguments = (arguments + ["--fork-server"]).map { strdup($0) } + [nil]
        defer { cArguments.forEach { free($0) } }
        let environment: [UnsafeMutablePointer<CChar>?] = [strdup("PATH=/usr/bin:/bin"), nil]
        defer { environment.forEach { free($0) } }
        var childPID: pid_t = 0
        let result = posix_spawn(&childPID, arguments[0], &actions, &attributes, cArguments, environment)
        close(pair[1]); close(errPipe[1])
        guard result == 0 else {
            close(pair[0]); close(errPipe[0])
            throw WorkerError.spawnFailed("\(arguments[0]): \(String(cString: strerror(result)))")
        }
        do {
            let report = try awaitReady(control: pair[0], stderrFD: errPipe[0], pid: childPID, timeout: timeout)
            let server = ForkServer(pid: childPID, control: pair[0], stderrFD: errPipe[0], sandbox: report)
            let thread = Thread { server.readLoop() }
            thread.stackSize = 1 << 20
            thread.start()
            return server
        } catch {
            _ = Glibc.kill(-childPID, SIGKILL)
            var status: Int32 = 0
            _ = waitpid(childPID, &status, 0)
            close(pair[0]); close(errPipe[0])
            throw error
        }
    }

    private init(pid: pid_t, control: Int32, stderrFD: Int32, sandbox: SandboxReport) {
        self.pid = pid
        self.control = control
        self.stderrFD = stderrFD
        self.sandbox = sandbox
    }

    private static func awaitReady(control: Int32, stderrFD: Int32, pid: pid_t, timeout: Double) throws -> SandboxReport {
        var descriptor = pollfd(fd: control, events: Int16(POLLIN), revents: 0)
        let deadline = ForkedJob.now() + timeout
        while true {
            let remaining = deadline - ForkedJob.now()
            guard remaining > 0 else { throw WorkerError.spawnFailed("no ready message within \(timeout) s") }
            let count = poll(&descriptor, 1, Int32(remaining * 1000) + 1)
            if count < 0 && errno != EINTR { throw WorkerError.spawnFailed("poll: \(errorText())") }
            if count > 0 { break }
        }
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        let length = buffer.withUnsafeMutableBytes { recv(control, $0.baseAddress, $0.count, 0) }
        guard length > 0 else {
            var status: Int32 = 0
            _ = waitpid(pid, &status, 0)
            let detail = String(decoding: ForkedJob.readAvailable(stderrFD, limit: 8192), as: UTF8.self)
            throw WorkerError.spawnFailed("the worker exited before it was ready (status \(status)): \(detail)")
        }
        guard let frame = try? WorkerFrame.decode(Array(buffer[0..<length]), maxBytes: 1 << 16),
              frame.type == WorkerFrame.ready, let json = frame.parts.first,
              let ready = try? JSONCoding.decoder.decode(WorkerReady.self, from: Data(json))
        else { throw WorkerError.failed(status: -1, detail: "the worker's ready message is malformed") }
        return ready.sandbox
    }

    static func errorText() -> String { String(cString: strerror(errno)) }

    var isRunning: Bool { lock.withLock { running } }

    /// Forks a job that waits for its request on a fresh stdin pipe. With
    /// `requestMemoryKiB`, the job allocates that much of its request memory
    /// file while it waits (see the 'S' message in lskel_sandbox.h).
    func fork(requestMemoryKiB: Int32 = 0) throws -> ForkedJob {
        var inPipe: [Int32] = [0, 0], outPipe: [Int32] = [0, 0], errPipe: [Int32] = [0, 0]
        guard lskel_pipe_cloexec(&inPipe) == 0 else { throw WorkerError.spawnFailed("pipe: \(Self.errorText())") }
        guard lskel_pipe_cloexec(&outPipe) == 0 else {
            close(inPipe[0]); close(inPipe[1])
            throw WorkerError.spawnFailed("pipe: \(Self.errorText())")
        }
        guard lskel_pipe_cloexec(&errPipe) == 0 else {
            [inPipe[0], inPipe[1], outPipe[0], outPipe[1]].forEach { _ = close($0) }
            throw WorkerError.spawnFailed("pipe: \(Self.errorText())")
        }
        // Requests and answers of real objects are hundreds of KiB: a 1 MiB pipe
        // moves them in a few writes instead of one 64 KiB round trip each
        // (where the system allows less, the pipe keeps its size).
        _ = lskel_pipe_grow(inPipe[1], 1 << 20)
        _ = lskel_pipe_grow(outPipe[0], 1 << 20)
        let exit = JobExit()
        let job: UInt64? = lock.withLock {
            guard running else { return nil }
            defer { nextJob += 1 }
            exits[nextJob] = exit
            return nextJob
        }
        // The job's descriptor 3: a memory file of its own for its request's object
        // (see ForkedJob.run). Where the system has none, the object goes through stdin.
        let requestMemory = lskel_request_memory_create()
        let theirs = [inPipe[0], outPipe[1], errPipe[1]] + (requestMemory >= 0 ? [requestMemory] : [])
        var sent: Int32 = -ESHUTDOWN
        if let job {
            var message = ForkMessage(kind: UInt8(ascii: "S"), value: requestMemory >= 0 ? max(0, requestMemoryKiB) : 0, job: job)
            sent = withUnsafeBytes(of: &message) { bytes in
                theirs.withUnsafeBufferPointer { lskel_send_with_fds(control, bytes.baseAddress, bytes.count, $0.baseAddress, Int32($0.count)) }
            }
        }
        [inPipe[0], outPipe[1], errPipe[1]].forEach { _ = close($0) }
        guard let job, sent == 0 else {
            [inPipe[1], outPipe[0], errPipe[0]].forEach { _ = close($0) }
            if requestMemory >= 0 { close(requestMemory) }
            if let job { _ = lock.withLock { exits.removeValue(forKey: job) } }
            throw WorkerError.spawnFailed("the fork server is gone (\(String(cString: strerror(-sent))))")
        }
        return ForkedJob(job: job, server: self, exit: exit, stdinFD: inPipe[1], stdoutFD: outPipe[0], stderrFD: errPipe[0],
                         requestMemoryFD: requestMemory >= 0 ? requestMemory : -1)
    }

    /// Asks the server to SIGKILL a job.
    func kill(job: UInt64) {
        var message = ForkMessage(kind: UInt8(ascii: "K"), value: 0, job: job)
        _ = withUnsafeBytes(of: &message) { lskel_send_with_fds(control, $0.baseAddress, $0.count, nil, 0) }
    }

    /// A job the service no longer waits for (and does not count: see ``answered(job:)``).
    func forget(job: UInt64) {
        _ = lock.withLock { exits.removeValue(forKey: job) }
    }

    /// A job that wrote its whole answer: not waited for, counted in
    /// ``exitingJobs`` until the server reaps it (not at all if it already has).
    func answered(job: UInt64) {
        lock.withLock {
            if exits.removeValue(forKey: job) != nil { exiting.insert(job) }
        }
    }

    /// How many jobs answered and are still exiting.
    var exitingJobs: Int { lock.withLock { exiting.count } }

    /// Of the jobs counted in ``exitingJobs`` since the server started: how many
    /// were reaped, and how many of those ended with a status other than 0 (an
    /// answered job that then failed, such as a forbidden call on its way out).
    var reapedAfterAnswer: (all: Int, failed: Int) { lock.withLock { (reapedAnswered, failedAnswered) } }

    /// Ends a server that stopped forking jobs: its reader then reports every
    /// job still waiting as gone. Does not wait.
    func abandon() {
        lock.withLock { running = false }
        _ = Glibc.kill(-pid, SIGKILL)
        _ = Glibc.kill(pid, SIGKILL)
    }

    /// Stops the server and every job it forked, and waits until the
    /// processes are reaped and the reader thread is done.
    func shutdown() {
        _ = Glibc.kill(-pid, SIGKILL)
        _ = Glibc.kill(pid, SIGKILL)
        stopped.wait()
        stopped.signal()
    }

    /// Collects exit statuses until the server goes away, then reaps it.
    private func readLoop() {
        var descriptors = [pollfd(fd: control, events: Int16(POLLIN), revents: 0),
                           pollfd(fd: stderrFD, events: Int16(POLLIN), revents: 0)]
        var stderrOpen = true
        var message = ForkMessage(kind: 0, value: 0, job: 0)
        loop: while true {
            descriptors[1].fd = stderrOpen ? stderrFD : -1
            let count = poll(&descriptors, 2, -1)
            if count < 0 {
                if errno == EINTR { continue }
                break
            }
            if descriptors[1].revents != 0 {
                // Drained so the server never blocks on it; what it says is not kept.
                if ForkedJob.readAvailable(stderrFD, limit: 4096).isEmpty { stderrOpen = false }
            }
            if descriptors[0].revents != 0 {
                let length = withUnsafeMutableBytes(of: &message) { recv(control, $0.baseAddress, $0.count, 0) }
                if length < 0 && errno == EINTR { continue }
                guard length == MemoryLayout<ForkMessage>.size else { break loop }
                switch UInt8(truncatingIfNeeded: message.kind) {
                case UInt8(ascii: "s"):
                    lock.withLock { exits[message.job] }?.started()
                case UInt8(ascii: "x"):
                    lock.withLock { () -> JobExit? in
                        if exiting.remove(message.job) != nil {
                            reapedAnswered += 1
                            if message.value != 0 { failedAnswered += 1 }
                        }
                        return exits.removeValue(forKey: message.job)
                    }?.finish(.status(message.value))
                case UInt8(ascii: "f"):
                    lock.withLock { exits.removeValue(forKey: message.job) }?.finish(.forkFailed(errno: message.value))
                default: break
                }
            }
        }
        let pending = lock.withLock {
            running = false
            exiting = []
            defer { exits = [:] }
            return Array(exits.values)
        }
        for box in pending { box.finish(.serverGone) }
        _ = Glibc.kill(-pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        close(control)
        close(stderrFD)
        stopped.signal()
    }
}

/// A control message, laid out as `struct lskel_fork_message` in
/// lskel_sandbox.h (u32 kind, i32 value, u64 job; host byte order, 16 bytes).
struct ForkMessage {
    var kind: UInt32
    var value: Int32
    var job: UInt64

    init(kind: UInt8, value: Int32, job: UInt64) {
        self.kind = UInt32(kind)
        self.value = value
        self.job = job
    }
}
