import Foundation
import HTTPTypes
import Hummingbird
import LskelModel
import LskelTestSupport
import MultipartKit
import NIOCore
import Testing
@testable import LskelServer

/// Every parser of request bytes that runs in the server process, fed seeded
/// random and mutated input: none traps, loops or accepts what it must
/// refuse. Bounded by default; `LSKEL_FUZZ_ITERATIONS` and `LSKEL_FUZZ_SEED`
/// run longer or elsewhere (each test prints its seed).
@Suite("Request parsers are total")
struct ParserPropertyTests {
    static let numberish = ["0", "1", "9", ".", ".", "-", "+", " ", "x", "4294967295", "4294967296", "18446744073709551616",
                            "99999999999999999999", "\u{0}", "é", "%", "_", "e", "rc1"]

    @Test("kernel release: parsed values in range, or refused; never a trap")
    func kernelRelease() throws {
        var random = Fuzzing.generator("kernel release", standard: 0x4b52_454c)
        #expect(TargetProfile.parseRelease("6.1.4294967296") == nil)
        #expect(TargetProfile.parseRelease("4294967296.1.1") == nil)
        #expect(TargetProfile.parseRelease("6.1.4294967295")?.patch == 4_294_967_295)
        #expect(TargetProfile.parseRelease("6.1.0-13-amd64").map { [$0.major, $0.minor, $0.patch] } == [6, 1, 0])
        for _ in 0..<Fuzzing.iterations(5000) {
            let text = random.string(from: Self.numberish, count: Int.random(in: 0...12, using: &random))
            if let parsed = TargetProfile.parseRelease(text) {
                #expect(parsed.major <= 255 && parsed.minor <= 255, "\(text)")
            }
            var profile = TargetProfile()
            profile.kernelRelease = text
            do {
                try profile.validate()
                #expect(profile.kernelVersionCode != nil, "\(text) validated without a version code")
            } catch let error as GenerationError {
                #expect(error.kind == .invalidProfile)
            }
        }
    }

    @Test("generation parameters: a profile that validates, or a 400 naming the parameter (a 422 for a signing scheme that does not exist)")
    func parameters() throws {
        var random = Fuzzing.generator("generation parameters", standard: 0x5041_5241)
        let names = Array(GenerationParameters.names) + ["unknown", "access_token"]
        let values = Self.numberish + ["=", "map=", "=5", "a=0", "a=4294967296", "int", "x y", "CONFIG_X=y\n", "maps_bpf"]
        for _ in 0..<Fuzzing.iterations(5000) {
            let fields = (0..<Int.random(in: 0...5, using: &random)).map { _ in
                (name: names[Int.random(in: 0..<names.count, using: &random)],
                 value: random.string(from: values, count: Int.random(in: 0...6, using: &random)))
            }
            do {
                let parameters = try GenerationParameters(fields: fields)
                try parameters.profile.validate()
                if let name = parameters.name { #expect(throws: Never.self) { try SkeletonName.validated(name) } }
            } catch let problem as Problem {
                if problem.code == "invalid-sign-scheme" {
                    #expect(problem.status == .unprocessableContent && fields.contains { $0.name == "sign_scheme" }, "\(fields): \(problem)")
                } else {
                    #expect(problem.status == .badRequest, "\(fields): \(problem)")
                }
            }
        }
    }

    @Test("max_entries overrides: MAP=N with 1 <= N <= 2^32-1, or refused")
    func maxEntries() throws {
        var random = Fuzzing.generator("max_entries", standard: 0x4d41_5845)
        for _ in 0..<Fuzzing.iterations(5000) {
            let text = random.string(from: Self.numberish + ["=", "m", "events"], count: Int.random(in: 0...8, using: &random))
            if let parsed = try? TargetProfile.parseMaxEntries(text) {
                #expect(!parsed.map.isEmpty && parsed.value > 0 && text.hasPrefix(parsed.map + "="))
            }
        }
    }

    @Test("skeleton names: C identifiers that are not keywords, or refused")
    func skeletonNames() throws {
        var random = Fuzzing.generator("skeleton names", standard: 0x4e41_4d45)
        #expect(throws: GenerationError.self) { try SkeletonName.validated("int") }
        #expect(throws: GenerationError.self) { try SkeletonName.fromFileName("struct.o") }
        let alphabet = ["a", "z", "_", "0", "9", ".", "/", "-", "é", " ", "int", "o", ".o", "\u{0}"]
        for _ in 0..<Fuzzing.iterations(5000) {
            let text = random.string(from: alphabet, count: Int.random(in: 0...80, using: &random))
            for candidate in [try? SkeletonName.validated(text), try? SkeletonName.fromFileName(text)].compactMap({ $0 }) {
                #expect(!candidate.isEmpty && candidate.utf8.count <= SkeletonName.maxLength)
                #expect(!SkeletonName.cKeywords.contains(candidate))
                #expect(candidate.utf8.allSatisfy { SkeletonName.sanitized($0) == $0 } && !(candidate.first?.isNumber ?? true))
            }
        }
    }

    @Test("Accept and ?format=: an allowed format, or a 400")
    func responseFormat() throws {
        var random = Fuzzing.generator("response format", standard: 0x4143_4350)
        let pieces = ["application/json", "text/x-c", "application/x-tar", "*/*", ";q=0.5", ",", " ", "é", "\u{7f}", "tar", "json"]
        let formats = ["json", "header", "tar", "insns", "manifest", "", "JSON", "%00", "x"]
        let allowedSets: [Set<LoaderResponses.Format>] = [[.json, .header, .tar], [.json, .tar], [.json, .header, .tar, .manifest]]
        for _ in 0..<Fuzzing.iterations(3000) {
            var path = "/v1/loaders"
            if Bool.random(using: &random) { path += "?format=" + formats[Int.random(in: 0..<formats.count, using: &random)] }
            var fields = HTTPFields()
            if let accept = HTTPField.Name("Accept"), Bool.random(using: &random) {
                fields[accept] = random.string(from: pieces, count: Int.random(in: 0...6, using: &random))
                    .filter { $0.isASCII && $0 != "\u{7f}" }
            }
            let request = Request(head: HTTPRequest(method: .get, scheme: nil, authority: nil, path: path, headerFields: fields),
                                  body: RequestBody(buffer: ByteBuffer()))
            let allowed = allowedSets[Int.random(in: 0..<allowedSets.count, using: &random)]
            do {
                let format = try LoaderResponses.format(for: request, allowed: allowed)
                #expect(allowed.contains(format), "\(path) \(fields): \(format) is not allowed")
            } catch let problem as Problem {
                #expect(problem.status == .badRequest)
            }
        }
    }

    @Test("multipart pre-check: follows MultipartKit's states; every body it passes, the real parser survives")
    func multipartPreCheck() throws {
        var random = Fuzzing.generator("multipart pre-check", standard: 0x4d50_4152)
        // A header value ends at CR: a bare LF is part of it, and the next line's name is still a name.
        let lineFeedInValue = Array("--B\r\nX: a\n\r\n".utf8) + [0xff] + Array(": v\r\n\r\nbody\r\n--B--\r\n".utf8)
        #expect(MultipartPreCheck.trappingByte(in: lineFeedInValue, boundary: "B") == lineFeedInValue.firstIndex(of: 0xff))
        let second = Array("--B\r\nA: 1\r\n\r\nx\r\n--B\r\n".utf8) + [0xc3, 0xa9] + Array(": 2\r\n\r\n".utf8)
        #expect(MultipartPreCheck.trappingByte(in: second, boundary: "B") == second.firstIndex(of: 0xc3))
        #expect(MultipartPreCheck.trappingByte(in: Array("--B\r\nA: \u{e9}\r\n\r\n".utf8), boundary: "B") == nil)  // in a value: fine
        let pieces: [[UInt8]] = [Array("--B".utf8), Array("\r\n".utf8), Array("\n".utf8), Array("\r".utf8), Array(":".utf8),
                                 [0xc3, 0xa9], [0xff], Array("x".utf8), Array("Content-Disposition".utf8), Array("--B--".utf8),
                                 Array(" ".utf8), Array("-".utf8)]
        var flagged = 0
        for _ in 0..<Fuzzing.iterations(3000) {
            let body = (0..<Int.random(in: 0...40, using: &random)).flatMap { _ in pieces[Int.random(in: 0..<pieces.count, using: &random)] }
            if let offset = MultipartPreCheck.trappingByte(in: body, boundary: "B") {
                #expect(body[offset] > 0x7f)
                flagged += 1
            } else {
                // The real parser on what the check lets through: a trap here ends the test run.
                let parser = MultipartParser(boundary: "B")
                _ = try? parser.execute(body)
            }
            let header = String(decoding: body.prefix(60), as: UTF8.self)
            _ = Upload.boundary("multipart/form-data; " + header)
            _ = Upload.parameter("filename", in: "form-data; " + header)
        }
        #expect(flagged > 0)
        // The adversarial body of the finding, 16 MiB: answered by one pass.
        let unit = Array("x--b\n".utf8)
        var adversarial = Array("--b\r\n".utf8)
        adversarial.reserveCapacity(16 << 20)
        while adversarial.count + unit.count <= 16 << 20 { adversarial += unit }
        let start = ContinuousClock.now
        #expect(MultipartPreCheck.trappingByte(in: adversarial, boundary: "b") == nil)
        print("multipart pre-check on a 16 MiB adversarial body: \(ContinuousClock.now - start)")
    }

    @Test("tar reader: entries inside the archive, or a named failure")
    func tarReader() throws {
        var random = Fuzzing.generator("tar reader", standard: 0x5441_5252)
        var writer = TarWriter()
        writer.add(name: "a.bpf.o", bytes: Array(repeating: 1, count: 700))
        writer.add(name: "dir/b.bpf.o", bytes: Array(repeating: 2, count: 10))
        let base = writer.finish()
        #expect(try TarReader.entries(base, limit: 64).map(\.name) == ["a.bpf.o", "dir/b.bpf.o"])
        let sizeFields: [[UInt8]] = [Array("77777777777".utf8), Array("99999999999".utf8), [0x80, 0xff, 0xff], Array("-1".utf8)]
        for _ in 0..<Fuzzing.iterations(3000) {
            let archive = random.mutate(base, edits: 6, inserts: sizeFields)
            do {
                let entries = try TarReader.entries(archive, limit: 4)
                #expect(entries.count <= 4 && entries.allSatisfy { $0.bytes.count <= archive.count })
            } catch is TarReader.Failure {
            }
        }
    }

    @Test("loader keys: 64 lowercase hex digits, nothing else")
    func keys() throws {
        var random = Fuzzing.generator("loader keys", standard: 0x4b45_5953)
        let alphabet = ["0", "9", "a", "f", "A", "F", "g", "/", ".", "%2e", "é", "\u{0}"]
        #expect(StoredLoader.isKey(String(repeating: "0a", count: 32)))
        for _ in 0..<Fuzzing.iterations(5000) {
            let text = random.string(from: alphabet, count: Int.random(in: 60...68, using: &random))
            #expect(StoredLoader.isKey(text) == (text.utf8.count == 64 && text.allSatisfy { "0123456789abcdef".contains($0) }))
        }
    }

    @Test("tokens file and Authorization: parsed or refused with a line number; decisions never trap")
    func tokens() throws {
        var random = Fuzzing.generator("tokens file", standard: 0x544f_4b45)
        let hash = "sha256:" + SHA256.hex(Array("secret".utf8))
        let base = Array("farm \(hash) 600/m\n# comment\nci \(SHA256.hex(Array("x".utf8))) 3/10s\n".utf8)
        let inserts: [[UInt8]] = [Array(" ".utf8), Array("\t".utf8), Array("/".utf8), Array("#".utf8), Array("\n".utf8),
                                  Array("999999999999999999999".utf8), Array("0/s".utf8), Array("sha256:".utf8)]
        for _ in 0..<Fuzzing.iterations(3000) {
            let text = String(decoding: random.mutate(base, edits: 4, inserts: inserts), as: UTF8.self)
            do {
                let tokens = try AccessTokens(text: text)
                #expect(tokens.entries.allSatisfy { $0.rate > 0 && $0.period > 0 && $0.sha256.count == 64 })
                let header = random.string(from: ["Bearer ", "bearer", " ", "secret", "x", "é", "\t"], count: Int.random(in: 0...4, using: &random))
                switch tokens.decide(authorization: header) {
                case .admitted(let entry): #expect(tokens.entries.contains(entry))
                case .missing, .rejected: break
                }
            } catch let error as AccessTokensError {
                #expect(error.line >= 0)
            }
        }
        let tokens = try AccessTokens(text: "farm \(hash) 5/s")
        #expect(tokens.decide(authorization: "Bearer secret") == .admitted(tokens.entries[0]))
        #expect(tokens.decide(authorization: "bearer  secret ") == .admitted(tokens.entries[0]))
        #expect(tokens.decide(authorization: "Bearer other") == .rejected)
        #expect(tokens.decide(authorization: "Basic secret") == .missing)
        #expect(tokens.decide(authorization: nil) == .missing)
    }

    @Test("request targets: the canonical path, or a refusal; absolute-form judged by its path")
    func canonicalPaths() throws {
        var random = Fuzzing.generator("request targets", standard: 0x5041_5448)
        #expect(CanonicalPath.refusal(CanonicalPath.path(ofTarget: "//v1/loaders")) == .emptySegment)
        #expect(CanonicalPath.refusal(CanonicalPath.path(ofTarget: "///v1/batch")) == .emptySegment)
        #expect(CanonicalPath.refusal(CanonicalPath.path(ofTarget: "http://x//v1/loaders/k/header")) == .emptySegment)
        #expect(CanonicalPath.path(ofTarget: "http://x/v1/loaders?x=1") == "/v1/loaders")
        #expect(CanonicalPath.refusal(CanonicalPath.path(ofTarget: "/v1/./loaders")) == .dotSegment)
        #expect(CanonicalPath.refusal(CanonicalPath.path(ofTarget: "/v1/loaders?next=//x")) == nil)
        let alphabet = ["/", "/", "v1", "loaders", ".", "..", "?", "#", "http://", "x", "%2e", "\\", ":", "a"]
        for _ in 0..<Fuzzing.iterations(5000) {
            let target = random.string(from: alphabet, count: Int.random(in: 0...10, using: &random))
            let path = CanonicalPath.path(ofTarget: target)
            if CanonicalPath.refusal(path) == nil {
                #expect(path.first == "/" && !path.contains("//") && !path.contains("?") && !path.contains("\\"), "\(target) -> \(path)")
                #expect(!path.split(separator: "/").contains { $0 == "." || $0 == ".." }, "\(target) -> \(path)")
            }
        }
    }
}

@Suite("Problem types")
struct ProblemTypeTests {
    /// The items of a `x-...:` list in Public/openapi.yaml.
    static func listed(_ key: String) throws -> [String] {
        let text = try String(contentsOfFile: "\(Fixtures.packageRoot)/Public/openapi.yaml", encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard let start = lines.firstIndex(where: { $0.trimmingCharacters(in: .whitespaces) == "\(key):" }) else { return [] }
        return lines[(start + 1)...].prefix { $0.trimmingCharacters(in: .whitespaces).hasPrefix("- ") }
            .map { $0.trimmingCharacters(in: .whitespaces).dropFirst(2).trimmingCharacters(in: .whitespaces) }
    }

    @Test("the OpenAPI description lists every problem type, and no other")
    func openAPIList() throws {
        #expect(try Self.listed("x-problem-types") == ProblemCode.allCases.map(\.rawValue))
        #expect(try Self.listed("x-rejection-types") == GenerationError.Kind.allCases.map(\.rawValue))
        for code in ProblemCode.allCases {
            let problem = Problem(code, detail: "d")
            #expect(problem.status == code.status && problem.title == code.title && problem.code == code.rawValue)
        }
    }
}
