import Foundation
import Synchronization

/// Pre-booted guests per kernel series, so that a verification does not pay
/// for a boot. A guest that times out, dies or has run `jobsPerGuest` jobs is
/// replaced; each guest runs one job at a time on a thread of its own.
///
/// ```swift
/// let pool = try GuestPool(matrix: KernelMatrix(directory: "kernels"), guestsPerKernel: 1)
/// await pool.start()
/// let result = try await pool.verify(job, on: "6.1")
/// ```
public final class GuestPool: Sendable {
    public struct Configuration: Sendable {
        public var guestsPerKernel = 1
        public var jobsPerGuest = 200
        public var jobSeconds = 60.0
        public var bootSeconds = 90.0
        /// Allows the test-only job actions (spin, panic).
        public var allowTestActions = false

        public init(guestsPerKernel: Int = 1) {
            self.guestsPerKernel = max(1, guestsPerKernel)
        }
    }

    /// One verification: the guest's answer, where and how long.
    public struct Result: Sendable {
        public var series: String
        public var release: String
        public var answer: GuestAnswer
        public var seconds: Double
        public var accel: String
    }

    /// Counters for metrics.
    public struct Stats: Sendable, Equatable {
        public var boots = 0
        public var restarts = 0
        public var bootSeconds: [String: Double] = [:]
        public var accel = ""
        /// What the KVM probe boot found where /dev/kvm exists ("" where it was not tried or worked).
        public var kvmProbe = ""
    }

    public let matrix: KernelMatrix
    public let configuration: Configuration
    private let scratch: String
    /// Where the guests' sockets, consoles and initramfs files are (every qemu command line names it).
    public var scratchDirectory: String { scratch }
    private let state = Mutex(State())
    private let slots: [String: Slots]

    struct State {
        var stats = Stats()
        var accel: Guest.Accel? = nil
        /// After ``shutdown()``: a guest that finishes booting or its job is stopped, not kept.
        var closed = false
    }

    /// Idle guests of one series and the callers waiting for one.
    final class Slots: Sendable {
        let lock = Mutex<(idle: [Guest], booted: Int, waiters: [CheckedContinuation<Guest?, Never>])>(([], 0, []))
    }

    public init(matrix: KernelMatrix, configuration: Configuration = Configuration()) throws(VerifyError) {
        guard Guest.qemu != nil else {
            throw .bootFailed(series: matrix.kernels.map(\.series).joined(separator: ", "),
                              reason: "qemu-system-x86_64 is not installed (Debian: qemu-system-x86)")
        }
        self.matrix = matrix
        self.configuration = configuration
        scratch = NSTemporaryDirectory() + "lskel-guests-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try? FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        slots = Dictionary(uniqueKeysWithValues: matrix.kernels.map { ($0.series, Slots()) })
    }

    public var stats: Stats { state.withLock { $0.stats } }

    /// Boots every series' guests (two at a time: each boot keeps a core busy).
    public func start() async {
        let kernels = matrix.kernels.flatMap { kernel in Array(repeating: kernel, count: configuration.guestsPerKernel) }
        var next = 0
        while next < kernels.count {
            let batch = kernels[next..<min(next + 2, kernels.count)]
            next += batch.count
            await withTaskGroup(of: Void.self) { group in
                for kernel in batch {
                    group.addTask { [self] in
                        if let guest = try? await self.boot(kernel) { self.release(guest) }
                    }
                }
            }
        }
    }

    /// Runs one job on a guest of `series`.
    public func verify(_ job: GuestJob, on series: String) async throws(VerifyError) -> Result {
        guard let kernel = matrix.kernel(series), let slot = slots[series] else {
            throw .unknownKernel(series: series, known: matrix.kernels.map(\.series))
        }
        if job.action != .run && !configuration.allowTestActions {
            throw .malformedAnswer(series: series, detail: "test actions are disabled")
        }
        let guest = try await acquire(kernel, slot)
        let start = Guest.now()
        let outcome: Swift.Result<GuestAnswer, VerifyError> = await Self.onThread { [configuration] in
            do throws(VerifyError) { return .success(try guest.run(job, seconds: configuration.jobSeconds)) } catch { return .failure(error) }
        }
        let seconds = Guest.now() - start
        switch outcome {
        case .success(let answer):
            if guest.jobs >= configuration.jobsPerGuest {
                retire(guest, slot)
            } else {
                release(guest)
            }
            return Result(series: series, release: kernel.release, answer: answer, seconds: seconds, accel: guest.accel)
        case .failure(let error):
            retire(guest, slot)
            throw error
        }
    }

    /// Stops every guest.
    public func shutdown() {
        state.withLock { $0.closed = true }
        for slot in slots.values {
            let idle = slot.lock.withLock { state -> [Guest] in
                defer { state.idle = [] }
                return state.idle
            }
            idle.forEach { $0.stop() }
        }
        try? FileManager.default.removeItem(atPath: scratch)
    }

    // MARK: guests

    private func acquire(_ kernel: KernelImage, _ slot: Slots) async throws(VerifyError) -> Guest {
        while true {
            enum Next { case guest(Guest), boot, wait }
            let next: Next = slot.lock.withLock { state in
                if let guest = state.idle.popLast() { return .guest(guest) }
                if state.booted < configuration.guestsPerKernel {
                    state.booted += 1
                    return .boot
                }
                return .wait
            }
            switch next {
            case .guest(let guest):
                if guest.isRunning { return guest }
                retire(guest, slot)
            case .boot:
                do {
                    return try await boot(kernel, counted: true)
                } catch {
                    slot.lock.withLock { $0.booted -= 1 }
                    throw error
                }
            case .wait:
                if let guest = await withCheckedContinuation({ (continuation: CheckedContinuation<Guest?, Never>) in
                    let handed: Guest?? = slot.lock.withLock { state in
                        if let guest = state.idle.popLast() { return .some(guest) }
                        if state.booted < configuration.guestsPerKernel { return .some(nil) }
                        state.waiters.append(continuation)
                        return nil
                    }
                    if let handed { continuation.resume(returning: handed) }
                }) {
                    if guest.isRunning { return guest }
                    retire(guest, slot)
                }
            }
        }
    }

    /// Boots one guest; KVM is probed once and used where it works.
    private func boot(_ kernel: KernelImage, counted: Bool = false) async throws(VerifyError) -> Guest {
        let slot = slots[kernel.series]
        if !counted { slot?.lock.withLock { $0.booted += 1 } }
        let accel = state.withLock { $0.accel }
        let start = Guest.now()
        let (result, kvmFailure): (Swift.Result<Guest, VerifyError>, String?) = await Self.onThread { [matrix, scratch, configuration] in
            var kvmFailure: String? = nil
            do throws(VerifyError) {
                if accel == nil || accel == .kvm, access("/dev/kvm", R_OK | W_OK) == 0 {
                    do throws(VerifyError) {
                        return (.success(try Guest.boot(kernel, guestImage: matrix.guestImage, accel: .kvm, scratch: scratch,
                                                        bootSeconds: min(30, configuration.bootSeconds))), nil)
                    } catch {
                        kvmFailure = "\(error)"
                    }
                }
                return (.success(try Guest.boot(kernel, guestImage: matrix.guestImage, accel: .tcg, scratch: scratch,
                                                bootSeconds: configuration.bootSeconds)), kvmFailure)
            } catch { return (.failure(error), kvmFailure) }
        }
        if let kvmFailure { state.withLock { $0.stats.kvmProbe = "KVM failed, TCG used: " + kvmFailure } }
        switch result {
        case .success(let guest):
            state.withLock { state in
                state.accel = Guest.Accel(rawValue: guest.accel)
                state.stats.boots += 1
                state.stats.accel = guest.accel
                state.stats.bootSeconds[kernel.series] = Guest.now() - start
            }
            return guest
        case .failure(let error):
            if !counted { slot?.lock.withLock { $0.booted -= 1 } }
            throw error
        }
    }

    private func release(_ guest: Guest) {
        guard let slot = slots[guest.kernel.series], !state.withLock({ $0.closed }) else {
            guest.stop()
            return
        }
        let waiter: CheckedContinuation<Guest?, Never>? = slot.lock.withLock { state in
            if !state.waiters.isEmpty { return state.waiters.removeFirst() }
            state.idle.append(guest)
            return nil
        }
        waiter?.resume(returning: guest)
    }

    /// Stops a guest and lets the next caller boot its replacement.
    private func retire(_ guest: Guest, _ slot: Slots) {
        guest.stop()
        state.withLock { $0.stats.restarts += 1 }
        let waiter: CheckedContinuation<Guest?, Never>? = slot.lock.withLock { state in
            state.booted -= 1
            return state.waiters.isEmpty ? nil : state.waiters.removeFirst()
        }
        waiter?.resume(returning: nil)
    }

    static func onThread<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            let thread = Thread { continuation.resume(returning: body()) }
            thread.stackSize = 1 << 20
            thread.start()
        }
    }
}
