/// The worker's command line:
///
///     lskel-worker [--fork-server [--no-text-copy]] [--memory-mib N] [--cpu-seconds N] [--max-request-bytes N] [--job-warm-up | --no-coding-warm-up] [--prefault-kib N] [--allow-test-hostile]
struct WorkerOptions {
    var memoryMiB: UInt64 = 256
    var cpuSeconds: UInt64 = 5
    var maxRequestBytes = 40 << 20
    var allowHostile = false
    var forkServer = false
    /// Whether each forked job runs the warm-up again and makes heap resident
    /// before it reads its request. Off: measured per job on two cores, the
    /// second warm-up, the 4 MiB populate and unmapping it at exit were about
    /// half the CPU of a small object's job (3.4 against 6.6-7.8 ms per request
    /// in all processes) and moved little of a large object's fault cost off
    /// its path (a large job touches far more than 4 MiB).
    var jobWarmUp = false
    /// Whether the fork server leaves its code in the executable's file mapping
    /// instead of copying it to huge pages (text.c): for profilers that name
    /// functions from the file. Copied, a small object's job had about ninety
    /// fewer page faults.
    var noTextCopy = false
    /// Heap a job makes resident before it reads its request (KiB; 0: none).
    var prefaultKiB = 0
    /// Whether a forked job leaves out ``warmUpCoding()`` while it waits.
    var noCodingWarmUp = false
    /// Test only (with --allow-test-hostile): layers to leave out, as a kernel without them would.
    var simulateMissing: [String] = []

    init(arguments: [String]) {
        var iterator = arguments.dropFirst().makeIterator()
        while let argument = iterator.next() {
            switch argument {
            case "--memory-mib": memoryMiB = iterator.next().flatMap { UInt64($0) } ?? memoryMiB
            case "--cpu-seconds": cpuSeconds = iterator.next().flatMap { UInt64($0) } ?? cpuSeconds
            case "--max-request-bytes": maxRequestBytes = iterator.next().flatMap { Int($0) } ?? maxRequestBytes
            case "--allow-test-hostile": allowHostile = true
            case "--fork-server": forkServer = true
            case "--no-text-copy": noTextCopy = true
            case "--no-coding-warm-up": noCodingWarmUp = true
            case "--job-warm-up": jobWarmUp = true
            case "--prefault-kib": prefaultKiB = iterator.next().flatMap { Int($0) } ?? prefaultKiB
            case "--simulate-missing-layer": iterator.next().map { simulateMissing.append($0) }
            default: fail("unknown argument \(argument)", status: .usage)
            }
        }
    }
}
