import Foundation
import Glibc
import LskelEngine

/// Process helpers for the benchmark: posix_spawn and wait4, no extra threads.
enum Spawn {
    static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    static func measure(_ body: () throws -> Void) throws -> Double {
        let start = now()
        try body()
        return now() - start
    }

    /// Starts a program with its output discarded; returns its pid.
    static func start(_ path: String, _ arguments: [String]) throws -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, path, &actions, nil, argv, environ)
        guard result == 0 else { throw BenchError("\(path): \(String(cString: strerror(result)))") }
        return pid
    }

    static func run(_ path: String, _ arguments: [String]) throws -> Int32 {
        let pid = try start(path, arguments)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        return status
    }

    /// Wall time of one run of a program, as a user waiting for it sees it.
    static func time(_ path: String, _ arguments: [String]) throws -> Double {
        let start = now()
        let status = try run(path, arguments)
        guard status == 0 else { throw BenchError("\(path) \(arguments.joined(separator: " ")) failed with status \(status)") }
        return now() - start
    }

    /// Peak resident memory (KiB) of a worker generating one object.
    static func workerPeakRSS(_ worker: String, object: [UInt8], name: String, objectName: String) throws -> Int {
        var input: [Int32] = [0, 0]
        guard pipe(&input) == 0 else { throw BenchError("pipe failed") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, input[0], 0)
        posix_spawn_file_actions_addclose(&actions, input[1])
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv = [strdup(worker), nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        guard posix_spawn(&pid, worker, &actions, nil, argv, environ) == 0 else { throw BenchError("cannot start \(worker)") }
        close(input[0])
        let request = try JSONEncoder().encode(WorkerRequest(name: name, objectName: objectName, profile: TargetProfile()))
        let frame = WorkerFrame.encode(type: WorkerFrame.request, parts: [Array(request), object])
        var offset = 0
        while offset < frame.count {
            let n = frame[offset...].withUnsafeBytes { write(input[1], $0.baseAddress, $0.count) }
            if n <= 0 { break }
            offset += n
        }
        close(input[1])
        var status: Int32 = 0
        var usage = rusage()
        wait4(pid, &status, 0, &usage)
        return Int(usage.ru_maxrss)
    }

    /// The page faults a running process has taken so far (minor and major), from /proc/PID/stat.
    static func faults(pid: Int32) -> Int? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let afterName = stat.lastIndex(of: ")") else { return nil }
        // After "pid (comm)": state is field 3, minflt field 10, majflt field 12.
        let fields = stat[stat.index(after: afterName)...].split(separator: " ")
        guard fields.count > 9, let minor = Int(fields[7]), let major = Int(fields[9]) else { return nil }
        return minor + major
    }

    /// VmHWM of a running process, KiB.
    static func peakRSS(pid: Int32) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        }
        return nil
    }

    /// A loopback port nothing listens on right now.
    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// Requests against lskeld from several connections at once.
struct HTTPLoad {
    let host: String
    let port: UInt16
    let payloads: [(name: String, bytes: [UInt8])]
    /// Extra query parameters for every request.
    var query = ""

    struct Result: Codable {
        var requests: Int
        var seconds: Double
        var perSecond: Double
        var p50Ms: Double
        var p99Ms: Double
        var errors: Int
        /// p50 of each object's requests, by object file name.
        var p50MsByObject: [String: Double]
    }

    /// Sends `requests` GETs of `paths` (in turn) over `concurrency` connections: cache hits by key, no upload.
    func get(paths: [(object: String, path: String)], requests: Int, concurrency: Int) throws -> Result {
        drive(requests: requests, concurrency: concurrency) { connection, index in
            let target = paths[index % paths.count]
            let status = (try? connection.send(method: "GET", path: target.path, body: [], contentType: "text/plain")) ?? 0
            return (target.object, status)
        }
    }

    /// Sends `requests` POSTs spread over `concurrency` connections; `skeleton(i)` names request i.
    func run(requests: Int, concurrency: Int, skeleton: @escaping @Sendable (Int) -> String) throws -> Result {
        drive(requests: requests, concurrency: concurrency) { [payloads, query] connection, index in
            let payload = payloads[index % payloads.count]
            let path = "/v1/loaders?name=\(skeleton(index))&filename=\(payload.name)&format=header\(query)"
            let status = (try? connection.send(method: "POST", path: path, body: payload.bytes,
                                               contentType: "application/octet-stream")) ?? 0
            return (payload.name, status)
        }
    }

    /// `requests` requests over `concurrency` keep-alive connections, one thread each; `send`
    /// makes request i and says which object it was for and its status.
    private func drive(requests: Int, concurrency: Int,
                       send: @escaping @Sendable (BenchConnection, Int) -> (object: String, status: Int)) -> Result {
        let next = Counter()
        let latencies = Collector()
        let start = Spawn.now()
        let threads = (0..<concurrency).map { _ in
            Thread { [host, port] in
                let connection = BenchConnection(host: host, port: port)
                while let index = next.take(limit: requests) {
                    let begin = Spawn.now()
                    let (object, status) = send(connection, index)
                    latencies.add(Spawn.now() - begin, ok: status == 200, key: object)
                }
                latencies.done()
            }
        }
        threads.forEach { $0.start() }
        latencies.wait(for: concurrency)
        let elapsed = Spawn.now() - start
        let values = latencies.values
        return Result(requests: requests, seconds: elapsed, perSecond: Double(requests) / elapsed,
                      p50Ms: percentile(values, 0.5) * 1000, p99Ms: percentile(values, 0.99) * 1000, errors: latencies.errors,
                      p50MsByObject: latencies.valuesByKey.mapValues { percentile($0, 0.5) * 1000 })
    }
}

final class Counter: @unchecked Sendable {
    private var value = 0
    private let lock = NSLock()

    func take(limit: Int) -> Int? {
        lock.lock()
        defer { lock.unlock() }
        guard value < limit else { return nil }
        value += 1
        return value - 1
    }
}

final class Collector: @unchecked Sendable {
    private(set) var values: [Double] = []
    private(set) var valuesByKey: [String: [Double]] = [:]
    private(set) var errors = 0
    private var finished = 0
    private let condition = NSCondition()

    func add(_ value: Double, ok: Bool, key: String) {
        condition.lock()
        values.append(value)
        valuesByKey[key, default: []].append(value)
        if !ok { errors += 1 }
        condition.unlock()
    }

    func done() {
        condition.lock()
        finished += 1
        condition.broadcast()
        condition.unlock()
    }

    func wait(for count: Int) {
        condition.lock()
        while finished < count { condition.wait() }
        condition.unlock()
    }
}

/// What `lskel-bench` measured.
struct BenchReport: Codable {
    struct PerObject: Codable {
        var object: String
        var bpftoolMs: Double
        var lskelGenMs: Double
        /// `lskel gen --format header`: the one file bpftool writes.
        var lskelGenHeaderMs: Double
        var inProcessMs: Double
    }

    struct HTTPRow: Codable {
        var kind: String
        var concurrency: Int
        var result: HTTPLoad.Result
        /// The server's page faults (minor and major) per request over this row, when the
        /// benchmark started the server (its own process: the workers' are not counted).
        var serverFaultsPerRequest: Double? = nil
    }

    var machine: String
    var objects: [String]
    var httpObjects: [String] = []
    var perObject: [PerObject] = []
    var http: [HTTPRow] = []
    var workerPeakRSSKiB: [String: Int] = [:]
    var serverPeakRSSKiB: Int?
    /// Answer time of a 16 MiB adversarial multipart body (a boundary marker on every line), median of runs, and its status.
    var adversarialMultipartMs: Double?
    var adversarialMultipartStatus: Int?
    var idleClients: IdleClients.Result?
    /// The kernel matrix (with --kernels).
    var kernels: KernelBench.Result?
    /// bpftool run two at a time over the objects (the machine's two cores), objects per second.
    var bpftoolPairPerSecond: Double?
    /// Uncached lskeld at concurrency 8 and bpftool two at a time, in alternating rounds.
    struct ThroughputRound: Codable {
        var lskeldPerSecond: Double
        /// The mean of the bpftool rounds just before and just after.
        var bpftoolPairPerSecond: Double
        var ratio: Double { lskeldPerSecond / max(bpftoolPairPerSecond, 1e-9) }
    }
    var throughputRounds: [ThroughputRound] = []
    /// One request at a time, in blocks alternating with bpftool runs (see
    /// ``BenchCommand/alternatingSingle``): each object's times, ms.
    struct AlternatingTimes: Codable {
        var bpftoolMs: [Double] = []
        var httpMs: [Double] = []
        var ratio: Double? {
            guard !bpftoolMs.isEmpty, !httpMs.isEmpty else { return nil }
            return median(httpMs) / max(median(bpftoolMs), 0.001)
        }
    }
    var alternatingSingle: [String: AlternatingTimes] = [:]

    var bpftoolMedianMs: Double { median(perObject.map(\.bpftoolMs)) }
    var genMedianMs: Double { median(perObject.map(\.lskelGenMs)) }

    static func machineDescription() -> String {
        var info = utsname()
        uname(&info)
        let release = withUnsafeBytes(of: &info.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        return "\(ProcessInfo.processInfo.activeProcessorCount) CPUs, \(ProcessInfo.processInfo.physicalMemory >> 30) GiB, Linux \(release)"
    }

    var table: String {
        func f(_ value: Double, _ digits: Int = 2) -> String { String(format: "%.\(digits)f", value) }
        let uncachedByObject = http.first { $0.kind == "uncached" && $0.concurrency == 1 }?.result.p50MsByObject ?? [:]
        var out = "machine: \(machine)\n\nper object (median of runs, ms; http: uncached p50 at concurrency 1)\n"
        out += "object                    bpftool   lskel gen  gen header  in-process  bpftool/gen      http  http/bpftool  alt bpftool  alt http  alt ratio\n"
        for row in perObject {
            let httpMs = uncachedByObject[row.object]
            let alternating = alternatingSingle[row.object]
            out += row.object.padding(toLength: 24, withPad: " ", startingAt: 0)
                + "  " + f(row.bpftoolMs).leftAligned(8) + "  " + f(row.lskelGenMs).leftAligned(9)
                + "  " + f(row.lskelGenHeaderMs).leftAligned(10)
                + "  " + f(row.inProcessMs, 3).leftAligned(10) + "  " + f(row.bpftoolMs / max(row.lskelGenMs, 0.001)).leftAligned(11)
                + "  " + (httpMs.map { f($0) } ?? "-").leftAligned(8)
                + "  " + (httpMs.map { f($0 / max(row.bpftoolMs, 0.001)) } ?? "-").leftAligned(12)
                + "  " + (alternating.flatMap { $0.bpftoolMs.isEmpty ? nil : f(median($0.bpftoolMs)) } ?? "-").leftAligned(11)
                + "  " + (alternating.flatMap { $0.httpMs.isEmpty ? nil : f(median($0.httpMs)) } ?? "-").leftAligned(8)
                + "  " + (alternating?.ratio.map { f($0) } ?? "-").leftAligned(9) + "\n"
        }
        out += "(alt: one request at a time in blocks that alternate with bpftool runs on the same objects)\n"
        out += "\nlskeld over loopback\n"
        out += "kind       concurrency  requests  per second    p50 ms    p99 ms  errors  server faults/request\n"
        for row in http {
            out += row.kind.padding(toLength: 9, withPad: " ", startingAt: 0)
                + "  " + String(row.concurrency).leftAligned(11) + "  " + String(row.result.requests).leftAligned(8)
                + "  " + f(row.result.perSecond, 0).leftAligned(10) + "  " + f(row.result.p50Ms).leftAligned(8)
                + "  " + f(row.result.p99Ms).leftAligned(8) + "  " + String(row.result.errors).leftAligned(6)
                + "  " + (row.serverFaultsPerRequest.map { f($0, 1) } ?? "-").leftAligned(21) + "\n"
        }
        let uncachedP50 = http.first { $0.kind == "uncached" && $0.concurrency == 1 }?.result.p50Ms ?? 0
        out += "\nratios (targets in brackets)\n"
        out += "bpftool / lskel gen (median of objects) [>= 1.0]: \(f(bpftoolMedianMs / max(genMedianMs, 0.001)))"
        let genRatios = perObject.map { $0.bpftoolMs / max($0.lskelGenMs, 0.001) }
        out += ", \(genRatios.filter { $0 >= 1 }.count) of \(genRatios.count) objects at or above\n"
        let headerRatios = perObject.map { $0.bpftoolMs / max($0.lskelGenHeaderMs, 0.001) }
        let headerMedianMs = median(perObject.map(\.lskelGenHeaderMs))
        out += "bpftool / lskel gen --format header (the same one file) [>= 1.0]: \(f(bpftoolMedianMs / max(headerMedianMs, 0.001)))"
        out += ", \(headerRatios.filter { $0 >= 1 }.count) of \(headerRatios.count) objects at or above\n"
        out += "uncached HTTP p50 at concurrency 1 / bpftool [<= 1.0]: \(f(uncachedP50 / max(bpftoolMedianMs, 0.001))) overall"
        let perObjectRatios = perObject.compactMap { row in uncachedByObject[row.object].map { $0 / max(row.bpftoolMs, 0.001) } }
        if let low = perObjectRatios.min(), let high = perObjectRatios.max() {
            out += ", \(f(low)) to \(f(high)) per object, \(perObjectRatios.filter { $0 <= 1 }.count) of \(perObjectRatios.count) at or below"
        }
        out += "\n"
        let alternatingRatios = alternatingSingle.values.compactMap(\.ratio)
        if let low = alternatingRatios.min(), let high = alternatingRatios.max() {
            out += "uncached HTTP p50 at concurrency 1 / bpftool, blocks alternating with bpftool's [<= 1.0 each]: median \(f(median(alternatingRatios)))"
            out += ", \(f(low)) to \(f(high)) per object, \(alternatingRatios.filter { $0 <= 1 }.count) of \(alternatingRatios.count) at or below\n"
        }
        if !throughputRounds.isEmpty {
            let ratios = throughputRounds.map(\.ratio)
            out += "uncached objects/s at concurrency 8 / bpftool two at a time, alternating rounds [>= 1.0]: median \(f(median(ratios)))"
            out += " (rounds: " + throughputRounds.map { "\(f($0.lskeldPerSecond, 0))/\(f($0.bpftoolPairPerSecond, 0))" }.joined(separator: ", ") + ")\n"
        } else if let pair = bpftoolPairPerSecond, let uncached8 = http.first(where: { $0.kind == "uncached" && $0.concurrency == 8 }) {
            out += "uncached objects/s at concurrency 8 / bpftool two at a time (\(f(pair, 0))/s) [>= 1.0]: \(f(uncached8.result.perSecond / pair))\n"
        }
        if let byKey = http.first(where: { $0.kind == "by key" && $0.concurrency == 8 }) {
            out += "cache hits by key (GET .../header) at concurrency 8 [>= 5,000/s]: \(f(byKey.result.perSecond, 0))/s\n"
        }
        if let cached = http.first(where: { $0.kind == "cached" && $0.concurrency == 8 }) {
            out += "cached POST at concurrency 8: \(f(cached.result.perSecond, 0))/s\n"
        }
        if let adversarial = adversarialMultipartMs {
            out += "\nadversarial multipart body (16 MiB, a boundary on every line): answered \(adversarialMultipartStatus ?? 0) in \(f(adversarial)) ms\n"
        }
        if let idle = idleClients {
            out += "idle clients: \(idle.opened) opened (/healthz meanwhile: \(idle.healthStatus)), \(idle.stillOpen) still open after \(f(idle.stillOpenAfterSeconds, 0)) s\n"
        }
        out += "\npeak memory\n"
        if let server = serverPeakRSSKiB { out += "lskeld: \(server / 1024) MiB\n" }
        if let worst = workerPeakRSSKiB.max(by: { $0.value < $1.value }) {
            out += "worker (worst object, \(worst.key)): \(worst.value / 1024) MiB\n"
        }
        return out
    }
}

extension String {
    func leftAligned(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
