import Foundation
import Glibc

/// One booted verification VM: `qemu-system-x86_64` with a kernel of the
/// matrix, the guest initramfs, no network device, its console in a file, and
/// the agent on a virtio-console port behind a Unix socket. Driven with
/// blocking I/O by one thread at a time.
final class Guest: @unchecked Sendable {
    let kernel: KernelImage
    let accel: String
    private let pid: pid_t
    private var socket: Int32
    private let files: [String]
    let consoleLog: String
    private(set) var jobs = 0

    /// How guests are accelerated: KVM where a probe boot worked, else TCG.
    enum Accel: String, Sendable {
        case kvm, tcg
    }

    private init(kernel: KernelImage, accel: String, pid: pid_t, socket: Int32, files: [String], consoleLog: String) {
        self.kernel = kernel
        self.accel = accel
        self.pid = pid
        self.socket = socket
        self.files = files
        self.consoleLog = consoleLog
    }

    deinit { stop() }

    static let qemu: String? = ["/usr/bin/qemu-system-x86_64", "/usr/local/bin/qemu-system-x86_64"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    /// Boots a guest and waits for its agent's ready frame.
    static func boot(_ kernel: KernelImage, guestImage: String, accel: Accel, scratch: String, bootSeconds: Double) throws(VerifyError) -> Guest {
        guard let qemu else { throw .bootFailed(series: kernel.series, reason: "qemu-system-x86_64 is not installed (Debian: qemu-system-x86)") }
        let id = "\(kernel.series)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let socketPath = scratch + "/guest-\(id).sock"
        let console = scratch + "/guest-\(id).console"
        var initrd = guestImage
        var files = [socketPath, console]
        if let modules = kernel.modules {
            // Linux reads concatenated cpio archives as one initramfs.
            initrd = scratch + "/guest-\(id).initrd"
            guard let base = FileManager.default.contents(atPath: guestImage), let extra = FileManager.default.contents(atPath: modules),
                  FileManager.default.createFile(atPath: initrd, contents: base + extra) else {
                throw .bootFailed(series: kernel.series, reason: "cannot write \(initrd)")
            }
            files.append(initrd)
        }
        let arguments = [qemu, "-accel", accel.rawValue, "-cpu", accel == .kvm ? "host" : "max", "-m", "512", "-smp", "1",
                         "-display", "none", "-monitor", "none", "-nodefaults", "-no-reboot",
                         "-kernel", kernel.vmlinuz, "-initrd", initrd,
                         "-append", "console=ttyS0 panic=-1 quiet",
                         "-serial", "file:\(console)",
                         "-device", "virtio-serial-pci",
                         "-chardev", "socket,id=agent,path=\(socketPath),server=on,wait=off",
                         "-device", "virtserialport,chardev=agent,name=lskel"]
        files.append(console + ".qemu")
        let output = open(console + ".qemu", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        // qemu ends with this process (PR_SET_PDEATHSIG), so no guest outlives a killed lskeld.
        let (pid, spawnError) = BoundSpawner.shared.spawn(qemu, arguments, output: output)
        if output >= 0 { close(output) }
        guard pid > 0 else {
            throw .bootFailed(series: kernel.series, reason: "cannot start qemu: \(String(cString: strerror(spawnError)))")
        }
        let deadline = now() + bootSeconds
        func failed(_ why: String) -> VerifyError {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
            let tail = Self.tail(console + ".qemu") + Self.tail(console)
            files.forEach { unlink($0) }
            return .bootFailed(series: kernel.series, reason: why + (tail.isEmpty ? "" : ": " + tail))
        }
        var fd: Int32 = -1
        while fd < 0 {
            if now() > deadline { throw failed("no agent socket within \(Int(bootSeconds)) s") }
            if exited(pid) { throw failed("qemu exited") }
            fd = connectUnix(socketPath)
            if fd < 0 { usleep(20_000) }
        }
        let guest = Guest(kernel: kernel, accel: accel.rawValue, pid: pid, socket: fd, files: files, consoleLog: console)
        do {
            let ready = try guest.readFrame(magic: "LSKR", until: deadline)
            let release = String(decoding: ready, as: UTF8.self)
            guard release == kernel.release else {
                guest.stop()
                throw VerifyError.bootFailed(series: kernel.series, reason: "the guest runs \(release), not \(kernel.release)")
            }
        } catch {
            let reason = "\(error)"
            guest.stop()
            throw .bootFailed(series: kernel.series, reason: "no ready frame from the agent (\(reason))")
        }
        return guest
    }

    /// Runs one job; a guest that timed out or ended is stopped and must not be used again.
    func run(_ job: GuestJob, seconds: Double) throws(VerifyError) -> GuestAnswer {
        jobs += 1
        let frame = job.frame
        let deadline = Self.now() + seconds
        guard writeAll(frame, until: deadline) else { throw ended("the job could not be sent") }
        let body: [UInt8]
        do {
            body = try readFrame(magic: "LSKA", until: deadline)
        } catch .timedOut {
            stop()
            throw .timedOut(series: kernel.series, seconds: seconds)
        } catch {
            throw ended("\(error)")
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        guard let answer = try? decoder.decode(GuestAnswer.self, from: Data(body)) else {
            throw .malformedAnswer(series: kernel.series, detail: String(decoding: body.prefix(300), as: UTF8.self))
        }
        return answer
    }

    private func ended(_ what: String) -> VerifyError {
        // Give a panicking kernel a moment to print and qemu to exit.
        let until = Self.now() + 2
        while !Self.exited(pid) && Self.now() < until { usleep(20_000) }
        let console = Self.tail(consoleLog, bytes: 64 << 10)
        stop()
        let panic = console.range(of: "Kernel panic").map { String(console[$0.lowerBound...].prefix(200)) }
            ?? console.range(of: "Oops").map { "kernel oops: " + String(console[$0.lowerBound...].prefix(160)) }
        return .guestDied(series: kernel.series, reason: panic ?? what)
    }

    var isRunning: Bool { socket >= 0 && !Self.exited(pid) }

    func stop() {
        if socket >= 0 {
            close(socket)
            socket = -1
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
            files.forEach { unlink($0) }
        }
    }

    // MARK: I/O

    private struct Timeout: Error {}

    private func readFrame(magic: String, until deadline: Double) throws(FrameError) -> [UInt8] {
        let head = try read(8, until: deadline)
        guard Array(head.prefix(4)) == Array(magic.utf8) else { throw .unexpected(String(decoding: head.prefix(4), as: UTF8.self)) }
        let length = Int(UInt32(head[4]) | UInt32(head[5]) << 8 | UInt32(head[6]) << 16 | UInt32(head[7]) << 24)
        guard length <= 16 << 20 else { throw .unexpected("a \(length)-byte frame") }
        return try read(length, until: deadline)
    }

    enum FrameError: Error, CustomStringConvertible {
        case timedOut, closed, unexpected(String)
        var description: String {
            switch self {
            case .timedOut: "timed out"
            case .closed: "the guest closed its port"
            case .unexpected(let what): "unexpected \(what)"
            }
        }
    }

    private func read(_ count: Int, until deadline: Double) throws(FrameError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        var have = 0
        while have < count {
            var descriptor = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
            let wait = deadline - Self.now()
            guard wait > 0 else { throw .timedOut }
            let ready = poll(&descriptor, 1, Int32(min(wait, 1) * 1000) + 1)
            if ready < 0 && errno == EINTR { continue }
            if ready == 0 {
                if Self.exited(pid) { throw .closed }
                continue
            }
            let n = out.withUnsafeMutableBytes { recv(socket, $0.baseAddress! + have, count - have, 0) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw .closed }
            have += n
        }
        return out
    }

    private func writeAll(_ bytes: [UInt8], until deadline: Double) -> Bool {
        var offset = 0
        while offset < bytes.count {
            guard Self.now() < deadline else { return false }
            let n = bytes[offset...].withUnsafeBytes { send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return false }
            offset += n
        }
        return true
    }

    static func connectUnix(_ path: String) -> Int32 {
        let fd = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return -1 }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { close(fd); return -1 }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        if result != 0 { close(fd); return -1 }
        return fd
    }

    static func exited(_ pid: pid_t) -> Bool {
        var status: Int32 = 0
        let result = waitpid(pid, &status, WNOHANG)
        return result == pid || (result < 0 && errno == ECHILD)
    }

    static func tail(_ path: String, bytes: Int = 600) -> String {
        guard let data = FileManager.default.contents(atPath: path) else { return "" }
        return String(decoding: data.suffix(bytes), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
