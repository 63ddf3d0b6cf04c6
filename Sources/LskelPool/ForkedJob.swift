import CLskelSystem
import Glibc
import LskelModel
import NIOCore

/// One job forked by the ``ForkServer``: a fresh, locked-down process waiting
/// for its request on stdin. Driven with blocking I/O and `poll` on the
/// calling thread; used by one thread at a time, once.
final class ForkedJob: @unchecked Sendable {
    let job: UInt64
    let server: ForkServer
    private let exit: JobExit
    private var stdinFD: Int32
    private var stdoutFD: Int32
    private var stderrFD: Int32
    /// The job's descriptor 3, a memory file for its request's object, or -1
    /// (see ``requestFrame(json:object:)``).
    private var requestMemoryFD: Int32

    /// How a job ended at the process level.
    struct Outcome {
        /// The answer, read straight into the buffer whose slices become the
        /// stored loader's files (see ``WorkerPool/interpret(_:sandbox:)``).
        var stdout: ByteBuffer
        var stderr: [UInt8]
        /// waitpid status (0 once a whole answer came back).
        var status: Int32
        var timedOut: Bool
        var outputExceeded: Bool
        /// The fork server went away before the job ended.
        var serverGone: Bool
        /// The fork server did not fork the job within the fork deadline.
        var serverUnresponsive = false
        var elapsed: Double
    }

    init(job: UInt64, server: ForkServer, exit: JobExit, stdinFD: Int32, stdoutFD: Int32, stderrFD: Int32,
         requestMemoryFD: Int32 = -1) {
        self.job = job
        self.server = server
        self.exit = exit
        self.stdinFD = stdinFD
        self.stdoutFD = stdoutFD
        self.stderrFD = stderrFD
        self.requestMemoryFD = requestMemoryFD
    }

    deinit {
        // A job that never ran (the pool shut down): closing its stdin ends it.
        closeAll()
        server.forget(job: job)
    }

    private func closeAll() {
        for fd in [stdinFD, stdoutFD, stderrFD, requestMemoryFD] where fd >= 0 { close(fd) }
        stdinFD = -1
        stdoutFD = -1
        stderrFD = -1
        requestMemoryFD = -1
    }

    /// The request frame for this job: the object written into the job's memory
    /// file and sealed, the frame naming its length (``WorkerFrame/requestInMemory``);
    /// else, where the job has no memory file or it cannot be written, the object
    /// as the frame's last part on stdin.
    ///
    /// Through the memory file the object is copied once, into pages the job maps
    /// from the page cache (sixteen to a fault); through the pipe it was copied
    /// into the pipe and again into fresh pages of the job's heap (650 KB: 0.8 ms
    /// from the first write to the job holding it, against 0.3 ms).
    func requestFrame(json: [UInt8], object: [FramePiece]) -> [FramePiece] {
        let length = object.reduce(0) { $0 + $1.count }
        if requestMemoryFD >= 0, writeObject(object) {
            var lengthBytes: [UInt8] = []
            WorkerFrame.appendLength64(length, to: &lengthBytes)
            return [.bytes(WorkerFrame.encode(type: WorkerFrame.requestInMemory, parts: [json, lengthBytes]))]
        }
        return [.bytes(WorkerFrame.head(type: WorkerFrame.request, parts: [json], lastPartLength: length))] + object
    }

    /// Writes the object at the start of the memory file and seals the file
    /// against any change; false (the file then unused) when either fails.
    private func writeObject(_ object: [FramePiece]) -> Bool {
        var offset = 0
        for piece in object {
            var written = 0
            while written < piece.count {
                let n = piece.withBytes(from: written) { pwrite(requestMemoryFD, $0.baseAddress, $0.count, off_t(offset + written)) }
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { return false }
                written += n
            }
            offset += piece.count
        }
        return lskel_request_memory_seal(requestMemoryFD) == 0
    }

    /// Sends the request and collects the answer. Returns as soon as a whole
    /// answer frame is in (the job only exits after it); otherwise reads
    /// until the job closes its streams and takes its exit status from the
    /// fork server. Enforces the deadline and the output cap.
    /// Writes `request` (its pieces in turn, as one stream) to the job and collects its answer.
    func run(request: [FramePiece], wallSeconds: Double, forkSeconds: Double, maxOutputBytes: Int, maxErrorBytes: Int = 64 << 10) -> Outcome {
        let start = Self.now()
        // A server that no longer forks (a job cannot make it so: see the job
        // filter) must not cost every request its whole deadline.
        guard exit.waitStarted(until: start + forkSeconds) else {
            closeAll()
            server.forget(job: job)
            return Outcome(stdout: ByteBuffer(), stderr: [], status: -1, timedOut: false, outputExceeded: false,
                           serverGone: true, serverUnresponsive: true, elapsed: Self.now() - start)
        }
        let deadline = start + wallSeconds
        // The piece being written and how much of it is.
        var piece = 0, written = 0
        while piece < request.count && request[piece].count == 0 { piece += 1 }
        if piece >= request.count && stdinFD >= 0 {
            close(stdinFD)
            stdinFD = -1
        }
        // The answer is read in place: once its head gives the frame's length, the
        // buffer is sized to it, and no byte is copied again before the answer is
        // stored and sent (its parts are slices of this buffer).
        var stdout = ByteBuffer()
        var frameLength: Int? = nil
        var stderr: [UInt8] = []
        var outOpen = true, errOpen = true
        var timedOut = false, exceeded = false, answered = false
        // stderr (progress lines) is read into this, never zeroed.
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
        defer { chunk.deallocate() }
        var descriptors: [pollfd] = []
        descriptors.reserveCapacity(3)

        while outOpen || errOpen {
            let remaining = deadline - Self.now()
            if remaining <= 0 {
                timedOut = true
                break
            }
            descriptors.removeAll(keepingCapacity: true)
            if stdinFD >= 0 && piece < request.count { descriptors.append(pollfd(fd: stdinFD, events: Int16(POLLOUT), revents: 0)) }
            if outOpen { descriptors.append(pollfd(fd: stdoutFD, events: Int16(POLLIN), revents: 0)) }
            if errOpen { descriptors.append(pollfd(fd: stderrFD, events: Int16(POLLIN), revents: 0)) }
            let count = poll(&descriptors, nfds_t(descriptors.count), Int32(min(remaining, 0.5) * 1000) + 1)
            if count < 0 {
                if errno == EINTR { continue }
                timedOut = true
                break
            }
            for descriptor in descriptors where descriptor.revents != 0 {
                if descriptor.fd == stdinFD {
                    let n = request[piece].withBytes(from: written) { write(stdinFD, $0.baseAddress, min($0.count, 1 << 20)) }
                    if n > 0 { written += n }
                    while piece < request.count && written >= request[piece].count {
                        piece += 1
                        written = 0
                    }
                    if n < 0 || piece >= request.count {
                        close(stdinFD)
                        stdinFD = -1
                    }
                } else if descriptor.fd == stdoutFD {
                    // Up to the rest of the frame once its length is known, else 64 KiB (up to the cap).
                    let wanted = max(1, min(1 << 20, (frameLength ?? (stdout.readableBytes + (64 << 10))) - stdout.readableBytes))
                    var n = 0
                    stdout.writeWithUnsafeMutableBytes(minimumWritableBytes: wanted) { space in
                        n = read(stdoutFD, space.baseAddress, min(space.count, wanted))
                        return max(n, 0)
                    }
                    if n <= 0 {
                        if n < 0 && errno == EINTR { continue }
                        outOpen = false
                    } else if stdout.readableBytes > maxOutputBytes {
                        exceeded = true
                    } else {
                        let (total, complete) = stdout.withUnsafeReadableBytes { bytes in
                            let view = bytes.bindMemory(to: UInt8.self)
                            return (WorkerFrame.totalLength(view, maxBytes: maxOutputBytes),
                                    WorkerFrame.completeLength(view, maxBytes: maxOutputBytes) > 0)
                        }
                        if complete {
                            answered = true
                        } else if frameLength == nil, let total, total <= maxOutputBytes {
                            frameLength = total
                            stdout.reserveCapacity(total)
                        }
                    }
                } else {
                    let n = read(descriptor.fd, chunk.baseAddress, chunk.count)
                    if n <= 0 {
                        if n < 0 && errno == EINTR { continue }
                        errOpen = false
                    } else if stderr.count < maxErrorBytes {
                        stderr.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[0..<min(n, maxErrorBytes - stderr.count)]))
                    }
                }
            }
            if exceeded || answered { break }
        }
        closeAll()
        if answered {
            server.answered(job: job)
            return Outcome(stdout: stdout, stderr: stderr, status: 0, timedOut: false, outputExceeded: false,
                           serverGone: false, elapsed: Self.now() - start)
        }
        if timedOut || exceeded { server.kill(job: job) }
        // The streams are closed (or the job was killed): its exit follows.
        let ended = exit.wait(until: max(deadline, Self.now()) + (timedOut || exceeded ? 2 : 0))
        if ended == nil {
            server.kill(job: job)
            timedOut = true
        }
        let final = ended ?? exit.wait(until: Self.now() + 2)
        var status: Int32 = -1
        var serverGone = false
        switch final {
        case .status(let value): status = value
        case .forkFailed(let code): stderr += Array("lskel-worker: fork failed: errno \(code)\n".utf8); status = 125 << 8
        case .serverGone: serverGone = true
        case nil: break
        }
        return Outcome(stdout: stdout, stderr: stderr, status: status, timedOut: timedOut, outputExceeded: exceeded,
                       serverGone: serverGone, elapsed: Self.now() - start)
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

    static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
