import CLskelSystem
import Foundation
import LskelEngine
import LskelTestSupport
import NIOCore
import Testing
@testable import LskelPool

/// Real worker processes, real namespaces and seccomp.
@Suite("Sandboxed worker pool", .serialized)
struct WorkerPoolTests {
    static func configuration(_ adjust: (inout WorkerPoolConfiguration) -> Void = { _ in }) -> WorkerPoolConfiguration {
        var configuration = WorkerPoolConfiguration(workerPath: CLI.workerPath)
        configuration.allowTestHostile = true
        adjust(&configuration)
        return configuration
    }

    static func request(_ fixture: String, name: String? = nil, hostile: String? = nil) -> WorkerRequest {
        WorkerRequest(name: name ?? Fixtures.skeletonName(fixture), objectName: "\(fixture).bpf.o",
                      profile: Fixtures.hostProfile, hostileAction: hostile)
    }

    @Test("the worker reports full isolation here (root, namespaces and seccomp available)")
    func sandboxLevel() async throws {
        let pool = WorkerPool(configuration: Self.configuration { $0.requireFullSandbox = getuid() == 0 })
        let report = try await pool.start()
        print("worker sandbox: \(report.level); layers: \(report.layers.joined(separator: ", "))\(report.failures.isEmpty ? "" : "; missing because: \(report.failures)")")
        if getuid() == 0 {
            #expect(report.level == "full", "missing: \(report.missing) because \(report.failures)")
        } else {
            // Without root: whatever is missing is named, with the kernel's reason.
            #expect(report.level == "full" ? report.missing.isEmpty : !report.missing.isEmpty && !report.failures.isEmpty)
        }
        #expect(report.layers.contains("seccomp") && report.layers.contains("no_new_privs"), "\(report.layers)")
        await pool.shutdown()
    }

    @Test("a missing layer is reported; strict mode refuses to start without full isolation")
    func strictMode() async throws {
        let lenient = WorkerPool(configuration: Self.configuration { $0.testSimulateMissingLayers = ["seccomp"] })
        let report = try await lenient.start()
        #expect(report.level == "partial")
        #expect(report.missing.contains("seccomp"))
        #expect(report.failures.contains("seccomp"))
        // Still serves, at the level it reports.
        let result = try await lenient.generate(Self.request("maps"), object: try Fixtures.bytes("maps"))
        #expect(result.headerText != nil && result.sandbox.level == "partial")
        await lenient.shutdown()

        let strict = WorkerPool(configuration: Self.configuration {
            $0.testSimulateMissingLayers = ["seccomp"]
            $0.requireFullSandbox = true
        })
        await #expect {
            try await strict.start()
        } throws: { error in
            guard case WorkerError.sandboxIncomplete(let missing, _) = error else { return false }
            return missing == ["seccomp"]
        }
        await strict.shutdown()
    }

    /// `bytes` as the fragments of a request body: an empty one, a one-byte one, then `count` uneven cuts.
    static func fragments(_ bytes: [UInt8], count: Int) -> [ByteBuffer] {
        var pieces = [ByteBuffer(), ByteBuffer(bytes: bytes.prefix(1))]
        var start = min(1, bytes.count)
        for index in 1...count {
            let end = index == count ? bytes.count : min(bytes.count, start + (bytes.count - start) / (count - index + 2) + index * 31)
            pieces.append(ByteBuffer(bytes: bytes[start..<end]))
            start = end
        }
        return pieces
    }

    @Test("output through the sandboxed worker equals the in-process pipeline's, for every fixture, whole or in fragments")
    func equivalence() async throws {
        let pool = WorkerPool(configuration: Self.configuration())
        try await pool.start()
        for fixture in Fixtures.supported {
            let bytes = try Fixtures.bytes(fixture)
            let expected: (loader: GeneratedLoader, manifest: Manifest)
            do {
                expected = try LoaderGenerator.generateWithManifest(object: bytes, objectName: "\(fixture).bpf.o",
                                                                    name: Fixtures.skeletonName(fixture), profile: Fixtures.hostProfile)
            } catch {
                Issue.record("in-process generation failed for \(fixture): \(error)")
                continue
            }
            // As the service sends it: with the object's SHA-256 from hashing it for its key.
            var request = Self.request(fixture)
            request.objectSha256 = SHA256.hex(bytes)
            let result = try await pool.generate(request, object: bytes)
            #expect(result.answer.error == nil, "\(fixture): \(String(describing: result.answer.error))")
            #expect(result.headerText == expected.loader.header, "\(fixture): header")
            #expect(result.insns == expected.loader.insns, "\(fixture): insns")
            #expect(result.data == expected.loader.data, "\(fixture): data")
            #expect(result.manifestText.map { Array($0.utf8) } == (try ManifestJSON.encode(expected.manifest)), "\(fixture): manifest")
            // The object as an upload's fragments (an empty one, one byte, uneven cuts): the same answer.
            let pieces = Self.fragments(bytes, count: 1 + bytes.count % 7)
            let fromPieces = try await pool.generate(request, fragments: pieces)
            #expect(pieces.reduce(0) { $0 + $1.readableBytes } == bytes.count)
            #expect(fromPieces.headerText == result.headerText && fromPieces.insns == result.insns
                    && fromPieces.data == result.data && fromPieces.manifestText == result.manifestText, "\(fixture): fragments")
        }
        // Without a digest, or with one that is not a SHA-256 in hex, the worker hashes the object itself.
        let bytes = try Fixtures.bytes("rt_execsnoop")
        let expected = try LoaderGenerator.generateWithManifest(object: bytes, objectName: "rt_execsnoop.bpf.o",
                                                                name: Fixtures.skeletonName("rt_execsnoop"), profile: Fixtures.hostProfile)
        for digest in [nil, "not a digest", String(repeating: "A", count: 64)] {
            var request = Self.request("rt_execsnoop")
            request.objectSha256 = digest
            let result = try await pool.generate(request, object: bytes)
            #expect(result.manifestText.map { Array($0.utf8) } == (try ManifestJSON.encode(expected.manifest)),
                    "digest \(String(describing: digest))")
        }
        // Rejections travel as the same typed errors, through the same system calls as in process.
        for (fixture, kind, _) in Fixtures.refused {
            let refused = try await pool.generate(Self.request(fixture), object: try Fixtures.bytes(fixture))
            #expect(refused.answer.error?.kind == kind, "\(fixture): \(String(describing: refused.answer.error))")
        }
        let garbage = try await pool.generate(Self.request("maps", name: "garbage"), object: Array("not an object".utf8))
        #expect(garbage.answer.error?.kind == .invalidObject)
        await pool.shutdown()
    }

    static func expectHostile(_ pool: WorkerPool, _ action: String, _ check: (Result<WorkerResult, Error>) -> Bool,
                              _ comment: Comment) async throws {
        let bytes = try Fixtures.bytes("maps")
        let result: Result<WorkerResult, Error>
        do {
            result = .success(try await pool.generate(request("maps", hostile: action), object: bytes))
        } catch {
            result = .failure(error)
        }
        #expect(check(result), "\(action): \(result) \(comment)")
        // The next request through the same pool succeeds.
        let next = try await pool.generate(request("maps"), object: bytes)
        #expect(next.answer.error == nil && next.headerText != nil, "after \(action)")
    }

    @Test("hostile workers are contained and reported precisely; the pool keeps working")
    func hostile() async throws {
        let pool = WorkerPool(configuration: Self.configuration {
            $0.cpuSeconds = 1
            // Far above the CPU limit, so a loaded machine still hits the CPU limit first.
            $0.wallSeconds = 30
            $0.maxOutputBytes = 8 << 20
        })
        try await pool.start()
        try await Self.expectHostile(pool, "read-passwd", { result in
            (try? result.get())?.answer.hostileOutcome?.contains("No such file or directory") == true
        }, "/etc/passwd must not be visible")
        for (action, syscall) in [("socket", "socket"), ("bpf", "bpf"), ("fork", "clone"), ("exec", "execve"),
                                  ("kill-server", "kill"), ("starve-server", "prlimit64"), ("end-server", "prlimit64"),
                                  ("signal-owner", "fcntl"), ("async-stdout", "fcntl"), ("renice-server", "setpriority"),
                                  ("pin-server", "sched_setaffinity"), ("peek-server", "sched_getaffinity"),
                                  ("renice-self-less", "setpriority"), ("renice-group", "setpriority"),
                                  ("renice-user", "setpriority")] {
            try await Self.expectHostile(pool, action, { result in
                if case .failure(WorkerError.forbiddenSyscall(let name, _)) = result { return name == syscall }
                return false
            }, "expected forbidden \(syscall)")
        }
        // The object arrives in a memory file of the job's own, sealed before the
        // job is told of it: the job can neither change nor grow nor shrink it.
        try await Self.expectHostile(pool, "change-request-memory", { result in
            (try? result.get())?.answer.hostileOutcome
                == "write: Operation not permitted; grow: Operation not permitted; shrink: Operation not permitted; "
                + "writable shared map: Operation not permitted; more seals: Operation not permitted"
        }, "expected every change refused by the seals")
        try await Self.expectHostile(pool, "alloc-4g", { result in
            if case .failure(let error as WorkerError) = result, case .memoryLimit(256, _) = error {
                return error.description.contains("exceeded its memory limit of 256 MiB")
            }
            return false
        }, "expected the memory limit")
        try await Self.expectHostile(pool, "spin", { result in
            if case .failure(WorkerError.cpuLimit(1, _)) = result { return true }
            return false
        }, "expected the CPU limit")
        try await Self.expectHostile(pool, "flood-stdout", { result in
            if case .failure(WorkerError.outputTooLarge(let limit)) = result { return limit == 8 << 20 }
            return false
        }, "expected the output cap")
        try await Self.expectHostile(pool, "segv", { result in
            if case .failure(let error as WorkerError) = result, case .crashed("SIGSEGV", let phase) = error {
                return phase == "running the test action segv"
                    && error.description == "the worker crashed with SIGSEGV while running the test action segv"
            }
            return false
        }, "expected a SIGSEGV crash report")
        // A job may make itself as nice as it gets (it does, once it has answered), to no other value.
        try await Self.expectHostile(pool, "renice-self", { result in
            (try? result.get())?.answer.hostileOutcome == "setpriority(0, 19) returned 0 (ok)"
        }, "expected a job allowed to lower its own priority")
        let stats = await pool.stats
        #expect(stats.forbiddenSyscalls == 15 && stats.limitExceeded == 2 && stats.killedOutput == 1 && stats.crashed == 1, "\(stats)")
        await pool.shutdown()
    }

    @Test("a job that has answered exits at nice 19 while fewer than lateExits jobs are exiting; exiting jobs are counted until reaped")
    func lateExits() async throws {
        let bytes = try Fixtures.bytes("maps")
        let pool = WorkerPool(configuration: Self.configuration())
        try await pool.start()
        let asked = try await pool.generate(Self.request("maps", hostile: "exit-nice"), object: bytes)
        #expect(asked.answer.hostileOutcome == "exit at nice 19")
        for index in 0..<20 {
            let result = try await pool.generate(Self.request("maps", name: "late_\(index)"), object: bytes)
            #expect(result.answer.error == nil && result.headerText != nil)
        }
        // Every one of them is reaped in the end, whichever came first, its exit or the pool's count of it;
        // and those counted ended cleanly after their late exit (a forbidden setpriority would end one with SIGSYS).
        let deadline = ContinuousClock.now + .seconds(10)
        while await pool.exitingJobs > 0 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(await pool.exitingJobs == 0)
        let reaped = await pool.reapedAfterAnswer
        #expect(reaped.all > 0 && reaped.failed == 0, "\(reaped)")
        await pool.shutdown()

        // With no late exits allowed: none, and a request that asks for one itself does not get one.
        let bounded = WorkerPool(configuration: Self.configuration { $0.lateExits = 0 })
        try await bounded.start()
        var asking = Self.request("maps", hostile: "exit-nice")
        asking.lateExit = true
        #expect(try await bounded.generate(asking, object: bytes).answer.hostileOutcome == "exit as run")
        let unasked = try await bounded.generate(Self.request("maps", hostile: "exit-nice"), object: bytes)
        #expect(unasked.answer.hostileOutcome == "exit as run")
        await bounded.shutdown()
    }

    @Test("a job forked after a large object allocates that much request memory while it waits, before its request")
    func requestMemoryAllocatedWarm() async throws {
        #expect(WorkerPool.requestMemoryKiB(objectBytes: 0, maxObjectBytes: 16 << 20) == 0)
        #expect(WorkerPool.requestMemoryKiB(objectBytes: 1, maxObjectBytes: 16 << 20) == 64)
        #expect(WorkerPool.requestMemoryKiB(objectBytes: 656_632, maxObjectBytes: 16 << 20) == 704)
        #expect(WorkerPool.requestMemoryKiB(objectBytes: 64 << 20, maxObjectBytes: 16 << 20) == 16 << 10)
        let pool = WorkerPool(configuration: Self.configuration { $0.warmWorkers = 1 })
        try await pool.start()
        // The only warm job was forked before any object came: it allocated nothing ahead.
        let small = try Fixtures.bytes("maps")
        let first = try await pool.generate(Self.request("maps", hostile: "request-memory-size"), object: small)
        let allocatedFirst = Self.allocated(first.answer.hostileOutcome, size: small.count)
        #expect(allocatedFirst.map { $0 < 1 << 20 } == true, "\(String(describing: first.answer.hostileOutcome))")
        // A 1.5 MiB object (refused, which does not matter) makes the next job allocate 1.5 MiB.
        let large = [UInt8](repeating: 0x5a, count: 3 << 19)
        _ = try? await pool.generate(Self.request("maps"), object: large)
        // The job forked beside it allocates before its lock-down, as soon as it runs.
        try await Task.sleep(for: .milliseconds(300))
        let next = try await pool.generate(Self.request("maps", hostile: "request-memory-size"), object: small)
        let allocatedNext = Self.allocated(next.answer.hostileOutcome, size: small.count)
        #expect(allocatedNext.map { $0 >= 3 << 19 } == true, "\(String(describing: next.answer.hostileOutcome))")
        await pool.shutdown()
    }

    /// The bytes allocated to a job's request memory, from the test action's
    /// answer, when its size is the object's.
    static func allocated(_ outcome: String?, size: Int) -> Int? {
        guard let outcome, outcome.hasPrefix("size \(size); allocated ") else { return nil }
        return Int(outcome.dropFirst("size \(size); allocated ".count))
    }

    @Test("a fork server that dies is started again; a job caught by its death runs once more on the new one")
    func forkServerRestart() async throws {
        let pool = WorkerPool(configuration: Self.configuration { $0.warmWorkers = 3 })
        try await pool.start()
        let bytes = try Fixtures.bytes("maps")
        let first = try #require(await pool.serverPID)
        _ = try await pool.generate(Self.request("maps"), object: bytes)
        // No pause: the next request may take a job forked from the dead server
        // before the pool has noticed; it runs again on a new one.
        kill(-first, SIGKILL)
        for index in 0..<5 {
            let result = try await pool.generate(Self.request("maps", name: "after_\(index)"), object: bytes)
            #expect(result.headerText?.contains("struct after_\(index) {") == true)
        }
        let second = try #require(await pool.serverPID)
        #expect(second != first)
        #expect(await pool.stats.forkServerStarts == 2)
        #expect(ProcessTree.members(first).isEmpty, "left of the first server: \(ProcessTree.members(first))")
        await pool.shutdown()
        #expect(ProcessTree.members(second).isEmpty, "left of the second server: \(ProcessTree.members(second))")
    }

    @Test("a fork server that stops forking jobs is replaced at once, not after a job deadline per request")
    func unresponsiveForkServer() async throws {
        let pool = WorkerPool(configuration: Self.configuration {
            $0.warmWorkers = 0
            $0.wallSeconds = 20
        })
        try await pool.start()
        let bytes = try Fixtures.bytes("maps")
        let relay = try #require(await pool.serverPID)
        _ = try await pool.generate(Self.request("maps"), object: bytes)
        // The fork server is the relay's only child (PID 1 of the worker PID namespace).
        let children = (try? String(contentsOfFile: "/proc/\(relay)/task/\(relay)/children", encoding: .utf8)) ?? ""
        let server = try #require(children.split(separator: " ").compactMap { Int32($0) }.first, "no fork server under \(relay)")
        kill(server, SIGSTOP)
        let start = ContinuousClock.now
        for index in 0..<3 {
            let result = try await pool.generate(Self.request("maps", name: "after_\(index)"), object: bytes)
            #expect(result.headerText?.contains("struct after_\(index) {") == true)
        }
        let elapsed = ContinuousClock.now - start
        #expect(elapsed < .seconds(5), "three requests took \(elapsed) with a stopped fork server")
        let stats = await pool.stats
        #expect(stats.unresponsiveServers == 1 && stats.forkServerStarts == 2, "\(stats)")
        #expect(ProcessTree.members(relay).isEmpty, "left of the stopped server: \(ProcessTree.members(relay))")
        await pool.shutdown()
    }

    @Test("a fork server and its waiting jobs stopped and continued (job control, a debugger, a frozen container) go on serving")
    func stoppedAndContinued() async throws {
        let pool = WorkerPool(configuration: Self.configuration { $0.warmWorkers = 2 })
        try await pool.start()
        let bytes = try Fixtures.bytes("maps")
        _ = try await pool.generate(Self.request("maps"), object: bytes)
        let relay = try #require(await pool.serverPID)
        // The relay, the fork server waiting in poll and the warm jobs waiting in read; the
        // job that answered may still be exiting, so the tree is taken once it has settled.
        let (tree, settled) = try await ProcessTree.settled(relay, count: 2 + pool.configuration.warmWorkers)
        #expect(settled, "the tree under \(relay) did not settle at \(2 + pool.configuration.warmWorkers) processes: \(tree)")
        for pid in tree { kill(pid, SIGSTOP) }
        try await Task.sleep(for: .milliseconds(100))
        for pid in tree { kill(pid, SIGCONT) }
        // A process killed for the call that resumes an interrupted one is gone by now.
        try await Task.sleep(for: .milliseconds(300))
        #expect(ProcessTree.members(relay) == tree, "after SIGSTOP and SIGCONT: \(ProcessTree.members(relay)), before: \(tree)")
        for index in 0..<3 {
            let result = try await pool.generate(Self.request("maps", name: "after_\(index)"), object: bytes)
            #expect(result.headerText?.contains("struct after_\(index) {") == true)
        }
        let stats = await pool.stats
        #expect(await pool.serverPID == relay && stats.forkServerStarts == 1 && stats.forbiddenSyscalls == 0, "\(stats)")
        await pool.shutdown()
    }

    @Test("the wall-clock deadline kills a worker that is not using CPU limits up")
    func deadline() async throws {
        let pool = WorkerPool(configuration: Self.configuration {
            $0.cpuSeconds = 30
            $0.wallSeconds = 1
        })
        try await pool.start()
        try await Self.expectHostile(pool, "spin", { result in
            if case .failure(let error as WorkerError) = result, case .timedOut(1, _) = error {
                return error.description.hasPrefix("the worker was killed after 1 s")
            }
            return false
        }, "expected the deadline")
        await pool.shutdown()
    }

    @Test("a full queue answers saturated with a retry delay instead of piling up")
    func saturation() async throws {
        let pool = WorkerPool(configuration: Self.configuration {
            $0.concurrency = 1
            $0.queueLimit = 1
            $0.wallSeconds = 1
            $0.cpuSeconds = 30
        })
        try await pool.start()
        let bytes = try Fixtures.bytes("maps")
        let outcomes = await withTaskGroup(of: Error?.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    do {
                        _ = try await pool.generate(Self.request("maps", hostile: "spin"), object: bytes)
                        return nil
                    } catch {
                        return error
                    }
                }
            }
            return await group.reduce(into: [Error?]()) { $0.append($1) }
        }
        let saturated = outcomes.compactMap { $0 as? WorkerError }.filter {
            if case .saturated(let seconds) = $0 { return seconds >= 1 }
            return false
        }
        #expect(saturated.count >= 1, "\(outcomes)")
        #expect(await pool.stats.rejectedSaturated == saturated.count)
        await pool.shutdown()
    }

    @Test("200 mixed jobs: results never mix, no worker outlives its job, no descriptor or zombie is left")
    func mixedLoad() async throws {
        // Workers talk over pipes. Other suites run beside this one in the same process, with
        // pools and processes of their own, so a count of this process's pipes moves with them.
        // What a leak leaves is told apart from their live pipes: a new pipe no other process
        // holds, found in every look for a while.
        let pipesBefore = Self.pipeInodes()
        // The check sees what it looks for: a pipe held whole here, then one whose writer is
        // closed (close-on-exec: another suite's child must not inherit the probe).
        var probe: [Int32] = [-1, -1]
        try #require(pipe(&probe) == 0)
        for fd in probe { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        let probeInode = try #require(Self.pipeInodes()[probe[0]])
        #expect(try await Self.persistentlyLeakedPipes(since: pipesBefore).contains(probeInode))
        close(probe[1])
        #expect(try await Self.persistentlyLeakedPipes(since: pipesBefore).contains(probeInode))
        close(probe[0])
        // And a request memory file, as a job's is made, held here only.
        let memoryProbe = lskel_request_memory_create()
        try #require(memoryProbe >= 0)
        let memoryInode = try #require(Self.pipeInodes()[memoryProbe])
        #expect(try await Self.persistentlyLeakedPipes(since: pipesBefore).contains(memoryInode))
        close(memoryProbe)
        let pool = WorkerPool(configuration: Self.configuration {
            $0.wallSeconds = 2
            $0.cpuSeconds = 1
            $0.concurrency = 2
            $0.queueLimit = 256
        })
        try await pool.start()
        let fixtures = ["maps", "globals", "subprogs", "core", "many32"]
        var objects: [String: [UInt8]] = [:]
        for fixture in fixtures { objects[fixture] = try Fixtures.bytes(fixture) }
        let truncated = Array(objects["maps"]!.prefix(300))
        let objectsByName = objects

        let failures = await withTaskGroup(of: String?.self) { group in
            for job in 0..<200 {
                group.addTask {
                    let fixture = fixtures[job % fixtures.count]
                    let name = "job_\(job)"
                    do {
                        switch job % 10 {
                        case 3:  // malformed
                            let result = try await pool.generate(Self.request(fixture, name: name), object: truncated)
                            return result.answer.error?.kind == .invalidObject ? nil : "job \(job): malformed object not rejected"
                        case 7:  // hostile
                            let action = ["segv", "socket", "fork", "read-passwd"][job % 4]
                            let result = try await pool.generate(Self.request(fixture, name: name, hostile: action), object: objectsByName[fixture]!)
                            return action == "read-passwd" && result.answer.hostileOutcome != nil ? nil : "job \(job): hostile \(action) returned a result"
                        default:
                            let result = try await pool.generate(Self.request(fixture, name: name), object: objectsByName[fixture]!)
                            guard let header = result.headerText, let manifest = result.manifestText else {
                                return "job \(job): \(String(describing: result.answer.error))"
                            }
                            // The answer belongs to this request: its name, its object.
                            guard header.contains("struct \(name) {"), manifest.contains("\"skeleton_name\" : \"\(name)\""),
                                  manifest.contains("\"name\" : \"\(fixture).bpf.o\"") else {
                                return "job \(job): answer belongs to another request"
                            }
                            return nil
                        }
                    } catch let error as WorkerError {
                        if job % 10 == 7 && error.isInputFault { return nil }
                        return "job \(job): \(error)"
                    } catch {
                        return "job \(job): \(error)"
                    }
                }
            }
            return await group.reduce(into: [String]()) { if let failure = $1 { $0.append(failure) } }
        }
        #expect(failures.isEmpty, "\(failures.prefix(10))")
        let stats = await pool.stats
        #expect(stats.completed + stats.crashed + stats.forbiddenSyscalls == 200, "\(stats)")
        // Only the fork server (and the process relaying its exit) and the warm
        // workers stay alive, each of those waiting for a request. The pool answers
        // as soon as a job's answer is in, so the last jobs may still be exiting:
        // they have a second to be gone.
        let serverPID = try #require(await pool.serverPID)
        var alive = ProcessTree.members(serverPID)
        for _ in 0..<100 where alive.count > 2 + pool.configuration.warmWorkers {
            try await Task.sleep(for: .milliseconds(10))
            alive = ProcessTree.members(serverPID)
        }
        #expect(alive.contains(serverPID) && alive.count <= 2 + pool.configuration.warmWorkers, "server and jobs: \(alive)")
        await pool.shutdown()
        try await Task.sleep(for: .milliseconds(200))
        #expect(ProcessTree.members(serverPID).isEmpty, "processes left: \(ProcessTree.members(serverPID))")
        let leaked = try await Self.persistentlyLeakedPipes(since: pipesBefore)
        #expect(leaked.isEmpty, "leaked pipes or request memory \(leaked.sorted()): \(Self.describeDescriptors())")
    }

    static func describeDescriptors() -> String {
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return fds.sorted().map { "\($0)->\((try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\($0)")) ?? "?")" }.joined(separator: " ")
    }

    /// What a descriptor of `pid` is an end of, when it is a pipe (`pipe:[inode]`) or a
    /// memory file (`memfd:` with its device and inode: every job's request memory has
    /// the same name); nil for anything else.
    static func identity(pid: String, fd: String) -> String? {
        guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\(fd)") else { return nil }
        if target.hasPrefix("pipe:") { return target }
        guard target.hasPrefix("/memfd:") else { return nil }
        var status = stat()
        guard stat("/proc/\(pid)/fd/\(fd)", &status) == 0 else { return nil }
        return "memfd:\(status.st_dev):\(status.st_ino)"
    }

    /// This process's pipe and memory-file descriptors and what each is (see ``identity(pid:fd:)``).
    static func pipeInodes() -> [Int32: String] {
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        var pipes: [Int32: String] = [:]
        for name in fds {
            guard let fd = Int32(name), let identity = identity(pid: "self", fd: name) else { continue }
            pipes[fd] = identity
        }
        return pipes
    }

    /// The pipes (and jobs' request memory files) a leak would leave: created since `before` (the test runner's own, its
    /// standard input perhaps a pipe whose writer is long gone, were there already) and held
    /// by no other process: an end whose peer is closed everywhere (the worker is gone) or
    /// both ends here. Another suite's pipe is like that only for moments (made and not yet
    /// handed to its child, or its child just gone); a leak stays.
    static func leakedPipes(since before: [Int32: String]) -> Set<String> {
        let existing = Set(before.values)
        let new = Set(pipeInodes().values.filter { !existing.contains($0) })
        guard !new.isEmpty else { return [] }
        var heldElsewhere: Set<String> = []
        let me = getpid()
        for pid in ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap(Int32.init) where pid != me {
            for fd in (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? [] {
                if let identity = identity(pid: "\(pid)", fd: fd), new.contains(identity) {
                    heldElsewhere.insert(identity)
                }
            }
        }
        return new.subtracting(heldElsewhere)
    }

    /// The pipes `leakedPipes` finds in every look, a tenth of a second apart, for up to
    /// three seconds: empty as soon as one look finds none of the first look's left.
    static func persistentlyLeakedPipes(since before: [Int32: String]) async throws -> Set<String> {
        var suspects = leakedPipes(since: before)
        for _ in 0..<30 where !suspects.isEmpty {
            try await Task.sleep(for: .milliseconds(100))
            suspects.formIntersection(leakedPipes(since: before))
        }
        return suspects
    }
}
