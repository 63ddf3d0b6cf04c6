import CLskelSystem
import Foundation

/// Starts guest processes that end with this one. `PR_SET_PDEATHSIG` fires
/// when the thread that forked exits, not only the process, so every spawn is
/// made by one thread that lives as long as the process.
final class BoundSpawner: @unchecked Sendable {
    static let shared = BoundSpawner()

    private let condition = NSCondition()
    private var pending: [(path: String, arguments: [String], output: Int32, done: (pid_t, Int32) -> Void)] = []

    private init() {
        let thread = Thread { [self] in loop() }
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// The child's pid (or -1 and errno), from the spawning thread.
    func spawn(_ path: String, _ arguments: [String], output: Int32) -> (pid: pid_t, error: Int32) {
        let finished = NSCondition()
        var result: (pid_t, Int32)? = nil
        condition.lock()
        pending.append((path, arguments, output, { pid, error in
            finished.lock()
            result = (pid, error)
            finished.signal()
            finished.unlock()
        }))
        condition.signal()
        condition.unlock()
        finished.lock()
        while result == nil { finished.wait() }
        finished.unlock()
        return result ?? (-1, EINVAL)
    }

    private func loop() {
        while true {
            condition.lock()
            while pending.isEmpty { condition.wait() }
            let next = pending.removeFirst()
            condition.unlock()
            let argv = next.arguments.map { strdup($0) } + [nil]
            let pid = lskel_spawn_bound(next.path, argv, next.output)
            let error = errno
            argv.forEach { free($0) }
            next.done(pid, pid > 0 ? 0 : error)
        }
    }
}
