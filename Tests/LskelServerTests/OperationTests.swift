import Foundation
import Glibc
import HTTPTypes
import HummingbirdTesting
import LskelEngine
import LskelPool
import LskelServer
import LskelTestSupport
import NIOCore
import Testing

@Suite("HTTP service operation", .serialized)
struct OperationTests {
    @Test("Expect: 100-continue is answered promptly: curl uploads do not stall")
    func expectContinue() async throws {
        let curl = try #require(Shell.which("curl", "/usr/bin/curl"), "curl is needed to test what curl does")
        let object = try Fixtures.object("maps")
        // A body over 1 MiB, which curl also sends with Expect: 100-continue.
        let big = NSTemporaryDirectory() + "lskel-big-\(UUID().uuidString).bin"
        try Data(repeating: 7, count: 3 << 20).write(to: URL(fileURLWithPath: big))
        defer { try? FileManager.default.removeItem(atPath: big) }
        try await TestServer.run { _, port in
            // The server's answer to the head alone, timed on a raw connection.
            let waited = try await Self.secondsUntilContinue(port: port)
            #expect(waited < 0.5, "100 Continue took \(waited) s")

            // curl 7.88 asks for 100-continue on bodies over 1 MiB; older ones on every multipart upload.
            // When no 100 comes, curl waits a second and says "Done waiting for 100-continue".
            let multipart = try await Shell.runDetached(curl, ["-sS", "-v", "-o", "/dev/null", "-w", "%{http_code}",
                                                              "-H", "Expect: 100-continue",
                                                              "-F", "object=@\(object)", "http://127.0.0.1:\(port)/v1/loaders"])
            #expect(multipart.stdoutText == "200", "\(multipart.stdoutText) \(multipart.stderrText)")
            #expect(multipart.stderrText.contains("HTTP/1.1 100 Continue"))
            #expect(!multipart.stderrText.contains("Done waiting for 100-continue"))
            let raw = try await Shell.runDetached(curl, ["-sS", "-v", "-o", "/dev/null", "-w", "%{http_code}",
                                                        "-H", "Content-Type: application/octet-stream", "--data-binary", "@\(big)",
                                                        "http://127.0.0.1:\(port)/v1/loaders"])
            #expect(raw.stderrText.contains("Expect: 100-continue"))
            #expect(raw.stderrText.contains("HTTP/1.1 100 Continue"))
            #expect(!raw.stderrText.contains("Done waiting for 100-continue"))
            #expect(raw.stdoutText == "422", "\(raw.stdoutText)")  // not an object, but read promptly
        }
    }

    /// Sends a request in two halves, calling `between` after the first; returns the whole answer.
    static func splitRequest(port: Int, path: String, body: [UInt8], between: @escaping @Sendable () -> Void) async throws -> String {
        try await RawHTTP.onThread {
            let connection = try RawHTTP(port: port)
            let head = Array("POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n".utf8)
            let half = body.count / 2
            connection.send(head + body[..<half])
            usleep(200_000)
            between()
            usleep(200_000)
            connection.send(Array(body[half...]))
            return String(decoding: connection.receive().bytes, as: UTF8.self)
        }
    }

    /// Sends a request head with `Expect: 100-continue` and times the interim answer.
    static func secondsUntilContinue(port: Int) async throws -> Double {
        try await RawHTTP.onThread {
            let connection = try RawHTTP(port: port)
            let start = Date()
            connection.send("POST /v1/loaders HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n")
            let (bytes, _) = connection.receive { !$0.isEmpty }
            let elapsed = Date().timeIntervalSince(start)
            let text = String(decoding: bytes, as: UTF8.self)
            guard text.hasPrefix("HTTP/1.1 100 Continue") else { throw FixtureError("expected 100 Continue, got '\(text)'") }
            return elapsed
        }
    }

    @Test("batch: one answer with a result or a problem per object, as JSON or tar, from multipart or tar")
    func batch() async throws {
        let maps = try Fixtures.bytes("maps"), bad = Array("not an object".utf8), subprogs = try Fixtures.bytes("subprogs")
        let form = TestServer.multipart(files: [("object", "maps.bpf.o", maps), ("object", "broken.bpf.o", bad),
                                                ("object", "subprogs.bpf.o", subprogs)], fields: [("cpus", "4")])
        try await TestServer.run { client, _ in
            try await client.execute(uri: "/v1/batch", method: .post, headers: [.contentType: form.contentType], body: form.body) { response in
                #expect(response.status == .ok)
                let results = TestServer.json(response.body)["results"] as? [[String: Any]] ?? []
                #expect(results.map { $0["status"] as? Int } == [200, 422, 200])
                #expect(results.map { $0["object"] as? String } == ["maps.bpf.o", "broken.bpf.o", "subprogs.bpf.o"])
                #expect(((results[0]["result"] as? [String: Any])?["name"] as? String) == "maps_bpf")
                #expect(((results[1]["problem"] as? [String: Any])?["type"] as? String) == "/problems/invalid-object")
            }
            var archive = TestTar()
            archive.add("maps.bpf.o", maps)
            archive.add("broken.bpf.o", bad)
            try await client.execute(uri: "/v1/batch?format=tar&cpus=4", method: .post, headers: [.contentType: "application/x-tar"],
                                     body: ByteBuffer(bytes: archive.bytes)) { response in
                #expect(response.status == .ok)
                let entries = try TarFiles.read(Array(response.body.readableBytesView))
                #expect(entries.map(\.name) == ["maps/maps.lskel.h", "maps/maps.insns.bin", "maps/maps.data.bin",
                                                "maps/maps.manifest.json", "broken/error.json"])
                let expected = try TestServer.cliOutputs("maps", flags: ["--cpus", "4"])
                #expect(Data(entries[0].bytes) == expected.header)
            }
            try await client.execute(uri: "/v1/batch?name=x", method: .post, headers: [.contentType: form.contentType], body: form.body) { response in
                #expect(response.status == .badRequest)
            }
        }
    }

    @Test("500 requests at concurrency 32: every answer belongs to its request, none lost, no 5xx")
    func concurrentLoad() async throws {
        let fixtures = ["maps", "globals", "subprogs", "core", "many32"]
        var objects: [String: [UInt8]] = [:]
        for fixture in fixtures { objects[fixture] = try Fixtures.bytes(fixture) }
        let byName = objects
        let configuration = TestServer.configuration { $0.pool.queueLimit = 512 }
        try await TestServer.run(configuration) { _, port in
            let failures = await withTaskGroup(of: String?.self) { group in
                var next = 0
                var failures: [String] = []
                func add(_ index: Int) {
                    group.addTask {
                        let fixture = fixtures[index % fixtures.count]
                        // Half the names repeat, so the cache answers some.
                        let name = index % 2 == 0 ? "n\(index)" : "shared_\(fixture)"
                        do {
                            let (data, response) = try await HTTP.send(
                                "http://127.0.0.1:\(port)/v1/loaders?name=\(name)&filename=\(fixture).bpf.o",
                                body: byName[fixture]!, contentType: "application/octet-stream")
                            guard response.statusCode == 200 else { return "request \(index): status \(response.statusCode)" }
                            let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
                            let header = json["header"] as? String ?? ""
                            let manifest = json["manifest"] as? [String: Any] ?? [:]
                            let object = manifest["object"] as? [String: Any] ?? [:]
                            guard json["name"] as? String == name, header.contains("struct \(name) {"),
                                  object["name"] as? String == "\(fixture).bpf.o",
                                  object["sha256"] as? String == SHA256.hex(byName[fixture]!) else {
                                return "request \(index): answer belongs to another request"
                            }
                            return nil
                        } catch {
                            return "request \(index): \(error)"
                        }
                    }
                }
                while next < 32 { add(next); next += 1 }
                while let result = await group.next() {
                    if let result { failures.append(result) }
                    if next < 500 { add(next); next += 1 }
                }
                return failures
            }
            #expect(failures.isEmpty, "\(failures.count) failures: \(failures.prefix(5))")
            let (metrics, _) = try await HTTP.send("http://127.0.0.1:\(port)/metrics", method: "GET")
            let text = String(decoding: metrics, as: UTF8.self)
            #expect(text.contains("lskeld_http_requests_total{route=\"/v1/loaders\",method=\"POST\",status=\"200\"} 500"), "\(text.prefix(2000))")
            #expect(text.contains("lskeld_cache_hits_total"))
            #expect(text.contains("lskeld_generation_seconds_bucket"))
        }
    }

    /// The built lskeld on a random loopback port and a data directory of its own, and
    /// whether it became ready within 10 s. The caller terminates it.
    static func startBuiltLskeld(data: String, arguments: [String] = []) async throws -> (process: Process, port: Int, ready: Bool) {
        let port = Int.random(in: 20000...40000)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLI.builtExecutable("lskeld"))
        process.arguments = ["--port", String(port), "--data-dir", data, "--log-level", "error"] + arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        var ready = false
        for _ in 0..<100 where !ready {
            ready = (try? await HTTP.send("http://127.0.0.1:\(port)/readyz", method: "GET"))?.1.statusCode == 200
            if !ready { try await Task.sleep(for: .milliseconds(100)) }
        }
        return (process, port, ready)
    }

    @Test("SIGTERM: the request in flight is answered, then lskeld exits cleanly")
    func gracefulShutdown() async throws {
        let data = NSTemporaryDirectory() + "lskeld-term-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: data) }
        let (process, port, ready) = try await Self.startBuiltLskeld(data: data)
        defer { if process.isRunning { process.terminate() } }
        #expect(ready)
        // A request in flight: head and half the body sent, then SIGTERM, then the rest.
        let bytes = try Fixtures.bytes("many32")
        let pid = process.processIdentifier
        let response = try await Self.splitRequest(port: port, path: "/v1/loaders?filename=many32.bpf.o&format=header",
                                                    body: bytes) { kill(pid, SIGTERM) }
        #expect(response.hasPrefix("HTTP/1.1 200"), "\(response.prefix(200))")
        #expect(response.contains("struct many32_bpf {"))
        for _ in 0..<100 where process.isRunning { try await Task.sleep(for: .milliseconds(100)) }
        #expect(!process.isRunning)
        #expect(process.terminationReason == .exit && process.terminationStatus == 0)
    }

    @Test("lskeld reuses its heap: cached POSTs of a realistic object take no new pages in the server")
    func heapReuse() async throws {
        let data = NSTemporaryDirectory() + "lskeld-heap-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: data) }
        let (process, port, ready) = try await Self.startBuiltLskeld(data: data, arguments: ["--allow-anonymous"])
        defer { if process.isRunning { process.terminate() } }
        try #require(ready)
        // The server's own page faults (minor and major), from /proc/PID/stat after "(comm)".
        let pid = process.processIdentifier
        func faults() throws -> Int {
            let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
            let fields = try #require(stat.lastIndex(of: ")").map { stat[stat.index(after: $0)...].split(separator: " ") })
            return try #require(Int(fields[7])) + (try #require(Int(fields[9])))
        }
        // A 650 KB upload: under glibc's moving thresholds each one's buffers were
        // pages unmapped or trimmed after the last request and faulted in again.
        let object = try Fixtures.bytes("rt_hardirqs")
        let url = "http://127.0.0.1:\(port)/v1/loaders?name=heap_bpf&format=header"
        for _ in 0..<30 {
            let (_, response) = try await HTTP.send(url, body: object, contentType: "application/octet-stream")
            #expect(response.statusCode == 200)
        }
        let before = try faults()
        let requests = 100
        for _ in 0..<requests {
            let (_, response) = try await HTTP.send(url, body: object, contentType: "application/octet-stream")
            #expect(response.statusCode == 200)
        }
        let perRequest = Double(try faults() - before) / Double(requests)
        #expect(perRequest < 8, "\(perRequest) page faults per cached POST of \(object.count) bytes")
    }

    @Test("strict sandbox mode refuses to start with a missing layer; best effort reports partial at /readyz")
    func strictSandbox() async throws {
        let partial = TestServer.configuration {
            $0.pool.allowTestHostile = true
            $0.pool.testSimulateMissingLayers = ["seccomp"]
        }
        try await TestServer.run(partial) { client, _ in
            try await client.execute(uri: "/readyz", method: .get) { response in
                let sandbox = TestServer.json(response.body)["sandbox"] as? [String: Any]
                #expect(sandbox?["level"] as? String == "partial")
                #expect((sandbox?["missing"] as? [String]) == ["seccomp"])
            }
        }
        var strict = partial
        strict.pool.requireFullSandbox = true
        await #expect(throws: WorkerError.self) {
            try await TestServer.run(strict) { _, _ in }
        }
    }

    @Test("readiness reports the pool and sandbox level; health and OpenAPI are served")
    func operability() async throws {
        try await TestServer.run { client, _ in
            try await client.execute(uri: "/healthz", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .ok)
                let body = TestServer.json(response.body)
                let sandbox = body["sandbox"] as? [String: Any]
                let level = sandbox?["level"] as? String
                if getuid() == 0 {
                    #expect(level == "full")
                } else {
                    // Without root, namespaces may be refused: the level is partial, and then says why.
                    #expect(level == "full" || (level == "partial" && !((sandbox?["reason"] as? String) ?? "").isEmpty), "\(String(describing: sandbox))")
                    print("not root: the worker sandbox level is \(level ?? "?")")
                }
                #expect((body["pool"] as? [String: Any])?["concurrency"] as? Int == 2)
            }
            try await client.execute(uri: "/openapi.yaml", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).hasPrefix("openapi: 3.1"))
            }
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
                let text = String(buffer: response.body)
                #expect(text.contains("lskeld_workers_warm"))
                // The pool's fork server started once.
                #expect(text.contains("lskeld_fork_server_starts_total 1"), "\(text.prefix(2000))")
            }
        }
    }
}

/// Builds a tar archive for requests.
struct TestTar {
    private var writer = TarWriter()
    var bytes: [UInt8] { var copy = writer; return copy.finish() }

    mutating func add(_ name: String, _ content: [UInt8]) {
        writer.add(name: name, bytes: content)
    }
}
