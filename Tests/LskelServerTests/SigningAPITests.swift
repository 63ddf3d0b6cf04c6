import Foundation
import HTTPTypes
import HummingbirdTesting
import LskelModel
import LskelServer
import LskelSign
import LskelTestSupport
import NIOCore
import Testing

/// `sign=` over HTTP: the server's keys sign what it generates.
@Suite("Signing over HTTP")
struct SigningAPITests {
    static let release618 = "6.18.15+deb13-amd64"

    static func key(_ name: String) throws -> SigningKey {
        let pair = try SigningKey.makeKeypair(commonName: name)
        return try SigningKey(name: name, key: Array(pair.key.utf8), certificate: Array(pair.certificate.utf8))
    }

    static func configuration(tokens: AccessTokens? = nil, keys: [SigningKey]) -> ServerConfiguration {
        TestServer.configuration {
            $0.signingKeys = Dictionary(uniqueKeysWithValues: keys.map { ($0.name, $0) })
            $0.tokens = tokens
        }
    }

    static func post(_ client: some TestClientProtocol, _ query: String, object: [UInt8],
                     headers: HTTPFields = [:]) async throws -> (HTTPResponse.Status, [String: Any], ByteBuffer) {
        var fields = headers
        fields[.contentType] = "application/octet-stream"
        return try await client.execute(uri: "/v1/loaders?filename=x.bpf.o&" + query, method: .post, headers: fields,
                                        body: ByteBuffer(bytes: object)) { ($0.status, TestServer.json($0.body), $0.body) }
    }

    /// openssl's verdict on `signature` over `content`, with the key's certificate.
    static func opensslVerifies(signature: [UInt8], content: [UInt8], key: SigningKey) throws -> Bool {
        let directory = NSTemporaryDirectory() + "lskel-verify-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Data(signature).write(to: URL(fileURLWithPath: directory + "/sig"))
        try Data(content).write(to: URL(fileURLWithPath: directory + "/content"))
        try Data(key.certificate).write(to: URL(fileURLWithPath: directory + "/cert.der"))
        let openssl = try #require(Shell.which("openssl"), "openssl is not installed")
        let converted = try Shell.run(openssl, ["x509", "-inform", "DER", "-in", directory + "/cert.der", "-out", directory + "/cert.pem"])
        guard converted.status == 0 else { return false }
        return try Shell.run(openssl, ["cms", "-verify", "-binary", "-inform", "DER", "-in", directory + "/sig", "-content",
                                       directory + "/content", "-certfile", directory + "/cert.pem", "-noverify", "-out", "/dev/null"]).status == 0
    }

    @Test("sign on a raw upload, multipart and batch: the signature verifies over the loader, the manifest and header say so, and the same request signs the same bytes")
    func signs() async throws {
        let key = try Self.key("release")
        let object = try Fixtures.bytes("rt_execsnoop")
        try await TestServer.inProcess(Self.configuration(keys: [key])) { client in
            let (status, json, _) = try await Self.post(client, "sign=release&kernel_release=\(Self.release618)", object: object)
            #expect(status == .ok, "\(json)")
            let signature = try #require((json["signature"] as? String).flatMap { Data(base64Encoded: $0) }.map { [UInt8]($0) })
            let insns = try #require((json["insns"] as? String).flatMap { Data(base64Encoded: $0) }.map { [UInt8]($0) })
            #expect(try Self.opensslVerifies(signature: signature, content: insns, key: key), "loader-hash signs the instructions")
            let manifest = try #require(json["manifest"] as? [String: Any])
            let record = try #require(manifest["signature"] as? [String: Any])
            #expect(record["scheme"] as? String == "loader-hash" && record["key_name"] as? String == "release")
            #expect(record["certificate_sha256"] as? String == key.certificateSHA256 && record["keyring"] as? String == "session")
            #expect((manifest["loader"] as? [String: Any])?["insns_size"] as? Int == insns.count)
            #expect((json["header"] as? String)?.contains("opts_sig") == true && (json["header"] as? String)?.contains("keyring_id") == true)
            let links = try #require(json["links"] as? [String: String])
            #expect(links["sig"]?.hasSuffix("/sig?sign=release&sign_scheme=loader-hash") == true, "\(links)")

            // Again: the same bytes (RSA PKCS#1 v1.5 is deterministic).
            let (_, again, _) = try await Self.post(client, "sign=release&kernel_release=\(Self.release618)", object: object)
            #expect(again["signature"] as? String == json["signature"] as? String)

            // kernel-hash covers the instructions and the data.
            let (_, kernel, _) = try await Self.post(client, "sign=release&sign_scheme=kernel-hash&kernel_release=7.3.4+deb13-amd64", object: object)
            let kernelSignature = try #require((kernel["signature"] as? String).flatMap { Data(base64Encoded: $0) }.map { [UInt8]($0) })
            let kernelInsns = try #require((kernel["insns"] as? String).flatMap { Data(base64Encoded: $0) }.map { [UInt8]($0) })
            let kernelData = try #require((kernel["data"] as? String).flatMap { Data(base64Encoded: $0) }.map { [UInt8]($0) })
            #expect(try Self.opensslVerifies(signature: kernelSignature, content: kernelInsns + kernelData, key: key))

            // By key: signed on request; its sig part is the signature; unsigned stays unsigned.
            let loaderKey = try #require(json["key"] as? String)
            try await client.execute(uri: "/v1/loaders/\(loaderKey)/sig?sign=release&sign_scheme=loader-hash", method: .get) { response in
                #expect(response.status == .ok && Array(response.body.readableBytesView) == signature)
            }
            try await client.execute(uri: "/v1/loaders/\(loaderKey)", method: .get) { response in
                #expect(TestServer.json(response.body)["signature"] == nil)
            }
            try await client.execute(uri: "/v1/loaders/\(loaderKey)/sig", method: .get) { response in
                #expect(response.status == .notFound)
            }

            // Multipart: sign as a form field; tar carries x.sig.
            let form = TestServer.multipart(files: [("object", "x.bpf.o", object)],
                                            fields: [("sign", "release"), ("kernel_release", Self.release618)])
            try await client.execute(uri: "/v1/loaders?format=tar", method: .post, headers: [.contentType: form.contentType], body: form.body) { response in
                #expect(response.status == .ok)
                let names = (try? TarFiles.read(Array(response.body.readableBytesView)).map(\.name)) ?? []
                #expect(names.contains("x.sig"), "\(names)")
            }
            // Batch: every member signed.
            let batch = TestServer.multipart(files: [("object", "a.bpf.o", object), ("object", "b.bpf.o", try Fixtures.bytes("maps"))],
                                             fields: [("sign", "release"), ("kernel_release", Self.release618)])
            try await client.execute(uri: "/v1/batch", method: .post, headers: [.contentType: batch.contentType], body: batch.body) { response in
                let results = TestServer.json(response.body)["results"] as? [[String: Any]] ?? []
                #expect(results.count == 2 && results.allSatisfy { ($0["result"] as? [String: Any])?["signature"] != nil },
                        "\(String(buffer: response.body).prefix(400))")
            }
        }
    }

    @Test("422 for an unknown key, an unknown scheme, auto without a release, and a kernel before 6.18; 403 for a token without the key")
    func refusals() async throws {
        let key = try Self.key("release")
        let object = try Fixtures.bytes("maps")
        try await TestServer.inProcess(Self.configuration(keys: [key])) { client in
            for (query, type) in [("sign=nightly&kernel_release=\(Self.release618)", "unknown-signing-key"),
                                  ("sign=release&sign_scheme=rsa&kernel_release=\(Self.release618)", "invalid-sign-scheme"),
                                  ("sign=release", "signing-refused"),
                                  ("sign=release&kernel_release=6.1.0-50-amd64", "signing-refused"),
                                  ("sign=release&sign_scheme=loader-hash&kernel_release=6.12.95", "signing-refused")] {
                let (status, json, _) = try await Self.post(client, query, object: object)
                #expect(status == .unprocessableContent && json["type"] as? String == "/problems/\(type)", "\(query): \(json)")
            }
            // Each was refused before anything was generated.
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(String(buffer: response.body).contains("lskeld_cache_misses_total 0\n"))
            }
        }
        // Tokens: one may sign with the key, one may not.
        let allowed = "tok-allowed-0123456789", denied = "tok-denied-0123456789"
        let tokens = try AccessTokens(text: """
            builder sha256:\(SHA256.hex(Array(allowed.utf8))) 100/s sign=release
            reader  sha256:\(SHA256.hex(Array(denied.utf8))) 100/s
            """)
        try await TestServer.inProcess(Self.configuration(tokens: tokens, keys: [key])) { client in
            let query = "sign=release&kernel_release=\(Self.release618)"
            let (ok, _, _) = try await Self.post(client, query, object: object, headers: [.authorization: "Bearer \(allowed)"])
            #expect(ok == .ok)
            let (forbidden, json, _) = try await Self.post(client, query, object: object, headers: [.authorization: "Bearer \(denied)"])
            #expect(forbidden == .forbidden && json["type"] as? String == "/problems/signing-forbidden", "\(json)")
        }
    }

    @Test("lskeld refuses to start with a missing, open or mismatched key, naming it")
    func startRefusals() async throws {
        let files = try SigningTestFiles.make()
        defer { try? FileManager.default.removeItem(atPath: files.directory) }
        let lskeld = CLI.builtExecutable("lskeld")
        func start(_ spec: String) async throws -> ProcessResult {
            try await Shell.runDetached(lskeld, ["--port", "0", "--store", files.directory + "/store", "--signing-key", spec])
        }
        let missing = try await start("rel=\(files.directory)/none.key,\(files.cert)")
        #expect(missing.status != 0 && missing.stderrText.contains("signing key rel") && missing.stderrText.contains("does not exist"), "\(missing.stderrText)")
        chmod(files.key, 0o644)
        let open = try await start("rel=\(files.key),\(files.cert)")
        #expect(open.status != 0 && open.stderrText.contains("readable by its group or others"), "\(open.stderrText)")
        chmod(files.key, 0o600)
        let mismatched = try await start("rel=\(files.key),\(files.otherCert)")
        #expect(mismatched.status != 0 && mismatched.stderrText.contains("does not belong"), "\(mismatched.stderrText)")
        #expect(!(missing.stderrText + open.stderrText + mismatched.stderrText).contains("PRIVATE KEY"))
    }
}

/// Key files for the start-up tests.
struct SigningTestFiles {
    var directory: String
    var key: String
    var cert: String
    var otherCert: String

    static func make() throws -> SigningTestFiles {
        let directory = NSTemporaryDirectory() + "lskel-keys-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let pair = try SigningKey.makeKeypair(commonName: "rel"), other = try SigningKey.makeKeypair(commonName: "other")
        let files = SigningTestFiles(directory: directory, key: directory + "/rel.key", cert: directory + "/rel.crt",
                                     otherCert: directory + "/other.crt")
        FileManager.default.createFile(atPath: files.key, contents: Data(pair.key.utf8), attributes: [.posixPermissions: 0o600])
        try Data(pair.certificate.utf8).write(to: URL(fileURLWithPath: files.cert))
        try Data(other.certificate.utf8).write(to: URL(fileURLWithPath: files.otherCert))
        return files
    }
}

/// The CLI's two ways of signing give the same files.
@Suite("Signing from the CLI")
struct SigningCLITests {
    @Test("lskel submit --sign and lskel gen --sign-key with the same key write the same header, blobs, manifest and signature; a rebuild by key uploads nothing")
    func submitEqualsGen() async throws {
        let files = try SigningTestFiles.make()
        defer { try? FileManager.default.removeItem(atPath: files.directory) }
        let object = try Fixtures.object("rt_execsnoop")
        let flags = ["--kernel-release", SigningAPITests.release618, "--cpus", "4"]
        let local = files.directory + "/gen"
        let generated = try await CLI.runDetached(["gen", object, "--out-dir", local, "--sign-key", files.key, "--sign-cert", files.cert] + flags)
        #expect(generated.status == 0, "\(generated.stderrText)")
        // A format without the manifest file signs as well: the header is the signed one.
        let headerOnly = files.directory + "/gen-header"
        let header = try await CLI.runDetached(["gen", object, "--out-dir", headerOnly, "--format", "header",
                                                "--sign-key", files.key, "--sign-cert", files.cert] + flags)
        #expect(header.status == 0, "\(header.stderrText)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: headerOnly) == ["rt_execsnoop.lskel.h"])
        #expect(FileManager.default.contents(atPath: "\(headerOnly)/rt_execsnoop.lskel.h") == FileManager.default.contents(atPath: "\(local)/rt_execsnoop.lskel.h"))
        let key = try SigningKey(name: "rel", keyPath: files.key, certificatePath: files.cert)
        let configuration = TestServer.configuration { $0.signingKeys = ["rel": key] }
        try await TestServer.run(configuration) { _, port in
            for (attempt, summary) in [(1, "0 from the server's store, 1 generated"), (2, "1 from the server's store, 0 generated, 0 refused; 0 bytes uploaded")] {
                let remote = files.directory + "/submit\(attempt)"
                let submitted = try await CLI.runDetached(["submit", object, "--server", "http://127.0.0.1:\(port)", "--out-dir", remote,
                                                           "--sign", "rel"] + flags)
                #expect(submitted.status == 0 && submitted.stderrText.contains(summary), "\(submitted.stderrText)")
                let names = try FileManager.default.contentsOfDirectory(atPath: local).sorted()
                #expect(names == ["rt_execsnoop.data.bin", "rt_execsnoop.insns.bin", "rt_execsnoop.lskel.h", "rt_execsnoop.manifest.json", "rt_execsnoop.sig"])
                #expect(try FileManager.default.contentsOfDirectory(atPath: remote).sorted() == names)
                for name in names {
                    #expect(FileManager.default.contents(atPath: "\(local)/\(name)") == FileManager.default.contents(atPath: "\(remote)/\(name)"),
                            "\(name) differs between lskel gen and lskel submit (attempt \(attempt))")
                }
            }
        }
    }
}
