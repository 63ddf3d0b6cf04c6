import Foundation
import LskelEngine
import LskelModel
import LskelTestSupport
import Testing
@testable import LskelSign

/// Keys, CMS signatures and signed loaders, checked against OpenSSL's own
/// verifier and, on this host, the running kernel.
@Suite("Signed loaders")
struct SigningTests {
    /// A fresh key and certificate in files, the key readable by its owner only.
    static func keypair(_ name: String = "lskel-test") throws -> (directory: String, key: String, cert: String) {
        let directory = NSTemporaryDirectory() + "lskel-sign-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let pair = try SigningKey.makeKeypair(commonName: name)
        let key = directory + "/\(name).key", cert = directory + "/\(name).crt"
        FileManager.default.createFile(atPath: key, contents: Data(pair.key.utf8), attributes: [.posixPermissions: 0o600])
        try Data(pair.certificate.utf8).write(to: URL(fileURLWithPath: cert))
        return (directory, key, cert)
    }

    static func openssl() -> String? { Shell.which("openssl") }

    @Test("openssl cms -verify accepts every signature, for both schemes; RSA signatures are deterministic")
    func cmsVerifies() throws {
        let files = try Self.keypair()
        defer { try? FileManager.default.removeItem(atPath: files.directory) }
        let key = try SigningKey(name: "lskel-test", keyPath: files.key, certificatePath: files.cert)
        #expect(key.keyType == "rsa" && key.deterministic && key.subject == "CN=lskel-test")
        let loader = try LoaderGenerator.generate(object: try Fixtures.bytes("rt_execsnoop"), name: "rt_execsnoop_bpf",
                                                  profile: TargetProfile())
        let openssl = try #require(Self.openssl(), "openssl is not installed")
        for scheme in SignatureScheme.allCases {
            let signed = try LoaderSigning.sign(header: loader.header, name: "rt_execsnoop_bpf", insns: loader.insns,
                                                data: loader.data, scheme: scheme, key: key)
            let again = try LoaderSigning.sign(header: loader.header, name: "rt_execsnoop_bpf", insns: loader.insns,
                                               data: loader.data, scheme: scheme, key: key)
            #expect(signed.signature == again.signature && signed.header == again.header && signed.insns == again.insns)
            let content = files.directory + "/signed-\(scheme.rawValue)", signature = files.directory + "/sig-\(scheme.rawValue)"
            let signable = SignableLoader(insns: loader.insns, data: loader.data, scheme: scheme)
            try Data(signable.signedBytes).write(to: URL(fileURLWithPath: content))
            try Data(signed.signature).write(to: URL(fileURLWithPath: signature))
            let verify = try Shell.run(openssl, ["cms", "-verify", "-binary", "-inform", "DER", "-in", signature, "-content", content,
                                                 "-certfile", files.cert, "-noverify", "-out", "/dev/null"])
            #expect(verify.status == 0, "\(scheme): \(verify.stderrText)")
            // Not over other bytes.
            try Data(signable.signedBytes.dropLast()).write(to: URL(fileURLWithPath: content))
            let wrong = try Shell.run(openssl, ["cms", "-verify", "-binary", "-inform", "DER", "-in", signature, "-content", content,
                                                "-certfile", files.cert, "-noverify", "-out", "/dev/null"])
            #expect(wrong.status != 0)
            #expect(signed.record.signedSize == signable.signedBytes.count && signed.record.scheme == scheme.rawValue)
            #expect(scheme == .kernelHash ? signable.signedBytes == loader.insns + loader.data : signable.signedBytes == signed.insns)
        }
    }

    @Test("key handling: a missing file, a key others can read, a key of another certificate, and garbage are refused, each named")
    func keyErrors() throws {
        let files = try Self.keypair(), other = try Self.keypair("other")
        defer {
            try? FileManager.default.removeItem(atPath: files.directory)
            try? FileManager.default.removeItem(atPath: other.directory)
        }
        #expect(throws: SigningKeyError.missing(name: "k", path: files.directory + "/none.key")) {
            try SigningKey(name: "k", keyPath: files.directory + "/none.key", certificatePath: files.cert)
        }
        chmod(files.key, 0o640)
        #expect(throws: SigningKeyError.tooOpen(name: "k", path: files.key, mode: 0o640)) {
            try SigningKey(name: "k", keyPath: files.key, certificatePath: files.cert)
        }
        chmod(files.key, 0o600)
        do {
            _ = try SigningKey(name: "k", keyPath: files.key, certificatePath: other.cert)
            Issue.record("a key with another key's certificate was accepted")
        } catch {
            #expect("\(error)".contains("signing key k") && "\(error)".contains("does not belong"), "\(error)")
        }
        let garbage = files.directory + "/garbage.key"
        FileManager.default.createFile(atPath: garbage, contents: Data("not a key".utf8), attributes: [.posixPermissions: 0o600])
        do {
            _ = try SigningKey(name: "g", keyPath: garbage, certificatePath: files.cert)
            Issue.record("garbage was accepted as a key")
        } catch {
            #expect("\(error)".contains("signing key g: not a PEM private key"), "\(error)")
        }
        let key = try SigningKey(name: "k", keyPath: files.key, certificatePath: files.cert)
        #expect(!"\(key)".contains("PRIVATE"), "the description never shows the key")
    }

    @Test("auto picks the scheme from the kernel release; a release before 6.18 or none is refused, saying why")
    func schemes() throws {
        #expect(try SchemeChoice.scheme(forRelease: "6.18.15+deb13-amd64") == .loaderHash)
        #expect(try SchemeChoice.scheme(forRelease: "7.3.4+deb13-amd64") == .kernelHash)
        #expect(try SchemeChoice.scheme(forRelease: "7.10.0") == .kernelHash)
        #expect(throws: SchemeChoice.Refusal.tooOld("6.1.0-50-amd64")) { try SchemeChoice.scheme(forRelease: "6.1.0-50-amd64") }
        #expect(throws: SchemeChoice.Refusal.tooOld("6.12.95")) { try SchemeChoice.check(.loaderHash, release: "6.12.95") }
        #expect(throws: SchemeChoice.Refusal.noRelease) { try SchemeChoice.scheme(forRelease: nil) }
        #expect(throws: SchemeChoice.Refusal.unproven("7.1.2")) { try SchemeChoice.scheme(forRelease: "7.1.2") }
    }

    @Test("a signed loader's manifest validates against Public/schema/manifest-v1.json and describes the final instructions")
    func signedManifestSchema() throws {
        let files = try Self.keypair()
        defer { try? FileManager.default.removeItem(atPath: files.directory) }
        let key = try SigningKey(name: "lskel-test", keyPath: files.key, certificatePath: files.cert)
        let (loader, manifest) = try LoaderGenerator.generateWithManifest(object: try Fixtures.bytes("rt_execsnoop"), objectName: "rt_execsnoop.bpf.o",
                                                                          name: "rt_execsnoop_bpf", profile: TargetProfile())
        let signed = try LoaderSigning.sign(header: loader.header, name: "rt_execsnoop_bpf", insns: loader.insns, data: loader.data,
                                            scheme: .loaderHash, key: key)
        let signedManifest = LoaderSigning.manifest(manifest, signed: signed)
        #expect(signedManifest.loader.insnsSize == signed.insns.count && signed.insns.count == loader.insns.count + 21 * 8)
        #expect(signedManifest.signature?.checkInsns == 21)
        let path = files.directory + "/signed.manifest.json"
        try Data(try ManifestJSON.encode(signedManifest)).write(to: URL(fileURLWithPath: path))
        let script = """
            import json, sys, jsonschema
            validator = jsonschema.Draft202012Validator(json.load(open(sys.argv[1])))
            errors = list(validator.iter_errors(json.load(open(sys.argv[2]))))
            for error in errors: print("/".join(map(str, error.absolute_path)), error.message)
            sys.exit(1 if errors else 0)
            """
        let result = try Shell.run("/usr/bin/python3", ["-c", script, Fixtures.packageRoot + "/Public/schema/manifest-v1.json", path])
        #expect(result.status == 0, "\(result.stdoutText)\(result.stderrText)")
        // An unsigned manifest has no signature member at all.
        #expect(!String(decoding: try ManifestJSON.encode(manifest), as: UTF8.self).contains("\"signature\""))
    }

    @Test("the runtime a signed header carries is the file the guest agent compiles")
    func runtimeIsOneFile() throws {
        let file = try String(contentsOfFile: Fixtures.packageRoot + "/Sources/LskelSign/signed_runtime.h", encoding: .utf8)
        #expect(SignedRuntime.source == file)
    }
}
