/// How a worker process exits: its exit status, as `enum lskel_worker_exit`
/// in lskel_sandbox.h spells it (a test holds the two together).
public enum WorkerExit: Int32, CaseIterable, Sendable {
    case ok = 0
    case usage = 2
    case writeFailed = 3
    case readFailed = 4
    case requestTooLarge = 5
    case sandboxFailed = 6
    case badRequest = 7
    case hostileDisabled = 8
    case unknownAction = 9
    case readyFailed = 10
    case forkServerFailed = 11
    /// The seccomp filter stopped a system call; stderr's last such line names it.
    case forbiddenSyscall = 97
    case outOfMemory = 98
    case relayWait = 111
    case relayStatus = 112
    case relayOrphaned = 113
    case jobDescriptors = 120
    case jobLockdown = 121
    case signalfd = 122
    case poll = 123

    /// The stderr line the seccomp handler writes before `forbiddenSyscall`: this, then the number.
    public static let forbiddenSyscallLine = "forbidden system call "
}
