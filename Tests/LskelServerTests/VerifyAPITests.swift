import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LskelTestSupport
import NIOCore
import Testing
@testable import LskelServer

/// `verify=` over HTTP: refused without kernels (in process); with the kernel
/// matrix, answered by real guests over real HTTP on loopback.
@Suite("HTTP API: verify", .serialized)
struct VerifyAPITests {
    static func problemType(_ response: TestResponse) -> String {
        (TestServer.json(response.body)["type"] as? String)?.split(separator: "/").last.map(String.init) ?? ""
    }

    @Test("without --kernels, verify is a 422 problem naming what is missing; a malformed series is a 400")
    func withoutKernels() async throws {
        let maps = try Fixtures.bytes("maps")
        try await TestServer.inProcess { client in
            try await client.execute(uri: "/v1/loaders?filename=maps.bpf.o&verify=6.1", method: .post,
                                     headers: [.contentType: "application/octet-stream"], body: ByteBuffer(bytes: maps)) { response in
                #expect(response.status == .unprocessableContent)
                #expect(Self.problemType(response) == "verification-unavailable")
                #expect((TestServer.json(response.body)["detail"] as? String)?.contains("--kernels") == true)
            }
            let form = TestServer.multipart(files: [("object", "maps.bpf.o", maps)], fields: [("verify", "6.18")])
            try await client.execute(uri: "/v1/batch", method: .post, headers: [.contentType: form.contentType], body: form.body) { response in
                #expect(response.status == .unprocessableContent)
                #expect(Self.problemType(response) == "verification-unavailable")
            }
            for bad in ["", "6.1,", "six", "6.1;7.3", String(repeating: "6", count: 40)] {
                let query = bad.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
                try await client.execute(uri: "/v1/loaders?filename=maps.bpf.o&verify=\(query)", method: .post,
                                         headers: [.contentType: "application/octet-stream"], body: ByteBuffer(bytes: maps)) { response in
                    #expect(response.status == .badRequest, "verify=\(bad)")
                    #expect(Self.problemType(response) == "invalid-parameter", "verify=\(bad)")
                }
            }
        }
    }

    @Test("with the kernel matrix: a raw upload and a batch verified per kernel, each loader generated for its kernel; unknown series 422",
          .enabled(if: Kernels.available, Comment(rawValue: Kernels.skipReason)))
    func withKernels() async throws {
        let maps = try Fixtures.bytes("maps"), core = try Fixtures.bytes("core")
        let configuration = TestServer.configuration { $0.kernels = Kernels.directory }
        let matrix = try KernelMatrixOnDisk.series()
        let first = try #require(matrix.first), last = try #require(matrix.last)
        try await TestServer.run(configuration) { client, _ in
            try await client.execute(uri: "/readyz", method: .get) { response in
                let kernels = TestServer.json(response.body)["kernels"] as? [[String: Any]] ?? []
                #expect(kernels.compactMap { $0["series"] as? String } == matrix)
            }
            // The server boots its guests two at a time as it starts: the first series' guest is up first.
            try await client.execute(uri: "/v1/loaders?filename=core.bpf.o&verify=\(first)", method: .post,
                                     headers: [.contentType: "application/octet-stream"], body: ByteBuffer(bytes: core)) { response in
                #expect(response.status == .ok)
                let entries = TestServer.json(response.body)["verification"] as? [[String: Any]] ?? []
                #expect(entries.first?["loader"] as? String == entries.first?["libbpf"] as? String, "\(entries)")
            }
            try await client.execute(uri: "/v1/loaders?filename=maps.bpf.o&verify=\(first),\(last)", method: .post,
                                     headers: [.contentType: "application/octet-stream"], body: ByteBuffer(bytes: maps)) { response in
                #expect(response.status == .ok)
                let json = TestServer.json(response.body)
                let entries = json["verification"] as? [[String: Any]] ?? []
                #expect(entries.compactMap { $0["kernel"] as? String } == [first, last])
                for entry in entries {
                    #expect(entry["loader"] as? String == "loads" && entry["libbpf"] as? String == "loads", "\(entry)")
                    #expect(entry["profile"] as? String == "kernel")
                    #expect((entry["version"] as? String)?.isEmpty == false)
                    // Generated for the kernel's own release and config: a loader of its own.
                    #expect((entry["key"] as? String)?.count == 64 && entry["key"] as? String != json["key"] as? String)
                }
            }
            try await client.execute(uri: "/v1/loaders?filename=maps.bpf.o&format=header&verify=\(last)", method: .post,
                                     headers: [.contentType: "application/octet-stream"], body: ByteBuffer(bytes: maps)) { response in
                #expect(response.status == .ok)
                #expect(response.headers[HTTPField.Name("Lskel-Verification")!] == "\(last)=loads")
            }
            try await client.execute(uri: "/v1/loaders?filename=maps.bpf.o&verify=2.6", method: .post,
                                     headers: [.contentType: "application/octet-stream"], body: ByteBuffer(bytes: maps)) { response in
                #expect(response.status == .unprocessableContent)
                #expect(Self.problemType(response) == "unknown-kernel")
            }
            let form = TestServer.multipart(files: [("object", "maps.bpf.o", maps), ("object", "core.bpf.o", core)],
                                            fields: [("verify", last), ("kernel_release", "6.18.0")])
            try await client.execute(uri: "/v1/batch", method: .post, headers: [.contentType: form.contentType], body: form.body) { response in
                #expect(response.status == .ok)
                let results = TestServer.json(response.body)["results"] as? [[String: Any]] ?? []
                #expect(results.count == 2)
                for member in results {
                    let result = member["result"] as? [String: Any] ?? [:]
                    let entries = result["verification"] as? [[String: Any]] ?? []
                    #expect(entries.count == 1, "\(member["object"] ?? "")")
                    // The request named a kernel release: its profile is used as it is.
                    #expect(entries.first?["profile"] as? String == "request")
                    #expect(entries.first?["key"] as? String == result["key"] as? String)
                    #expect(entries.first?["loader"] as? String == entries.first?["libbpf"] as? String, "\(entries)")
                }
            }
            try await client.execute(uri: "/metrics", method: .get) { response in
                let text = String(buffer: response.body)
                #expect(text.contains("lskeld_verifications_total{kernel=\"\(last)\",result=\"loads\"}"))
                #expect(text.contains("lskeld_verification_seconds"))
            }
        }
    }
}

/// The series in the test kernel matrix, from its directory.
enum KernelMatrixOnDisk {
    static func series() throws -> [String] {
        let names = try FileManager.default.contentsOfDirectory(atPath: Kernels.directory)
            .filter { FileManager.default.fileExists(atPath: Kernels.directory + "/" + $0 + "/vmlinuz") }
        return names.sorted { $0.split(separator: ".").map { Int($0) ?? 0 }.lexicographicallyPrecedes($1.split(separator: ".").map { Int($0) ?? 0 }) }
    }
}
