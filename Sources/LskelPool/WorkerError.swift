import LskelModel

/// How a job through the worker pool can fail, apart from the object being
/// rejected (which is a ``GenerationError`` in the worker's answer).
public enum WorkerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Every worker is busy and the queue is full.
    case saturated(retryAfterSeconds: Int)
    /// The wall-clock deadline passed; the worker was killed.
    case timedOut(seconds: Double, phase: String?)
    /// The worker ran out of its address-space limit.
    case memoryLimit(mebibytes: UInt64, phase: String?)
    /// The worker used up its CPU-seconds limit.
    case cpuLimit(seconds: UInt64, phase: String?)
    /// The seccomp filter stopped a system call.
    case forbiddenSyscall(name: String, phase: String?)
    /// The worker died of a signal.
    case crashed(signal: String, phase: String?)
    /// The worker wrote more than the output cap.
    case outputTooLarge(limit: Int)
    /// The worker exited without a well-formed answer.
    case failed(status: Int32, detail: String)
    /// The worker could not be started.
    case spawnFailed(String)
    /// `--sandbox strict` and the worker could not isolate itself fully.
    case sandboxIncomplete(missing: [String], reason: String)
    /// The pool is shutting down.
    case shuttingDown

    public var description: String {
        func during(_ phase: String?) -> String { phase.map { " while \($0)" } ?? "" }
        switch self {
        case .saturated(let seconds): return "every worker is busy and the queue is full; retry in \(seconds) s"
        case .timedOut(let seconds, let phase): return "the worker was killed after \(Self.format(seconds)) s\(during(phase))"
        case .memoryLimit(let mib, let phase): return "the worker exceeded its memory limit of \(mib) MiB\(during(phase))"
        case .cpuLimit(let seconds, let phase): return "the worker exceeded its CPU limit of \(seconds) s\(during(phase))"
        case .forbiddenSyscall(let name, let phase): return "the worker made a forbidden system call (\(name)) and was stopped\(during(phase))"
        case .crashed(let signal, let phase): return "the worker crashed with \(signal)\(during(phase))"
        case .outputTooLarge(let limit): return "the worker wrote more than \(limit) bytes and was killed"
        case .failed(let status, let detail): return "the worker exited with status \(status): \(detail)"
        case .spawnFailed(let reason): return "the worker could not be started: \(reason)"
        case .sandboxIncomplete(let missing, let reason): return "the worker sandbox is incomplete (missing: \(missing.joined(separator: ", "))): \(reason)"
        case .shuttingDown: return "the service is shutting down"
        }
    }

    /// Faults a stranger's object can cause (limits, crashes inside the
    /// parsers) are the input's; the rest are the service's.
    public var isInputFault: Bool {
        switch self {
        case .timedOut, .memoryLimit, .cpuLimit, .forbiddenSyscall, .crashed, .outputTooLarge: true
        case .saturated, .failed, .spawnFailed, .sandboxIncomplete, .shuttingDown: false
        }
    }

    static func format(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? String(Int(seconds)) : String(seconds)
    }
}
