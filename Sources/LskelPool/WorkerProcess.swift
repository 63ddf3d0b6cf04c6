import CLskelSystem
import Glibc
import LskelModel

/// One spawned `lskel-worker`, driven with blocking I/O and `poll` on the
/// calling thread. Used by one thread at a time.
final class WorkerProcess: @unchecked Sendable {
    let pid: pid_t
    private var stdinFD: Int32
    private let stdoutFD: Int32
    private let stderrFD: Int32
    private var buffered: [UInt8] = []
    private(set) var sandbox: SandboxReport?
    private var reaped = false

    /// How a job ended at the process level.
    struct Outcome {
        var stdout: [UInt8]
        var stderr: [UInt8]
        /// waitpid status.
        var status: Int32
        var timedOut: Bool
        var outputExceeded: Bool
        var elapsed: Double
    }

    /// Starts a worker in its own process group.
    init(arguments: [String]) throws {
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
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, inPipe[0], 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
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

        var childPID: pid_t = 0
        let cArguments = arguments.map { strdup($0) } + [nil]
        defer { cArguments.forEach { free($0) } }
        let environment: [UnsafeMutablePointer<CChar>?] = [strdup("PATH=/usr/bin:/bin"), nil]
        defer { environment.forEach { free($0) } }
        let result = posix_spawn(&childPID, arguments[0], &actions, &attributes, cArguments, environment)
        close(inPipe[0]); close(outPipe[1]); close(errPipe[1])
        guard result == 0 else {
            close(inPipe[1]); close(outPipe[0]); close(errPipe[0])
            throw WorkerError.spawnFailed("\(arguments[0]): \(String(cString: strerror(result)))")
        }
        pid = childPID
        stdinFD = inPipe[1]
        stdoutFD = outPipe[0]
        stderrFD = errPipe[0]
    }

    deinit {
        kill()
        reap(blocking: true)
        closeAll()
    }

    static func errorText() -> String { String(cString: strerror(errno)) }

    private func closeAll() {
        if stdinFD >= 0 { close(stdinFD); stdinFD = -1 }
        close(stdoutFD)
        close(stderrFD)
    }

    /// Kills the worker's whole process group (the relaying parent and its PID 1 child).
    func kill() {
        guard !reaped else { return }
        _ = Glibc.kill(-pid, SIGKILL)
        _ = Glibc.kill(pid, SIGKILL)
    }

    @discardableResult
    private func reap(blocking: Bool) -> Int32? {
        guard !reaped else { return nil }
        var status: Int32 = 0
        while true {
            let result = waitpid(pid, &status, blocking ? 0 : WNOHANG)
            if result == pid {
                reaped = true
                return status
            }
            if result == 0 { return nil }
            if errno == EINTR { continue }
            reaped = true
            return nil
        }
    }

    /// Waits for the worker's ready frame: its sandbox report.
    func awaitReady(timeout: Double) throws -> SandboxReport {
        let deadline = Self.now() + timeout
        while true {
            if let frame = try? WorkerFrame.decode(buffered, maxBytes: 1 << 20) {
                buffered.removeFirst(frame.length)
                guard frame.type == WorkerFrame.ready, let json = frame.parts.first,
                      let ready = try? JSONCoding.decoder.decode(WorkerReady.self, from: json)
                else { throw WorkerError.failed(status: -1, detail: "the worker's ready message is malformed") }
                sandbox = ready.sandbox
                return ready.sandbox
            }
            let remaining = deadline - Self.now()
            guard remaining > 0 else {
                kill()
                throw WorkerError.spawnFailed("no ready message within \(timeout) s")
            }
            var descriptor = pollfd(fd: stdoutFD, events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, Int32(min(remaining, 1) * 1000) + 1)
            if ready < 0 && errno != EINTR { throw WorkerError.spawnFailed("poll: \(Self.errorText())") }
            if ready > 0 {
                var chunk = [UInt8](repeating: 0, count: 4096)
                let count = chunk.withUnsafeMutableBytes { read(stdoutFD, $0.baseAddress, $0.count) }
                if count == 0 {
                    let status = reap(blocking: true) ?? -1
                    let detail = Self.readAvailable(stderrFD, limit: 8192)
                    throw WorkerError.spawnFailed("the worker exited before it was ready (status \(status)): \(String(decoding: detail, as: UTF8.self))")
                }
                if count > 0 { buffered.append(contentsOf: chunk[0..<count]) }
            }
        }
    }

    static func readAvailable(_ fd: Int32, limit: Int) -> [UInt8] {
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        while out.count < limit, poll(&descriptor, 1, 0) > 0 {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count <= 0 { break }
            out.append(contentsOf: chunk[0..<count])
        }
        return out
    }

    /// Sends the request, collects everything the worker writes until it
    /// exits, and enforces the deadline and the output cap.
    func run(request: [UInt8], wallSeconds: Double, maxOutputBytes: Int, maxErrorBytes: Int = 64 << 10) -> Outcome {
        let start = Self.now()
        let deadline = start + wallSeconds
        var written = 0
        var stdout = buffered
        buffered = []
        var stderr: [UInt8] = []
        var outOpen = true, errOpen = true
        var timedOut = false, exceeded = false
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var status: Int32? = nil

        while outOpen || errOpen || status == nil {
            let remaining = deadline - Self.now()
            if remaining <= 0 {
                timedOut = true
                kill()
                break
            }
            if !outOpen && !errOpen {
                // Streams closed: wait for the exit.
                if let result = reap(blocking: false) { status = result; break }
                usleep(2000)
                continue
            }
            var descriptors: [pollfd] = []
            if stdinFD >= 0 && written < request.count { descriptors.append(pollfd(fd: stdinFD, events: Int16(POLLOUT), revents: 0)) }
            if outOpen { descriptors.append(pollfd(fd: stdoutFD, events: Int16(POLLIN), revents: 0)) }
            if errOpen { descriptors.append(pollfd(fd: stderrFD, events: Int16(POLLIN), revents: 0)) }
            let count = poll(&descriptors, nfds_t(descriptors.count), Int32(min(remaining, 0.5) * 1000) + 1)
            if count < 0 {
                if errno == EINTR { continue }
                kill()
                break
            }
            for descriptor in descriptors where descriptor.revents != 0 {
                if descriptor.fd == stdinFD {
                    let n = request[written...].withUnsafeBytes { write(stdinFD, $0.baseAddress, min($0.count, 1 << 16)) }
                    if n > 0 { written += n }
                    if n < 0 || written >= request.count {
                        close(stdinFD)
                        stdinFD = -1
                    }
                } else {
                    let n = chunk.withUnsafeMutableBytes { read(descriptor.fd, $0.baseAddress, $0.count) }
                    if n <= 0 {
                        if descriptor.fd == stdoutFD { outOpen = false } else { errOpen = false }
                    } else if descriptor.fd == stdoutFD {
                        stdout.append(contentsOf: chunk[0..<n])
                        if stdout.count > maxOutputBytes {
                            exceeded = true
                            kill()
                        }
                    } else if stderr.count < maxErrorBytes {
                        stderr.append(contentsOf: chunk[0..<min(n, maxErrorBytes - stderr.count)])
                    }
                }
            }
            if exceeded { break }
        }
        if status == nil { status = reap(blocking: true) }
        return Outcome(stdout: stdout, stderr: stderr, status: status ?? -1, timedOut: timedOut,
                       outputExceeded: exceeded, elapsed: Self.now() - start)
    }

    static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
