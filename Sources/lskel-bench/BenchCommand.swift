import ArgumentParser
import Foundation
import Glibc
import LskelEngine

/// `lskel-bench`: bpftool against lskel and lskeld, in one run on one machine.
@main
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lskel-bench",
        abstract: "Measure bpftool gen skeleton -L, lskel gen, the in-process pipeline and lskeld on the same objects.",
        discussion: """
            Objects: every .o in --objects, or the fixtures (Tests/Fixtures/*.bpf.c, compiled with clang-14); \
            only those both bpftool and lskel accept are used. lskeld: --server URL, or one started from the \
            lskeld next to this lskel on a free loopback port (its peak memory is then reported too).
            """
    )

    @Option(name: .customLong("objects"), help: "Directory of BPF objects (default: compile the fixtures).")
    var objectsDirectory: String?

    @Option(name: .customLong("fixtures"), help: "Fixture sources when --objects is not given.")
    var fixtures = "Tests/Fixtures"

    @Option(name: .customLong("server"), help: "A running lskeld, e.g. http://127.0.0.1:8080.")
    var server: String?

    @Option(name: .customLong("runs"), help: "Runs per object for the per-object timings.")
    var runs = 20

    @Option(name: .customLong("requests"), help: "Uncached requests per concurrency level.")
    var requests = 300

    @Option(name: .customLong("cached-requests"), help: "Cached requests per concurrency level.")
    var cachedRequests = 3000

    @Option(name: .customLong("idle-clients"), help: "Also open this many idle connections and count those lskeld still holds after its header timeout (0: skip).")
    var idleClients = 0

    @Option(name: .customLong("idle-wait"), help: "Seconds to wait before counting the idle connections (past lskeld's --read-header-timeout).")
    var idleWait = 12.0

    @Option(name: .customLong("kernels"), help: "Also measure the kernel matrix in this directory (deploy/fetch-kernels; deploy/build-guest).")
    var kernels: String?

    @Option(name: .customLong("verify-jobs"), help: "Verifications per kernel for --kernels.")
    var verifyJobs = 20

    @Flag(name: .customLong("json"), help: "Print JSON instead of a table.")
    var json = false

    func run() async throws {
        let objects = try prepareObjects()
        guard !objects.isEmpty else { throw ValidationError("no object that both bpftool and lskel accept") }
        let host = try HostProfile.read()
        var report = BenchReport(machine: BenchReport.machineDescription(), objects: objects.map { ($0 as NSString).lastPathComponent })

        let bpftool = try findTool("bpftool", ["/usr/sbin/bpftool", "/usr/bin/bpftool"])
        // lskel (for `lskel gen`), lskeld and lskel-worker are next to this executable.
        let built = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            .deletingLastPathComponent().appendingPathComponent("lskel").path
        let scratch = NSTemporaryDirectory() + "lskel-bench-\(getpid())"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        // `lskel gen` is timed as installed (bpftool is: dpkg writes it whole), not as the
        // linker left it: the same bytes written in the linker's small pieces are cached
        // in small page-cache folios and start about 0.4 ms slower on this VM.
        let lskel = try Self.install(built, into: scratch + "/bin")

        for object in objects {
            let name = (object as NSString).lastPathComponent
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: object)))
            let skeleton = try SkeletonName.fromFileName(name)
            // Run by run in turn, so that the VM's drift falls on both alike.
            // `lskel gen` twice: as it runs by default (header, blobs and manifest), and writing
            // only what bpftool writes (the header).
            var bpftoolTimes: [Double] = [], genTimes: [Double] = [], genHeaderTimes: [Double] = []
            for run in 0..<runs {
                bpftoolTimes.append(try Spawn.time(bpftool, ["gen", "skeleton", "-L", object]))
                // The two forms take turns going first.
                let all = { genTimes.append(try Spawn.time(lskel, ["gen", object, "--out-dir", scratch, "--host"])) }
                let header = { genHeaderTimes.append(try Spawn.time(lskel, ["gen", object, "--out-dir", scratch, "--host", "--format", "header"])) }
                if run % 2 == 0 { try all(); try header() } else { try header(); try all() }
            }
            let inProcess = try (0..<runs).map { _ in
                try Spawn.measure { _ = try LoaderGenerator.generate(object: bytes, name: skeleton, profile: host) }
            }
            report.perObject.append(.init(object: name, bpftoolMs: median(bpftoolTimes) * 1000,
                                          lskelGenMs: median(genTimes) * 1000, lskelGenHeaderMs: median(genHeaderTimes) * 1000,
                                          inProcessMs: median(inProcess) * 1000))
        }

        let workerPath = URL(fileURLWithPath: built).deletingLastPathComponent().appendingPathComponent("lskel-worker").path
        for object in objects where FileManager.default.isExecutableFile(atPath: workerPath) {
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: object)))
            let name = (object as NSString).lastPathComponent
            let rss = try Spawn.workerPeakRSS(workerPath, object: bytes, name: try SkeletonName.fromFileName(name), objectName: name)
            report.workerPeakRSSKiB[name] = rss
        }

        // bpftool as a build runs it, one process per object, two at a time on this machine's two cores.
        let pairRounds = max(1, 200 / max(objects.count, 1))
        report.bpftoolPairPerSecond = Self.bpftoolPairRate(bpftool, jobs: (0..<pairRounds).flatMap { _ in objects })

        let started = try server.map { (url: $0, pid: Int32?.none) } ?? startServer(lskel: built, data: scratch + "/data")
        defer { if let pid = started.pid { kill(pid, SIGTERM); var status: Int32 = 0; waitpid(pid, &status, 0) } }
        guard let url = URL(string: started.url), let hostName = url.host, let port = url.port else {
            throw ValidationError("--server must look like http://127.0.0.1:8080")
        }
        // Over HTTP the profile is the default plus this kernel's release (no kernel config is sent),
        // so objects that need CONFIG_* values are left out there.
        let serverProfile = TargetProfile(kernelRelease: host.kernelRelease)
        let payloads = try objects.compactMap { object -> (String, [UInt8])? in
            let name = (object as NSString).lastPathComponent
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: object)))
            guard (try? LoaderGenerator.generate(object: bytes, name: try SkeletonName.fromFileName(name), profile: serverProfile)) != nil
            else { return nil }
            return (name, bytes)
        }
        report.httpObjects = payloads.map(\.0)
        let http = HTTPLoad(host: hostName, port: UInt16(port), payloads: payloads,
                            query: host.kernelRelease.map { "&kernel_release=\($0)" } ?? "")
        let runID = String(UInt32.random(in: 0...UInt32.max), radix: 36)
        // A long-running service is measured, not its first minutes: one uncached request of
        // each object first (its first requests page in code and heap and make the store's folders).
        _ = try http.run(requests: payloads.count, concurrency: 1) { index in "w\(runID)_\(index)" }
        let httpObjectPaths = objects.filter { path in payloads.contains { $0.0 == (path as NSString).lastPathComponent } }
        report.alternatingSingle = try Self.alternatingSingle(bpftool: bpftool, objects: httpObjectPaths, http: http,
                                                              blocks: runs, runID: runID)
        for concurrency in [1, 8, 32] {
            // At concurrency 1 every object gets at least --runs requests, so its p50 (set against
            // bpftool's median of --runs) is not one or two samples.
            let count = concurrency == 1 ? max(requests, payloads.count * runs) : requests
            report.http.append(try Self.httpRow("uncached", concurrency: concurrency, pid: started.pid) {
                try http.run(requests: count, concurrency: concurrency) { index in "u\(runID)_\(concurrency)_\(index)" }
            })
        }
        // Throughput against bpftool, in alternating rounds: bpftool two at a time on the
        // objects lskeld takes, then lskeld at concurrency 8, and so on, bpftool last. Each
        // round's ratio is set against the bpftool rounds on either side of it, so the
        // machine's drift over the run (a third on the development VM) cancels out.
        let roundRequests = max(payloads.count, requests / 2)
        let httpPaths = objects.filter { path in payloads.contains { $0.0 == (path as NSString).lastPathComponent } }
        // The same objects in the same order as the round's requests (they go round the payloads).
        let roundJobs = Array((0...(roundRequests / max(httpPaths.count, 1))).flatMap { _ in httpPaths }.prefix(roundRequests))
        var pairRates = [Self.bpftoolPairRate(bpftool, jobs: roundJobs)]
        for round in 0..<3 {
            let result = try http.run(requests: roundRequests, concurrency: 8) { index in "t\(runID)_\(round)_\(index)" }
            pairRates.append(Self.bpftoolPairRate(bpftool, jobs: roundJobs))
            report.throughputRounds.append(.init(lskeldPerSecond: result.perSecond,
                                                 bpftoolPairPerSecond: (pairRates[round] + pairRates[round + 1]) / 2))
        }

        // Cached: the same few names again and again, after one warm-up each.
        _ = try http.run(requests: payloads.count, concurrency: 1) { index in "c\(runID)_\(index)" }
        for concurrency in [1, 8, 32] {
            report.http.append(try Self.httpRow("cached", concurrency: concurrency, pid: started.pid) {
                try http.run(requests: cachedRequests, concurrency: concurrency) { index in "c\(runID)_\(index % payloads.count)" }
            })
        }
        // Hits by key: GET of each object's header, no upload (the keys from the cached POSTs above).
        var keyPaths: [(object: String, path: String)] = []
        for (index, payload) in payloads.enumerated() {
            let connection = BenchConnection(host: hostName, port: UInt16(port))
            let path = "/v1/loaders?name=c\(runID)_\(index)&filename=\(payload.0)&format=header" + (host.kernelRelease.map { "&kernel_release=\($0)" } ?? "")
            if try connection.send(method: "POST", path: path, body: payload.1, contentType: "application/octet-stream") == 200,
               let location = connection.lastLocation {
                keyPaths.append((payload.0, location + "/header"))
            }
        }
        if !keyPaths.isEmpty {
            for concurrency in [1, 8, 32] {
                report.http.append(try Self.httpRow("by key", concurrency: concurrency, pid: started.pid) {
                    try http.get(paths: keyPaths, requests: cachedRequests, concurrency: concurrency)
                })
            }
        }
        (report.adversarialMultipartMs, report.adversarialMultipartStatus) = try adversarialMultipart(host: hostName, port: UInt16(port))
        if idleClients > 0 {
            report.idleClients = try IdleClients(host: hostName, port: UInt16(port)).run(count: idleClients, waitSeconds: idleWait)
        }
        if let pid = started.pid { report.serverPeakRSSKiB = Spawn.peakRSS(pid: pid) }
        if let kernels {
            let realistic = objects.filter { ($0 as NSString).lastPathComponent.hasPrefix("rt_") }
            report.kernels = try await KernelBench(directory: kernels, objects: Array((realistic.isEmpty ? objects : realistic).prefix(8)),
                                                   jobsPerKernel: verifyJobs).run()
        }

        if json {
            let encoder = JSONEncoder()
            encoder.keyEncodingStrategy = .convertToSnakeCase
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            FileHandle.standardOutput.write(try encoder.encode(report) + Data("\n".utf8))
        } else {
            print(report.table, terminator: "")
            if let kernels = report.kernels { print(KernelBench.table(kernels), terminator: "") }
        }
    }

    /// One request at a time against bpftool, in alternating blocks: bpftool once on every
    /// object in turn, then one uncached request of every object in turn, and so on, the
    /// blocks in the order bpftool, lskeld, lskeld, bpftool (repeated), so that a drift of
    /// the machine that is steady over the run falls on both alike. Inside a block each
    /// object follows the one before it as in a build that submits objects one by one.
    static func alternatingSingle(bpftool: String, objects: [String], http: HTTPLoad, blocks: Int,
                                  runID: String) throws -> [String: BenchReport.AlternatingTimes] {
        var times: [String: BenchReport.AlternatingTimes] = [:]
        let connection = BenchConnection(host: http.host, port: http.port)
        let payloads = Dictionary(http.payloads.map { ($0.name, $0.bytes) }, uniquingKeysWith: { first, _ in first })
        for block in 0..<(2 * max(blocks, 1)) {
            let bpftoolBlock = [0, 3].contains(block % 4)
            for (index, object) in objects.enumerated() {
                let name = (object as NSString).lastPathComponent
                if bpftoolBlock {
                    times[name, default: .init()].bpftoolMs.append(try Spawn.time(bpftool, ["gen", "skeleton", "-L", object]) * 1000)
                } else if let bytes = payloads[name] {
                    let path = "/v1/loaders?name=a\(runID)_\(block)_\(index)&filename=\(name)&format=header\(http.query)"
                    let begin = Spawn.now()
                    let status = try connection.send(method: "POST", path: path, body: bytes, contentType: "application/octet-stream")
                    guard status == 200 else { throw BenchError("\(name): lskeld answered \(status)") }
                    times[name, default: .init()].httpMs.append((Spawn.now() - begin) * 1000)
                }
            }
        }
        return times
    }

    /// Objects per second of bpftool run over `jobs`, two processes at a time (a build on two cores).
    static func bpftoolPairRate(_ bpftool: String, jobs: [String]) -> Double {
        let next = Counter()
        let done = Collector()
        let start = Spawn.now()
        for _ in 0..<2 {
            Thread {
                while let index = next.take(limit: jobs.count) {
                    let status = (try? Spawn.run(bpftool, ["gen", "skeleton", "-L", jobs[index]])) ?? -1
                    done.add(0, ok: status == 0, key: "")
                }
                done.done()
            }.start()
        }
        done.wait(for: 2)
        return Double(jobs.count) / max(Spawn.now() - start, 1e-9)
    }

    /// The multipart body that made the pre-check quadratic: `--b` then `x--b` on every line, just under 16 MiB.
    func adversarialMultipart(host: String, port: UInt16) throws -> (Double, Int) {
        let unit = Array("x--b\n".utf8)
        var body = Array("--b\r\n".utf8)
        body.reserveCapacity(16 << 20)
        while body.count + unit.count <= (16 << 20) - 4096 { body += unit }
        var status = 0
        let times = try (0..<5).map { _ in
            try Spawn.measure {
                status = try BenchConnection(host: host, port: port)
                    .send(method: "POST", path: "/v1/loaders", body: body, contentType: "multipart/form-data; boundary=b")
            }
        }
        return (median(times) * 1000, status)
    }

    func findTool(_ name: String, _ candidates: [String]) throws -> String {
        guard let path = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw ValidationError("\(name) is not installed")
        }
        return path
    }

    /// Copies `lskel` and `lskel-tool` (which `lskel` hands other commands to) into
    /// `directory`, each file in one write as `install` does; returns the copy of `lskel`.
    static func install(_ lskel: String, into directory: String) throws -> String {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let source = URL(fileURLWithPath: lskel).deletingLastPathComponent()
        for name in ["lskel", "lskel-tool"] {
            let bytes = try Data(contentsOf: source.appendingPathComponent(name))
            let target = directory + "/" + name
            try bytes.write(to: URL(fileURLWithPath: target))
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: target)
        }
        return directory + "/lskel"
    }

    /// The objects to measure: --objects, or the fixtures compiled now; only those bpftool and lskel both accept.
    func prepareObjects() throws -> [String] {
        var candidates: [String] = []
        if let directory = objectsDirectory {
            let names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".o") }.sorted()
            candidates = names.map { (directory as NSString).appendingPathComponent($0) }
        } else {
            let clang = try findTool("clang-14", ["/usr/bin/clang-14", "/usr/bin/clang"])
            let out = NSTemporaryDirectory() + "lskel-bench-objects-\(getpid())"
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            let sources = try FileManager.default.contentsOfDirectory(atPath: fixtures).filter { $0.hasSuffix(".bpf.c") }.sorted()
            for source in sources {
                let object = "\(out)/\(source.dropLast(2)).o"
                let status = try Spawn.run(clang, ["-target", "bpf", "-g", "-O2", "-D__TARGET_ARCH_x86", "-I", fixtures,
                                                   "-I", "/usr/include/x86_64-linux-gnu", "-c", "\(fixtures)/\(source)", "-o", object])
                if status == 0 { candidates.append(object) }
            }
        }
        let host = try HostProfile.read()
        let bpftool = try findTool("bpftool", ["/usr/sbin/bpftool", "/usr/bin/bpftool"])
        return try candidates.filter { object in
            guard try Spawn.run(bpftool, ["gen", "skeleton", "-L", object]) == 0,
                  let bytes = FileManager.default.contents(atPath: object),
                  let name = try? SkeletonName.fromFileName((object as NSString).lastPathComponent) else { return false }
            return (try? LoaderGenerator.generate(object: [UInt8](bytes), name: name, profile: host)) != nil
        }
    }

    /// One row of the HTTP table: `load` run, and the server's page faults per request
    /// over it when the benchmark started the server (`pid`).
    static func httpRow(_ kind: String, concurrency: Int, pid: Int32?,
                        _ load: () throws -> HTTPLoad.Result) rethrows -> BenchReport.HTTPRow {
        let before = pid.flatMap(Spawn.faults)
        let result = try load()
        var faults: Double? = nil
        if let before, let pid, let after = Spawn.faults(pid: pid), result.requests > 0 {
            faults = Double(after - before) / Double(result.requests)
        }
        return .init(kind: kind, concurrency: concurrency, result: result, serverFaultsPerRequest: faults)
    }

    /// Starts lskeld on a free loopback port and waits until it is ready.
    func startServer(lskel: String, data: String) throws -> (url: String, pid: Int32?) {
        let lskeld = URL(fileURLWithPath: lskel).deletingLastPathComponent().appendingPathComponent("lskeld").path
        guard FileManager.default.isExecutableFile(atPath: lskeld) else {
            throw ValidationError("no lskeld next to lskel; give --server")
        }
        let port = Spawn.freePort()
        let pid = try Spawn.start(lskeld, ["--port", String(port), "--data-dir", data, "--log-level", "error",
                                           "--queue-limit", "4096"])
        let connection = BenchConnection(host: "127.0.0.1", port: UInt16(port))
        for _ in 0..<200 {
            if (try? connection.send(method: "GET", path: "/readyz", body: [], contentType: "text/plain")) == 200 {
                return ("http://127.0.0.1:\(port)", pid)
            }
            usleep(50_000)
        }
        kill(pid, SIGKILL)
        throw ValidationError("lskeld did not become ready")
    }
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
}

func percentile(_ values: [Double], _ p: Double) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return 0 }
    return sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)]
}
