import Glibc

/// Names for the system calls and signals a worker report can carry (x86-64 numbers).
enum SyscallNames {
    static let x86_64: [Int: String] = [
        2: "open", 9: "mmap", 41: "socket", 42: "connect", 43: "accept", 49: "bind", 50: "listen",
        56: "clone", 57: "fork", 58: "vfork", 59: "execve", 62: "kill", 82: "rename", 83: "mkdir",
        87: "unlink", 90: "chmod", 92: "chown", 101: "ptrace", 105: "setuid", 155: "pivot_root",
        161: "chroot", 165: "mount", 166: "umount2", 169: "reboot", 175: "init_module", 250: "keyctl",
        257: "openat", 272: "unshare", 298: "perf_event_open", 308: "setns", 310: "process_vm_readv",
        311: "process_vm_writev", 321: "bpf", 322: "execveat", 435: "clone3", 437: "openat2",
        72: "fcntl", 99: "sysinfo", 141: "setpriority", 160: "setrlimit", 200: "tkill", 203: "sched_setaffinity",
        204: "sched_getaffinity", 234: "tgkill", 251: "ioprio_set", 302: "prlimit64", 424: "pidfd_send_signal",
        434: "pidfd_open", 438: "pidfd_getfd", 16: "ioctl", 46: "sendmsg", 47: "recvmsg", 61: "wait4",
        219: "restart_syscall",
    ]

    static func name(_ number: Int) -> String {
        x86_64[number] ?? "system call \(number)"
    }

    static func signalName(_ signal: Int32) -> String {
        switch signal {
        case SIGSEGV: "SIGSEGV"
        case SIGBUS: "SIGBUS"
        case SIGILL: "SIGILL"
        case SIGTRAP: "SIGTRAP"
        case SIGABRT: "SIGABRT"
        case SIGFPE: "SIGFPE"
        case SIGSYS: "SIGSYS"
        case SIGPIPE: "SIGPIPE"
        default: "signal \(signal)"
        }
    }
}
