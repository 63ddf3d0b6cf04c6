import Foundation
import LskelCoding
import HTTPTypes
import HummingbirdTesting
import LskelEngine
import LskelServer
import LskelTestSupport
import NIOCore
import Testing

/// The API's routes: most in process (the real engine and store, `app.test(.router)`);
/// the raw upload and saturation over real HTTP on loopback, against the real worker pool.
@Suite("HTTP API", .serialized)
struct LoaderAPITests {
    @Test("raw upload: JSON with key, manifest and base64 blobs equal to the CLI's; header format equal byte for byte")
    func rawUpload() async throws {
        let maps = try Fixtures.bytes("maps")
        let expected = try TestServer.cliOutputs("maps", flags: ["--cpus", "8"])
        try await TestServer.run { client, _ in
            try await client.execute(uri: "/v1/loaders?filename=maps.bpf.o&cpus=8", method: .post,
                                     headers: [.contentType: "application/octet-stream"], body: ByteBuffer(bytes: maps)) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/json")
                let json = TestServer.json(response.body)
                #expect(json["name"] as? String == "maps_bpf")
                #expect((json["key"] as? String)?.count == 64)
                #expect(Data(base64Encoded: json["insns"] as? String ?? "") == expected.insns)
                #expect(Data(base64Encoded: json["data"] as? String ?? "") == expected.data)
                #expect((json["header"] as? String).map { Data($0.utf8) } == expected.header)
                let manifest = json["manifest"] as? [String: Any]
                #expect((manifest?["object"] as? [String: Any])?["name"] as? String == "maps.bpf.o")
                #expect(json["sandbox_level"] as? String == "full" || getuid() != 0)
                #expect(response.headers[.requestID] != nil)
            }
            for contentType in ["application/x-elf"] {
                try await client.execute(uri: "/v1/loaders?filename=maps.bpf.o&cpus=8&format=header", method: .post,
                                         headers: [.contentType: contentType], body: ByteBuffer(bytes: maps)) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[.contentType] == "text/x-c; charset=utf-8")
                    #expect(response.headers[.contentDisposition] == "attachment; filename=\"maps.lskel.h\"")
                    #expect(Data(response.body.readableBytesView) == expected.header)
                }
            }
            // A realistic object arrives in many fragments and reaches its job as they are.
            let large = try Fixtures.bytes("rt_execsnoop")
            let largeExpected = try TestServer.cliOutputs("rt_execsnoop", flags: ["--cpus", "8"])
            try await client.execute(uri: "/v1/loaders?filename=rt_execsnoop.bpf.o&cpus=8", method: .post,
                                     headers: [.contentType: "application/octet-stream"], body: ByteBuffer(bytes: large)) { response in
                #expect(response.status == .ok)
                let json = TestServer.json(response.body)
                #expect(Data(base64Encoded: json["insns"] as? String ?? "") == largeExpected.insns)
                #expect(Data(base64Encoded: json["data"] as? String ?? "") == largeExpected.data)
                #expect((json["header"] as? String).map { Data($0.utf8) } == largeExpected.header)
                let object = (json["manifest"] as? [String: Any])?["object"] as? [String: Any]
                #expect(object?["sha256"] as? String == SHA256.hex(large))
            }
        }
    }

    @Test("multipart upload: the file name names the skeleton; Accept picks the format; tar holds the four files")
    func multipartUpload() async throws {
        let globals = try Fixtures.bytes("globals")
        let expected = try TestServer.cliOutputs("globals", flags: ["--kernel-release", "6.1.0", "--cpus", "4"])
        let form = TestServer.multipart(files: [("object", "globals.bpf.o", globals)],
                                        fields: [("kernel_release", "6.1.0"), ("cpus", "4")])
        try await TestServer.inProcess { client in
            try await client.execute(uri: "/v1/loaders", method: .post,
                                     headers: [.contentType: form.contentType, .accept: "text/x-c"], body: form.body) { response in
                #expect(response.status == .ok)
                #expect(Data(response.body.readableBytesView) == expected.header)
            }
            try await client.execute(uri: "/v1/loaders?format=tar", method: .post,
                                     headers: [.contentType: form.contentType], body: form.body) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/x-tar")
                let entries = try TarFiles.read(Array(response.body.readableBytesView))
                #expect(entries.map(\.name) == ["globals.lskel.h", "globals.insns.bin", "globals.data.bin", "globals.manifest.json"])
                #expect(entries.first.map { Data($0.bytes) } == expected.header)
                #expect(entries.count == 4 && Data(entries[1].bytes) == expected.insns && Data(entries[2].bytes) == expected.data)
            }
            let named = TestServer.multipart(files: [("object", "globals.bpf.o", globals)], fields: [("name", "probe")])
            try await client.execute(uri: "/v1/loaders?format=header", method: .post,
                                     headers: [.contentType: named.contentType], body: named.body) { response in
                #expect(String(buffer: response.body).contains("struct probe {"))
            }
        }
    }

    @Test("hostile file names cannot reach response headers or tar entry names")
    func fileNames() async throws {
        let maps = try Fixtures.bytes("maps")
        let form = TestServer.multipart(files: [("object", "../evil\"\r\nX-Injected: 1;.bpf.o", maps)], fields: [("name", "evil")])
        try await TestServer.inProcess { client in
            try await client.execute(uri: "/v1/loaders?format=header", method: .post,
                                     headers: [.contentType: form.contentType], body: form.body) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.init("X-Injected")!] == nil)
                let disposition = response.headers[.contentDisposition] ?? ""
                #expect(!disposition.contains("\r") && !disposition.contains("\n") && !disposition.contains("/"), "\(disposition)")
            }
            try await client.execute(uri: "/v1/loaders?format=tar", method: .post,
                                     headers: [.contentType: form.contentType], body: form.body) { response in
                let names = try TarFiles.read(Array(response.body.readableBytesView)).map(\.name)
                #expect(names.allSatisfy { !$0.contains("/") && !$0.contains("\"") && !$0.hasPrefix(".") }, "\(names)")
            }
        }
    }

    @Test("results are content-addressed: GET by key and part, ETag round trip, never another object's result")
    func contentAddressing() async throws {
        let maps = try Fixtures.bytes("maps"), subprogs = try Fixtures.bytes("subprogs")
        try await TestServer.inProcess { client in
            func post(_ bytes: [UInt8], _ query: String) async throws -> [String: Any] {
                try await client.execute(uri: "/v1/loaders?\(query)", method: .post,
                                         headers: [.contentType: "application/octet-stream"], body: ByteBuffer(bytes: bytes)) {
                    #expect($0.status == .ok)
                    return TestServer.json($0.body)
                }
            }
            let a = try await post(maps, "name=same")
            let b = try await post(subprogs, "name=same")
            let c = try await post(maps, "name=same&cpus=3")
            let again = try await post(maps, "name=same")
            let keyA = try #require(a["key"] as? String), keyB = try #require(b["key"] as? String)
            #expect(keyA != keyB && keyA != (c["key"] as? String))
            #expect(again["key"] as? String == keyA && again["cached"] as? Bool == true && a["cached"] as? Bool == false)
            for (key, expected) in [(keyA, a), (keyB, b)] {
                try await client.execute(uri: "/v1/loaders/\(key)/header", method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(String(buffer: response.body) == expected["header"] as? String)
                }
            }
            let etag = try await client.execute(uri: "/v1/loaders/\(keyA)/insns", method: .get) { response in
                #expect(response.status == .ok)
                #expect(Data(response.body.readableBytesView) == Data(base64Encoded: a["insns"] as? String ?? ""))
                return response.headers[.eTag]
            }
            #expect(etag == "\"\(keyA)-insns\"")
            try await client.execute(uri: "/v1/loaders/\(keyA)/insns", method: .get, headers: [.ifNoneMatch: etag ?? ""]) { response in
                #expect(response.status == .notModified)
                #expect(response.body.readableBytes == 0)
            }
            try await client.execute(uri: "/v1/loaders/\(keyB)/insns", method: .get, headers: [.ifNoneMatch: etag ?? ""]) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/v1/loaders/\(keyA)", method: .get) { response in
                #expect(TestServer.json(response.body)["key"] as? String == keyA)
            }
            try await client.execute(uri: "/v1/loaders/\(keyA)/manifest", method: .get) { response in
                let manifest = try ManifestJSON.decode(Array(response.body.readableBytesView))
                #expect(manifest.object.name == "object.o" && manifest.loader.skeletonName == "same")
            }
            try await client.execute(uri: "/v1/loaders/\(String(repeating: "0", count: 64))", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(String(buffer: response.body).contains("POST the object again"))
            }
        }
    }

    @Test("a refused object's problem names its key; the refusal is stored there: GET by key answers it, a second POST generates nothing")
    func refusalsAreStored() async throws {
        let structOps = try Fixtures.bytes("struct_ops")
        try await TestServer.inProcess { client in
            let first = try await client.execute(uri: "/v1/loaders?filename=s.bpf.o", method: .post,
                                                 headers: [.contentType: "application/octet-stream"], body: ByteBuffer(bytes: structOps)) {
                TestServer.json($0.body)
            }
            let key = try #require(first["key"] as? String)
            #expect(first["type"] as? String == "/problems/struct-ops" && first["status"] as? Int == 422)
            for uri in ["/v1/loaders/\(key)", "/v1/loaders/\(key)/header", "/v1/loaders/\(key)?format=tar"] {
                try await client.execute(uri: uri, method: .get) { response in
                    #expect(response.status == .unprocessableContent, "\(uri)")
                    let problem = TestServer.json(response.body)
                    #expect(problem["type"] as? String == first["type"] as? String && problem["detail"] as? String == first["detail"] as? String
                            && problem["key"] as? String == key, "\(uri): \(problem)")
                    #expect((problem["libbpf_log"] as? [String]) == (first["libbpf_log"] as? [String]))
                }
            }
            try await client.execute(uri: "/v1/loaders?filename=s.bpf.o", method: .post,
                                     headers: [.contentType: "application/octet-stream"], body: ByteBuffer(bytes: structOps)) { response in
                #expect(response.status == .unprocessableContent)
                #expect(TestServer.json(response.body)["detail"] as? String == first["detail"] as? String)
            }
            try await client.execute(uri: "/metrics", method: .get) { response in
                let text = String(buffer: response.body)
                #expect(text.contains("lskeld_cache_misses_total 1\n") && text.contains("lskeld_cache_hits_total 1\n"),
                        "\(text.split(separator: "\n").filter { $0.hasPrefix("lskeld_cache") })")
            }
        }
    }

    @Test("each error is an RFC 9457 problem with the right status")
    func errors() async throws {
        let maps = try Fixtures.bytes("maps"), structOps = try Fixtures.bytes("struct_ops")
        let configuration = TestServer.configuration { $0.maxUploadBytes = 64 << 10 }
        try await TestServer.inProcess(configuration) { client in
            func expectProblem(_ uri: String, method: HTTPRequest.Method = .post, contentType: String? = "application/octet-stream",
                               body: [UInt8] = [], status: HTTPResponse.Status, type: String) async throws {
                var headers: HTTPFields = [:]
                if let contentType { headers[.contentType] = contentType }
                try await client.execute(uri: uri, method: method, headers: headers,
                                         body: method == .get ? nil : ByteBuffer(bytes: body)) { response in
                    #expect(response.status == status, "\(uri)")
                    #expect(response.headers[.contentType] == "application/problem+json", "\(uri)")
                    let problem = TestServer.json(response.body)
                    #expect(problem["type"] as? String == "/problems/\(type)", "\(uri): \(problem)")
                    #expect(problem["status"] as? Int == Int(status.code))
                    #expect(!(problem["detail"] as? String ?? "").isEmpty && problem["title"] != nil)
                }
            }
            try await expectProblem("/v1/loaders?cpus=lots", body: maps, status: .badRequest, type: "invalid-parameter")
            try await expectProblem("/v1/loaders?kernel_release=banana", body: maps, status: .badRequest, type: "invalid-profile")
            try await expectProblem("/v1/loaders?name=not%20ok", body: maps, status: .badRequest, type: "invalid-name")
            try await expectProblem("/v1/loaders", contentType: "text/plain", body: maps, status: .unsupportedMediaType, type: "unsupported-media-type")
            try await expectProblem("/v1/loaders", contentType: nil, body: maps, status: .unsupportedMediaType, type: "unsupported-media-type")
            try await expectProblem("/v1/loaders", body: [UInt8](repeating: 1, count: 100 << 10), status: .contentTooLarge, type: "upload-too-large")
            try await expectProblem("/v1/loaders?filename=s.bpf.o", body: structOps, status: .unprocessableContent, type: "struct-ops")
            try await expectProblem("/v1/loaders", body: Array("hello".utf8), status: .unprocessableContent, type: "invalid-object")
            try await expectProblem("/v1/loaders?max_entries=nomap=1", body: maps, status: .unprocessableContent, type: "unknown-map")
            let noObject = TestServer.multipart(files: [], fields: [("cpus", "2")])
            try await expectProblem("/v1/loaders", contentType: noObject.contentType, body: Array(noObject.body.readableBytesView),
                                    status: .badRequest, type: "missing-object")
            try await expectProblem("/v1/loaders", contentType: "multipart/form-data", body: maps, status: .badRequest, type: "malformed-multipart")
            // A part header name with a byte above 0x7f (a crash in the multipart parser
            // found by schemathesis) is refused, on /v1/loaders and /v1/batch, and the
            // service keeps answering.
            for (index, route) in ["/v1/loaders", "/v1/batch"].enumerated() {
                let header: [UInt8] = index == 0 ? [0x4e, 0xc3, 0xa9, 0x3a, 0x20, 0x31] : [0xff, 0x3a, 0x20, 0x31]
                let hostile = Array("--b0und\r\n".utf8) + header + Array("\r\nContent-Disposition: form-data; name=\"object\"; filename=\"m.bpf.o\"\r\n\r\n".utf8)
                    + maps + Array("\r\n--b0und--\r\n".utf8)
                try await expectProblem(route, contentType: "multipart/form-data; boundary=b0und", body: hostile,
                                        status: .badRequest, type: "malformed-multipart")
            }
            // An empty boundary (a precondition failure in the parser) and an overlong one.
            for boundary in ["\"\"", String(repeating: "b", count: 71)] {
                try await expectProblem("/v1/loaders", contentType: "multipart/form-data; boundary=\(boundary)", body: maps,
                                        status: .badRequest, type: "malformed-multipart")
            }
            let form = TestServer.multipart(files: [("object", "maps.bpf.o", maps)])
            try await client.execute(uri: "/v1/loaders?format=header", method: .post, headers: [.contentType: form.contentType],
                                     body: form.body) { response in
                #expect(response.status == .ok)
            }
            try await expectProblem("/v1/loaders/abc", method: .get, status: .badRequest, type: "invalid-key")
            try await expectProblem("/v1/loaders/\(String(repeating: "a", count: 64))/zip", method: .get, status: .notFound, type: "unknown-part")
            try await expectProblem("/nowhere", method: .get, status: .notFound, type: "not-found")
            // libbpf's lines travel with the rejection.
            try await client.execute(uri: "/v1/loaders?filename=k.bpf.o", method: .post, headers: [.contentType: "application/octet-stream"],
                                     body: ByteBuffer(bytes: try Fixtures.bytes("unresolved_kconfig"))) { response in
                let problem = TestServer.json(response.body)
                #expect((problem["libbpf_log"] as? [String])?.contains { $0.contains("CONFIG_LSKEL_NOT_A_REAL_OPTION") } == true)
            }
        }
    }

    @Test("a saturated pool answers 503 with Retry-After; no request gets a 500")
    func saturation() async throws {
        let configuration = TestServer.configuration {
            $0.pool.concurrency = 1
            $0.pool.queueLimit = 0
            $0.pool.warmWorkers = 1
        }
        let bytes = try Fixtures.bytes("many32")
        try await TestServer.run(configuration) { _, port in
            let statuses = try await withThrowingTaskGroup(of: (Int, String?).self) { group in
                for index in 0..<24 {
                    group.addTask {
                        try await HTTP.post("http://127.0.0.1:\(port)/v1/loaders?name=n\(index)", body: bytes,
                                            contentType: "application/octet-stream")
                    }
                }
                return try await group.reduce(into: [(Int, String?)]()) { $0.append($1) }
            }
            #expect(statuses.contains { $0.0 == 503 && Int($0.1 ?? "") ?? 0 >= 1 }, "\(statuses.map(\.0))")
            #expect(statuses.contains { $0.0 == 200 })
            #expect(statuses.allSatisfy { $0.0 == 200 || $0.0 == 503 })
        }
    }
}
