import Foundation

/// How a forked job ended, as the fork server saw it.
enum JobExitStatus: Sendable, Equatable {
    /// A waitpid status.
    case status(Int32)
    case forkFailed(errno: Int32)
    /// The fork server exited (and with it every job).
    case serverGone
}

/// Where the reader thread leaves a job's exit for the thread running it.
final class JobExit: @unchecked Sendable {
    private let condition = NSCondition()
    private var value: JobExitStatus?
    private var forked = false

    /// The fork server said it forked the job.
    func started() {
        condition.lock()
        forked = true
        condition.broadcast()
        condition.unlock()
    }

    /// Whether the job was forked (or has already ended) by `deadline`.
    func waitStarted(until deadline: Double) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while !forked && value == nil {
            let remaining = deadline - ForkedJob.now()
            if remaining <= 0 { break }
            _ = condition.wait(until: Date(timeIntervalSinceNow: remaining))
        }
        return forked || value != nil
    }

    func finish(_ status: JobExitStatus) {
        condition.lock()
        value = status
        condition.broadcast()
        condition.unlock()
    }

    /// The exit, or nil if it did not come before `deadline` (monotonic seconds).
    func wait(until deadline: Double) -> JobExitStatus? {
        condition.lock()
        defer { condition.unlock() }
        while value == nil {
            let remaining = deadline - ForkedJob.now()
            if remaining <= 0 { break }
            _ = condition.wait(until: Date(timeIntervalSinceNow: remaining))
        }
        return value
    }
}
