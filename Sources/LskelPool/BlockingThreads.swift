import Foundation

/// Long-lived threads for the pool's blocking work (a job's `poll` loop, a
/// fork server's start), so that no cooperative thread blocks and no thread
/// is created per job. A thread is added when every one is busy; idle ones
/// wait for the next piece of work.
///
/// ```swift
/// let threads = BlockingThreads()
/// let outcome = await threads.run { worker.run(request: [head, object], wallSeconds: 5, maxOutputBytes: 1 << 20) }
/// ```
final class BlockingThreads: @unchecked Sendable {
    private let condition = NSCondition()
    private var work: [() -> Void] = []
    private var idle = 0

    func run<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            submit { continuation.resume(returning: body()) }
        }
    }

    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            submit { continuation.resume(with: Result { try body() }) }
        }
    }

    private func submit(_ body: @escaping () -> Void) {
        condition.lock()
        work.append(body)
        let spawn = work.count > idle
        if !spawn { condition.signal() }
        condition.unlock()
        if spawn {
            let thread = Thread { [self] in loop() }
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    private func loop() {
        while true {
            condition.lock()
            while work.isEmpty {
                idle += 1
                condition.wait()
                idle -= 1
            }
            let next = work.removeFirst()
            condition.unlock()
            next()
        }
    }
}
