import Foundation
import Glibc

/// One thread for the directory store's file work (writes and the unlinks of
/// evicted loaders), run one piece at a time in order, at the lowest CPU
/// priority (nice 19): a store write is never what a request waits for, so on
/// a busy machine it gives way to the requests. Measured with a 2.7 MB object
/// (a 6.5 MB loader file) alternating with a 47 KB one at concurrency 1: the
/// small object's request after each large one took 4.3-4.5 ms with no store,
/// 5.2-8.3 ms while the large loader's write competed with it at normal priority.
///
/// A thread of its own, not a Dispatch queue: a queue's work runs on threads
/// the runtime shares, and lowering the priority of one of those would lower
/// whatever runs on it next.
final class StoreWriterThread: @unchecked Sendable {
    private let condition = NSCondition()
    private var work: [() -> Void] = []
    private var thread: Thread?

    /// Runs `body` on the writer thread and returns its result.
    func run<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            submit { continuation.resume(returning: body()) }
        }
    }

    /// Queues `body` without waiting for it.
    func submit(_ body: @escaping () -> Void) {
        condition.lock()
        work.append(body)
        if thread == nil {
            let started = Thread { [self] in loop() }
            started.name = "lskeld-store"
            started.stackSize = 1 << 20
            thread = started
            started.start()
        }
        condition.signal()
        condition.unlock()
    }

    /// The calling thread's nice value to 19: Linux keeps it per thread, and
    /// `setpriority(PRIO_PROCESS, 0, _)` sets the caller's own.
    static func lowerOwnPriority() {
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 19)
    }

    private func loop() {
        Self.lowerOwnPriority()
        while true {
            condition.lock()
            while work.isEmpty { condition.wait() }
            let next = work.removeFirst()
            condition.unlock()
            next()
        }
    }
}
