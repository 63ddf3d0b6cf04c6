import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LskelTestSupport
import NIOCore
import Testing

/// Mutated multipart bodies against the live service: each is answered with
/// a result or a 4xx problem, never a 5xx, and the service stays up. (The
/// multipart parser traps on some inputs; see `Upload.nonASCIIHeaderName`.)
@Suite("Multipart mutations")
struct MultipartMutationTests {
    @Test("mutated bodies (400 by default) to /v1/loaders and /v1/batch: no 5xx, no crash")
    func mutations() async throws {
        let object = Array(try Fixtures.bytes("maps"))
        let base = Array("--b0und\r\nContent-Disposition: form-data; name=\"cpus\"\r\n\r\n4\r\n--b0und\r\nContent-Disposition: form-data; name=\"object\"; filename=\"m.bpf.o\"\r\nContent-Type: application/octet-stream\r\n\r\n".utf8)
            + object + Array("\r\n--b0und--\r\n".utf8)
        let inserts: [[UInt8]] = [Array("\r\n".utf8), Array("--b0und".utf8), Array(":".utf8), Array("\r\n\r\n".utf8), [0xff], [0x80, 0x3a]]
        var random = Fuzzing.generator("multipart mutations", standard: 0x6c73_6b65_6c64)
        let bodies = (0..<Fuzzing.iterations(400)).map { _ in random.mutate(base, edits: 8, inserts: inserts) }
        let mutated = bodies
        try await TestServer.run { client, _ in
            var statuses: [Int: Int] = [:]
            for (index, body) in mutated.enumerated() {
                let route = index % 2 == 0 ? "/v1/loaders" : "/v1/batch"
                try await client.execute(uri: route, method: .post, headers: [.contentType: "multipart/form-data; boundary=b0und"],
                                         body: ByteBuffer(bytes: body)) { response in
                    statuses[Int(response.status.code), default: 0] += 1
                    #expect(response.status.code < 500, "mutation \(index) to \(route): \(response.status)")
                }
            }
            print("multipart mutations: statuses \(statuses.sorted { $0.key < $1.key })")
            // Some mutations still carry a good object; most do not.
            #expect(statuses[200, default: 0] > 0 && statuses[400, default: 0] > 0)
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .ok)
            }
        }
    }
}
