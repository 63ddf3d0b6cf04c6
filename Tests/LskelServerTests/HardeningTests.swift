import Foundation
import Glibc
import HTTPTypes
import HummingbirdTesting
import LskelEngine
import LskelModel
import LskelServer
import LskelTestSupport
import NIOCore
import Testing

/// Each finding of the attack on the service, reproduced against the real
/// server on loopback: the right answer, and the server lives.
@Suite("Hardening: no request kills, bypasses or stalls the service", .serialized)
struct HardeningTests {
    static func raw(_ method: String, _ target: String, headers: [String: String] = [:], body: [UInt8] = []) -> [UInt8] {
        RawHTTP.request(method, target, headers: headers, body: body)
    }

    static func expectAlive(_ port: Int) async throws {
        let health = try await RawHTTP.exchange(port: port, raw("GET", "/healthz"))
        #expect(health.status == 200, "the service no longer answers /healthz")
    }

    @Test("a kernel release whose numbers overflow is a 400 problem, and the service lives")
    func releaseOverflow() async throws {
        let maps = try Fixtures.bytes("maps")
        try await TestServer.run { _, port in
            for release in ["6.1.4294967296", "4294967296.1.1", "6.4294967296.1", "6.1.99999999999999999999"] {
                let response = try await RawHTTP.exchange(port: port, Self.raw(
                    "POST", "/v1/loaders?filename=x.bpf.o&kernel_release=\(release)",
                    headers: ["Content-Type": "application/octet-stream"], body: maps))
                #expect(response.status == 400, "\(release): \(response.status) \(response.text)")
                #expect(response.text.contains("/problems/invalid-profile"))
            }
            try await Self.expectAlive(port)
        }
    }

    static let token = "hardening-\(UUID().uuidString)"
    static let tokens = try? AccessTokens(text: "farm sha256:\(SHA256.hex(Array(token.utf8))) 1000/s")

    @Test("under --tokens, no spelling of an API path reaches a handler without a token")
    func tokenSpellings() async throws {
        let configuration = TestServer.configuration { $0.tokens = Self.tokens }
        let maps = try Fixtures.bytes("maps")
        try await TestServer.run(configuration) { _, port in
            let octet = ["Content-Type": "application/octet-stream"]
            // A loader to ask for, generated with the token.
            let made = try await RawHTTP.exchange(port: port, Self.raw("POST", "/v1/loaders?filename=x.bpf.o",
                                                                        headers: octet.merging(["Authorization": "Bearer \(Self.token)"]) { $1 }, body: maps))
            #expect(made.status == 200)
            let key = (try? JSONSerialization.jsonObject(with: Data(made.body)) as? [String: Any])?["key"] as? String ?? ""
            #expect(StoredLoader.isKey(key))
            let spellings: [(String, String)] = [
                ("POST", "/v1/loaders?filename=x.bpf.o"), ("POST", "//v1/loaders?filename=x.bpf.o"),
                ("POST", "///v1/batch"), ("POST", "/v1//loaders"), ("POST", "/./v1/loaders"), ("POST", "/v1/../v1/loaders"),
                ("GET", "http://x//v1/loaders/\(key)/header"), ("GET", "http://x/v1/loaders/\(key)/header"),
                ("GET", "/v1/loaders/\(key)/header"), ("GET", "//v1/loaders/\(key)"), ("HEAD", "/v1/loaders/\(key)"),
                ("GET", "/v1\\loaders/\(key)"), ("GET", "/%2e/v1/loaders/\(key)"),
            ]
            for (method, target) in spellings {
                let response = try await RawHTTP.exchange(port: port, Self.raw(method, target, headers: octet,
                                                                               body: method == "POST" ? maps : []))
                #expect([400, 401].contains(response.status), "\(method) \(target) answered \(response.status) without a token")
                #expect(response.status != 200)
            }
            // The canonical spellings need the token and nothing else.
            let canonical = try await RawHTTP.exchange(port: port, Self.raw("GET", "http://x/v1/loaders/\(key)/header",
                                                                            headers: ["Authorization": "Bearer \(Self.token)"]))
            #expect(canonical.status == 200)
        }
    }

    @Test("an unauthenticated upload with Expect: 100-continue is refused at its head: no 100, a 401, no body read")
    func expectContinueNeedsToken() async throws {
        let configuration = TestServer.configuration { $0.tokens = Self.tokens }
        try await TestServer.run(configuration) { _, port in
            let outcome = try await RawHTTP.onThread { () -> (String, Bool) in
                let connection = try RawHTTP(port: port, receiveTimeout: 3)
                connection.send(Self.raw("POST", "/v1/loaders", headers: ["Content-Type": "application/octet-stream",
                                                                         "Content-Length": "4000000", "Expect": "100-continue"]))
                let (bytes, _) = connection.receive { RawHTTP.Response.parse($0) != nil }
                return (String(decoding: bytes, as: UTF8.self), connection.closedWithin(3))
            }
            #expect(!outcome.0.contains("100 Continue"), "\(outcome.0)")
            #expect(outcome.0.hasPrefix("HTTP/1.1 401"), "\(outcome.0)")
            #expect(outcome.1, "the connection stays open for a body nobody will read")
        }
    }

    @Test("a 16 MiB adversarial multipart body is answered as a problem, and /healthz answers meanwhile")
    func adversarialMultipart() async throws {
        let configuration = TestServer.configuration { $0.maxUploadBytes = 17 << 20 }
        let unit = Array("x--b\n".utf8)
        var body = Array("--b\r\n".utf8)
        body.reserveCapacity(16 << 20)
        while body.count + unit.count <= 16 << 20 { body += unit }
        let adversarial = body
        try await TestServer.run(configuration) { _, port in
            async let answer = RawHTTP.exchange(port: port, Self.raw("POST", "/v1/loaders",
                                                                     headers: ["Content-Type": "multipart/form-data; boundary=b"], body: adversarial))
            try await Task.sleep(for: .milliseconds(50))
            try await Self.expectAlive(port)
            let response = try await answer
            #expect(response.status == 400, "\(response.status) \(response.text)")
            #expect(response.headers["content-type"] == "application/problem+json")
        }
    }

    @Test("a header value with a bare line feed does not hide a non-ASCII header name from the pre-check")
    func lineFeedInHeaderValue() async throws {
        let body = Array("--B\r\nX: a\n\r\n".utf8) + [0xff] + Array(": v\r\n\r\nbody\r\n--B--\r\n".utf8)
        try await TestServer.run { _, port in
            for route in ["/v1/loaders", "/v1/batch"] {
                let response = try await RawHTTP.exchange(port: port, Self.raw("POST", route, headers: ["Content-Type": "multipart/form-data; boundary=B"], body: body))
                #expect(response.status == 400 && response.text.contains("/problems/malformed-multipart"), "\(route): \(response.text)")
            }
            try await Self.expectAlive(port)
        }
    }

    @Test("a chunked upload over the limit is the same 413 problem, and the rest of the body is not read")
    func chunkedOverLimit() async throws {
        let configuration = TestServer.configuration { $0.maxUploadBytes = 1 << 20 }
        try await TestServer.run(configuration) { _, port in
            let (response, sent, closed) = try await RawHTTP.onThread { () -> (RawHTTP.Response?, Int, Bool) in
                let connection = try RawHTTP(port: port)
                connection.send("POST /v1/loaders?filename=x.o HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n")
                let chunk = Array("10000\r\n".utf8) + [UInt8](repeating: 0, count: 0x10000) + Array("\r\n".utf8)
                var sent = 0
                while sent < 64 << 20, connection.send(chunk) { sent += 0x10000 }
                let response = connection.response()
                return (response, sent, connection.closedWithin(2))
            }
            #expect(response?.status == 413, "\(String(describing: response?.text))")
            #expect(response?.text.contains("/problems/upload-too-large") == true)
            #expect(sent < 64 << 20, "the server read all 64 MiB of an upload over its 1 MiB limit")
            #expect(closed)
            try await Self.expectAlive(port)
        }
    }

    @Test("slow clients: a slow head, a body that never comes and an idle connection are each closed in time")
    func slowClients() async throws {
        let configuration = TestServer.configuration {
            $0.connections.readHeaderSeconds = 1
            $0.connections.readBodySeconds = 1
            $0.connections.idleSeconds = 1
        }
        try await TestServer.run(configuration) { _, port in
            async let silent = RawHTTP.onThread { () -> Bool in
                let connection = try RawHTTP(port: port)
                return connection.closedWithin(3)
            }
            async let slowloris = RawHTTP.onThread { () -> Double in
                let connection = try RawHTTP(port: port)
                let start = Date()
                for byte in "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ".utf8 {
                    guard connection.send([byte]) else { break }
                    if connection.closedWithin(0.2) { return Date().timeIntervalSince(start) }
                }
                return connection.closedWithin(5) ? Date().timeIntervalSince(start) : 99
            }
            async let noBody = RawHTTP.onThread { () -> (Bool, Bool) in
                let connection = try RawHTTP(port: port)
                connection.send(Self.raw("POST", "/v1/loaders", headers: ["Content-Type": "application/octet-stream",
                                                                         "Content-Length": "1000", "Expect": "100-continue"]))
                let (interim, _) = connection.receive { String(decoding: $0, as: UTF8.self).contains("\r\n\r\n") }
                return (String(decoding: interim, as: UTF8.self).hasPrefix("HTTP/1.1 100"), connection.closedWithin(3))
            }
            async let idle = RawHTTP.onThread { () -> (Int, Bool) in
                let connection = try RawHTTP(port: port)
                connection.send(Self.raw("GET", "/healthz"))
                let status = connection.response()?.status ?? 0
                return (status, connection.closedWithin(3))
            }
            async let steady = RawHTTP.onThread { () -> Int in
                // A body that keeps coming, slowly, outlives the body timeout.
                let connection = try RawHTTP(port: port)
                let body = [UInt8](repeating: 0x41, count: 8)
                connection.send(Self.raw("POST", "/v1/loaders?filename=x.o", headers: ["Content-Type": "application/octet-stream",
                                                                                      "Content-Length": "8"]).dropLast(0))
                for byte in body {
                    usleep(300_000)
                    connection.send([byte])
                }
                return connection.response()?.status ?? 0
            }
            #expect(try await silent, "a connection that sends nothing stays open")
            let slow = try await slowloris
            #expect(slow < 3, "a head sent a byte at a time held the connection for \(slow) s")
            let (continued, closed) = try await noBody
            #expect(continued && closed, "the 100-continue body that never came kept the connection")
            let (status, idleClosed) = try await idle
            #expect(status == 200 && idleClosed, "an idle kept-alive connection stays open")
            #expect(try await steady == 422, "a slow body with progress was cut off")
            try await Self.expectAlive(port)
        }
    }

    @Test("over --max-connections, idle and slow connections make room: /healthz still answers")
    func connectionBudget() async throws {
        let configuration = TestServer.configuration { $0.connections.maxConnections = 8 }
        try await TestServer.run(configuration) { _, port in
            let held = try await RawHTTP.onThread { () -> [RawHTTP] in
                (0..<8).compactMap { _ in try? RawHTTP(port: port) }
            }
            #expect(held.count == 8)
            try await Task.sleep(for: .milliseconds(200))
            try await Self.expectAlive(port)
            // The oldest idle ones made room (the test client's own connection counts too).
            let closed = try await RawHTTP.onThread { held.filter { $0.closedWithin(0.3) }.count }
            #expect((1...2).contains(closed), "\(closed) of the idle connections were closed to make room for one")
            for _ in 0..<3 { try await Self.expectAlive(port) }
            let metrics = try await RawHTTP.exchange(port: port, Self.raw("GET", "/metrics")).text
            #expect(Self.metric("lskeld_connections_evicted_total", in: metrics) ?? 0 >= 1)
            #expect(Self.metric("lskeld_connections_refused_total", in: metrics) == 0)
            #expect(Self.metric("lskeld_connections_open", in: metrics) ?? 99 <= 8)
            // Slow bodies hold the budget next: they make room too, oldest first.
            let sending = try await RawHTTP.onThread { () -> [RawHTTP] in
                (0..<8).compactMap { _ in
                    let connection = try? RawHTTP(port: port)
                    connection?.send(Self.raw("POST", "/v1/loaders?filename=x.o", headers: [
                        "Content-Type": "application/octet-stream", "Content-Length": "100000"]) + [0x7f])
                    return connection
                }
            }
            #expect(sending.count == 8)
            try await Task.sleep(for: .milliseconds(200))
            for _ in 0..<3 { try await Self.expectAlive(port) }
        }
    }

    static func metric(_ name: String, in text: String) -> Double? {
        text.split(separator: "\n").first { $0.hasPrefix(name + " ") || $0.hasPrefix(name + "{") }
            .flatMap { Double($0.split(separator: " ").last ?? "") }
    }

    @Test("40 identical uncached requests in flight run one generation")
    func singleFlight() async throws {
        let maps = try Fixtures.bytes("maps")
        try await TestServer.run { _, port in
            let request = Self.raw("POST", "/v1/loaders?filename=x.bpf.o&name=single_flight",
                                   headers: ["Content-Type": "application/octet-stream"], body: maps)
            let keys = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<40 {
                    group.addTask {
                        let response = try await RawHTTP.exchange(port: port, request)
                        #expect(response.status == 200)
                        return (try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])?["key"] as? String ?? ""
                    }
                }
                return try await group.reduce(into: Set<String>()) { $0.insert($1) }
            }
            #expect(keys.count == 1)
            let metrics = try await RawHTTP.exchange(port: port, Self.raw("GET", "/metrics")).text
            let generations = Self.metric("lskeld_generation_seconds_count", in: metrics)
            #expect(generations == 1, "40 identical requests ran \(String(describing: generations)) generations")
            let misses = Self.metric("lskeld_cache_misses_total", in: metrics) ?? 0
            let shared = Self.metric("lskeld_single_flight_shared_total", in: metrics) ?? 0
            print("single flight: 40 requests, \(Int(misses)) missed the store, \(Int(shared)) shared one generation")
            #expect(shared == misses - 1)
        }
    }

    @Test("two 64-object batches at once: no member is refused, and a single request gets through meanwhile")
    func batchFairness() async throws {
        let maps = try Fixtures.bytes("maps")
        try await TestServer.run { _, port in
            func batch(_ prefix: String) -> [UInt8] {
                let form = TestServer.multipart(files: (0..<64).map { ("object", "\(prefix)\($0).bpf.o", maps) })
                return Self.raw("POST", "/v1/batch", headers: ["Content-Type": form.contentType], body: Array(form.body.readableBytesView))
            }
            async let first = RawHTTP.exchange(port: port, batch("a"))
            async let second = RawHTTP.exchange(port: port, batch("b"))
            try await Task.sleep(for: .milliseconds(100))
            let single = try await RawHTTP.exchange(port: port, Self.raw("POST", "/v1/loaders?filename=lone.bpf.o",
                                                                          headers: ["Content-Type": "application/octet-stream"], body: maps))
            #expect(single.status == 200, "a single request beside two batches: \(single.status)")
            for response in [try await first, try await second] {
                #expect(response.status == 200)
                let results = (try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])?["results"] as? [[String: Any]] ?? []
                let statuses = results.map { $0["status"] as? Int ?? 0 }
                #expect(statuses.count == 64 && statuses.allSatisfy { $0 == 200 }, "statuses: \(statuses)")
            }
        }
    }

    @Test("C keywords are refused as names; HEAD is served; batch members with one stem get their own tar paths")
    func smallerOnes() async throws {
        let maps = try Fixtures.bytes("maps")
        try await TestServer.run { client, port in
            let keyword = try await RawHTTP.exchange(port: port, Self.raw("POST", "/v1/loaders?filename=x.bpf.o&name=int",
                                                                           headers: ["Content-Type": "application/octet-stream"], body: maps))
            #expect(keyword.status == 400 && keyword.text.contains("C keyword"), "\(keyword.text)")
            let fromFile = try await RawHTTP.exchange(port: port, Self.raw("POST", "/v1/loaders?filename=int.o",
                                                                            headers: ["Content-Type": "application/octet-stream"], body: maps))
            #expect(fromFile.status == 400)

            let made = try await RawHTTP.exchange(port: port, Self.raw("POST", "/v1/loaders?filename=x.bpf.o",
                                                                        headers: ["Content-Type": "application/octet-stream"], body: maps))
            let key = (try? JSONSerialization.jsonObject(with: Data(made.body)) as? [String: Any])?["key"] as? String ?? ""
            for path in ["/healthz", "/readyz", "/v1/loaders/\(key)", "/v1/loaders/\(key)/header", "/openapi.yaml"] {
                let head = try await RawHTTP.exchange(port: port, Self.raw("HEAD", path))
                #expect(head.status == 200 && head.body.isEmpty, "HEAD \(path): \(head.status)")
            }

            var archive = TestTar()
            archive.add("a/x.bpf.o", maps)
            archive.add("b/x.bpf.o", maps)
            archive.add("x-2.bpf.o", maps)
            try await client.execute(uri: "/v1/batch?format=tar", method: .post, headers: [.contentType: "application/x-tar"],
                                     body: ByteBuffer(bytes: archive.bytes)) { response in
                let names = try TarFiles.read(Array(response.body.readableBytesView)).map(\.name)
                #expect(Set(names).count == names.count, "\(names)")
                #expect(names.contains("x/x.lskel.h") && names.contains("x-2/x.lskel.h") && names.contains("x-2-2/x-2.lskel.h"), "\(names)")
            }
        }
    }

    @Test("malformed tar uploads to /v1/batch are precise 400 problems: truncated, bad checksum, bad size, too many files")
    func malformedTar() async throws {
        let maps = try Fixtures.bytes("maps")
        var writer = TarWriter()
        writer.add(name: "a.bpf.o", bytes: maps)
        let good = writer.finish()
        var badChecksum = good
        badChecksum[0] ^= 0x20
        var badSize = good
        for index in 124..<136 { badSize[index] = UInt8(ascii: "9") }
        // ... with a checksum that holds, so the size is what is wrong.
        for index in 148..<156 { badSize[index] = UInt8(ascii: " ") }
        let sum = String(badSize[0..<512].reduce(0) { $0 + Int($1) }, radix: 8)
        for (index, byte) in (String(repeating: "0", count: 6 - sum.count) + sum).utf8.enumerated() { badSize[148 + index] = byte }
        badSize[154] = 0
        var many = TarWriter()
        for index in 0..<65 { many.add(name: "m\(index).bpf.o", bytes: [1]) }
        let cases: [(String, [UInt8], String)] = [
            ("truncated", Array(good.prefix(700)), "truncated"), ("checksum", badChecksum, "bad checksum"),
            ("size", badSize, "bad size"), ("too many", many.finish(), "more than 64 files"),
        ]
        try await TestServer.run { _, port in
            for (label, body, detail) in cases {
                let response = try await RawHTTP.exchange(port: port, Self.raw("POST", "/v1/batch", headers: ["Content-Type": "application/x-tar"], body: body))
                #expect(response.status == 400, "\(label): \(response.status)")
                #expect(response.text.contains("/problems/malformed-tar") && response.text.contains(detail), "\(label): \(response.text)")
            }
            try await Self.expectAlive(port)
        }
    }

    @Test("the log keeps no query string or credential, and an upload the client abandons is a client error")
    func logging() async throws {
        let logs = LogCapture()
        let maps = try Fixtures.bytes("maps")
        try await TestServer.run(logs: logs) { _, port in
            let secret = "secret-\(UUID().uuidString)"
            _ = try await RawHTTP.exchange(port: port, Self.raw("POST", "/v1/loaders?filename=x.bpf.o&access_token=\(secret)",
                                                                 headers: ["Content-Type": "application/octet-stream",
                                                                           "Authorization": "Bearer \(secret)"], body: maps))
            try await RawHTTP.onThread {
                let connection = try RawHTTP(port: port)
                connection.send(Array(Self.raw("POST", "/v1/loaders?filename=x.bpf.o",
                                               headers: ["Content-Type": "application/octet-stream"], body: maps).prefix(300)))
                    // Content-Length promises the whole object; the client leaves after a part of it.
            }
            try await Task.sleep(for: .milliseconds(300))
            let lines = logs.all
            #expect(!lines.contains { $0.contains(secret) }, "a credential reached the log")
            #expect(lines.contains { $0.contains("path=/v1/loaders") && $0.contains("status=200") }, "\(lines)")
            #expect(!lines.contains { $0.hasPrefix("error") }, "\(lines.filter { $0.hasPrefix("error") })")
            #expect(!lines.contains { $0.contains("status=500") })
            #expect(lines.contains { $0.contains("status=400") }, "the abandoned upload: \(lines)")
        }
    }
}
