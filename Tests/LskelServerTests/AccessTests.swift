import Foundation
import HTTPTypes
import HummingbirdTesting
import LskelEngine
import LskelServer
import LskelTestSupport
import NIOCore
import Testing

@Suite("Access control", .serialized)
struct AccessTests {
    static let token = "lskel-test-token-\(UUID().uuidString)"
    static let tokensFile = """
        # name  hash  rate
        farm    sha256:\(SHA256.hex(Array(token.utf8)))  3/10s
        other   sha256:\(SHA256.hex(Array("another-token".utf8)))  100/m
        """

    @Test("tokens file: hashes and rates parse; malformed lines are named")
    func parsing() throws {
        let tokens = try AccessTokens(text: Self.tokensFile)
        #expect(tokens.entries.map(\.name) == ["farm", "other"])
        #expect(tokens.entry(for: Self.token)?.name == "farm")
        #expect(tokens.entry(for: "wrong") == nil)
        #expect(tokens.entries[1].rate == 100 && tokens.entries[1].period == 60)
        #expect(tokens.entries[0].rate == 3 && tokens.entries[0].period == 10)
        #expect(throws: AccessTokensError.self) { try AccessTokens(text: "farm plaintext-token 3/s") }
        #expect(throws: AccessTokensError.self) { try AccessTokens(text: "farm sha256:\(String(repeating: "a", count: 64)) often") }
        #expect(throws: AccessTokensError.self) { try AccessTokens(text: "# nothing\n") }
    }

    @Test("lskel token makes a token and the tokens-file line that admits it")
    func tokenCommand() async throws {
        let result = try await CLI.runDetached(["token", "farm", "--rate", "5/s"])
        #expect(result.status == 0)
        let lines = result.stdoutText.split(separator: "\n").map(String.init)
        #expect(lines.count == 2)
        let tokens = try AccessTokens(text: lines.last ?? "")
        #expect(tokens.entry(for: lines.first ?? "")?.name == "farm")
        #expect(tokens.entries.first?.rate == 5)
        #expect(!(lines.last ?? "").contains(lines.first ?? "-"))
    }

    @Test("no token 401, wrong token 403, right token 200; the rate limit answers 429 and recovers")
    func tokens() async throws {
        let configuration = TestServer.configuration { $0.tokens = try? AccessTokens(text: Self.tokensFile) }
        let maps = try Fixtures.bytes("maps")
        try await TestServer.run(configuration) { client, _ in
            func post(_ headers: HTTPFields) async throws -> TestResponse {
                var headers = headers
                headers[.contentType] = "application/octet-stream"
                return try await client.execute(uri: "/v1/loaders?filename=maps.bpf.o", method: .post, headers: headers, body: ByteBuffer(bytes: maps))
            }
            let missing = try await post([:])
            #expect(missing.status == .unauthorized)
            #expect(missing.headers[.wwwAuthenticate] == "Bearer realm=\"lskeld\"")
            #expect(missing.headers[.contentType] == "application/problem+json")
            let wrong = try await post([.authorization: "Bearer not-a-token"])
            #expect(wrong.status == .forbidden)
            #expect(!String(buffer: wrong.body).contains("not-a-token"))
            // 3 per 10 s: three go through, the fourth is told when to come back, and then it may.
            for _ in 0..<3 {
                #expect(try await post([.authorization: "Bearer \(Self.token)"]).status == .ok)
            }
            let limited = try await post([.authorization: "Bearer \(Self.token)"])
            #expect(limited.status == .tooManyRequests)
            let retryAfter = Int(limited.headers[.retryAfter] ?? "") ?? 0
            #expect(retryAfter >= 1 && retryAfter <= 4, "Retry-After \(retryAfter)")
            try await Task.sleep(for: .seconds(retryAfter))
            #expect(try await post([.authorization: "Bearer \(Self.token)"]).status == .ok)
            // Health, readiness and the form stay open.
            #expect(try await client.execute(uri: "/healthz", method: .get).status == .ok)
            #expect(try await client.execute(uri: "/", method: .get).status == .ok)
        }
    }

    @Test("without tokens the server refuses a non-loopback address unless --allow-anonymous")
    func defaultBind() async throws {
        var configuration = TestServer.configuration()
        configuration.host = "0.0.0.0"
        #expect(throws: ServerConfigurationError.self) { try configuration.checkAccess() }
        configuration.allowAnonymous = true
        #expect(throws: Never.self) { try configuration.checkAccess() }
        configuration.allowAnonymous = false
        configuration.tokens = try AccessTokens(text: Self.tokensFile)
        #expect(throws: Never.self) { try configuration.checkAccess() }
        // The executable says so and exits 64 (usage) before binding anything.
        let lskeld = CLI.builtExecutable("lskeld")
        let refused = try await Shell.runDetached(lskeld, ["--host", "0.0.0.0", "--port", "0", "--data-dir", NSTemporaryDirectory() + "lskeld-refuse"])
        #expect(refused.status != 0)
        #expect(refused.stderrText.contains("without --tokens"), "\(refused.stderrText)")
    }
}
