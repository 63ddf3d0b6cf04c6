import ArgumentParser
import AsyncHTTPClient
import Foundation
import LskelEngine
import LskelGen
import LskelCoding
import LskelModel
import NIOCore

/// `lskel submit`: the remote client for build farms. Same outputs and exit
/// codes as `lskel gen`, plus 3 when the server stays unavailable after the
/// retries (requests are idempotent by key, so retrying is safe).
struct SubmitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit",
        abstract: "Generate loaders on an lskeld server and write them like lskel gen does.",
        discussion: "Exit status: 0 success, 1 an object was rejected, 2 usage error, 3 server unavailable after retries."
    )

    @Argument(help: "BPF ELF objects.")
    var objects: [String]

    @Option(name: .customLong("server"), help: "Base URL of the lskeld server, e.g. http://127.0.0.1:8080.")
    var server: String

    @Option(name: .customLong("out-dir"), help: "Directory for the outputs (created if missing).")
    var outDir: String = "."

    @Option(name: .customLong("name"), help: "Skeleton name (one object only).")
    var name: String?

    @Option(name: .customLong("format"), help: "What to write: header, blobs, manifest or all.")
    var format: GenFormat = .all

    @Option(name: .customLong("retries"), help: "Attempts per object while the server is unavailable.")
    var retries: Int = 5

    @Option(name: .customLong("jobs"), help: "Objects sent at once.")
    var jobs: Int = 4

    @Option(name: .customLong("token"), help: "Bearer token (or LSKEL_TOKEN).")
    var token: String?

    @OptionGroup var profileOptions: ProfileOptions

    @Option(name: .customLong("sign"), help: "Have the server sign each loader with its key of this name (writes x.sig beside the blobs).")
    var sign: String?

    @Option(name: .customLong("sign-scheme"), help: "loader-hash (Linux 6.18), kernel-hash (7.3 and later) or auto (from --kernel-release).")
    var signScheme: String = "auto"

    func validate() throws {
        if sign == nil && signScheme != "auto" { throw ValidationError("--sign-scheme goes with --sign") }
        if !["auto", "loader-hash", "kernel-hash"].contains(signScheme) {
            throw ValidationError("--sign-scheme is loader-hash, kernel-hash or auto, not '\(signScheme)'")
        }
        guard let url = URL(string: server), url.scheme == "http" || url.scheme == "https", url.host != nil else {
            throw ValidationError("--server must be an http(s) URL, not '\(server)'")
        }
        if name != nil && objects.count > 1 { throw ValidationError("--name names one skeleton; give one object with it") }
        if retries < 1 { throw ValidationError("--retries must be at least 1") }
        if jobs < 1 || jobs > 256 { throw ValidationError("--jobs must be 1 to 256") }
        if profileOptions.host { throw ValidationError("--host describes this machine; give the target's values to a server explicitly") }
    }

    enum Outcome {
        case written
        case rejected(String)
        case unavailable(String)
    }

    func run() async throws {
        let profile = try profileOptions.profile()
        try FileManager.default.createDirectory(atPath: outDir, withIntermediateDirectories: true)
        var rejected = false, unavailable = false
        let client = Self.makeClient()
        defer { _ = client.shutdown() }
        // Upload only on a miss: with the server's generator version, the key is computed here
        // and the loader asked for by key first.
        let generatorVersion = await Self.generatorVersion(server: base, token: bearer, client: client)
        var summary = (hits: 0, generated: 0, refused: 0, uploadedBytes: 0)
        // Up to --jobs objects at once, results reported in the order they finish.
        let progress = isatty(2) == 1 && objects.count > 1
        var done = 0
        try await withThrowingTaskGroup(of: (String, Step).self) { group in
            var next = 0
            func addNext() throws {
                guard next < objects.count else { return }
                let path = objects[next]
                next += 1
                guard let bytes = FileManager.default.contents(atPath: path) else { throw ValidationError("cannot read \(path)") }
                group.addTask { (path, await self.step(path: path, object: [UInt8](bytes), profile: profile,
                                                       generatorVersion: generatorVersion, client: client)) }
            }
            for _ in 0..<min(jobs, objects.count) { try addNext() }
            while let (path, step) = try await group.next() {
                done += 1
                if progress { FileHandle.standardError.write(Data("\r\u{1B}[K[\(done)/\(objects.count)] \(path)".utf8)) }
                switch step {
                case .hit: summary.hits += 1
                case .generated(let uploaded):
                    summary.generated += 1
                    summary.uploadedBytes += uploaded
                case .rejected(let reason, let uploaded):
                    rejected = true
                    summary.refused += 1
                    summary.uploadedBytes += uploaded
                    if progress { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
                    FileHandle.standardError.write(Data("lskel: \(path): \(reason)\n".utf8))
                case .unavailable(let reason):
                    unavailable = true
                    if progress { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
                    FileHandle.standardError.write(Data("lskel: \(path): server unavailable: \(reason)\n".utf8))
                }
                try addNext()
            }
        }
        if progress { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        FileHandle.standardError.write(Data("lskel submit: \(objects.count) objects: \(summary.hits) from the server's store, \(summary.generated) generated, \(summary.refused) refused; \(summary.uploadedBytes) bytes uploaded\n".utf8))
        if unavailable { throw ExitCode(3) }
        if rejected { throw ExitCode(1) }
    }

    /// What became of one object.
    enum Step: Sendable {
        case hit
        case generated(uploadedBytes: Int)
        case rejected(String, uploadedBytes: Int)
        case unavailable(String)
    }

    /// One object: by key from the server's store where it has it, else uploaded.
    func step(path: String, object: [UInt8], profile: TargetProfile, generatorVersion: String?, client: HTTPClient) async -> Step {
        if let generatorVersion, let name = try? name ?? SkeletonName.fromFileName((path as NSString).lastPathComponent) {
            let key = LoaderKey.compute(object: object, name: name, profile: profile, generatorVersion: generatorVersion)
            switch await Self.stored(key: key, query: signingQuery, server: base, token: bearer, client: client) {
            case .loader(let tar):
                if case .written = write(tar: tar, path: path) { return .hit }
            case .refused(let detail, let kind, let libbpfLog):
                return .rejected(Self.rejection(detail: detail, kind: kind, libbpfLog: libbpfLog), uploadedBytes: 0)
            case .missing:
                break
            }
        }
        switch await submit(path: path, object: object, profile: profile, client: client) {
        case .written: return .generated(uploadedBytes: object.count)
        case .rejected(let reason): return .rejected(reason, uploadedBytes: object.count)
        case .unavailable(let reason): return .unavailable(reason)
        }
    }

    var base: String { server.hasSuffix("/") ? String(server.dropLast()) : server }

    /// `?sign=NAME&sign_scheme=S` for a signed loader by key, else nothing.
    var signingQuery: String {
        guard let sign else { return "" }
        let name = sign.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? sign
        return "?sign=\(name)&sign_scheme=\(signScheme)"
    }
    var bearer: String? { token ?? ProcessInfo.processInfo.environment["LSKEL_TOKEN"] }

    /// The server's generator version from `GET /v1/info`, or nil (an older server: every object is uploaded).
    static func generatorVersion(server: String, token: String?, client: HTTPClient) async -> String? {
        var request = HTTPClientRequest(url: server + "/v1/info")
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        guard let response = try? await client.execute(request, timeout: .seconds(30)), response.status.code == 200,
              let body = try? await response.body.collect(upTo: 1 << 20),
              let info = (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView))) as? [String: Any]
        else { return nil }
        return info["generator_version"] as? String
    }

    /// What the server's store holds under a key.
    enum Stored {
        /// The part asked for (`tar`: all the loader's files).
        case loader([UInt8])
        /// The object was refused before: the problem's detail, kind (`struct-ops`) and libbpf's lines.
        case refused(detail: String, kind: String, libbpfLog: [String])
        /// Nothing (or no answer): the object has to be uploaded.
        case missing
    }

    /// One part of the stored loader by key, the stored refusal, or nothing.
    static func stored(key: String, part: String = "tar", query: String = "", server: String, token: String?, client: HTTPClient) async -> Stored {
        var request = HTTPClientRequest(url: server + "/v1/loaders/\(key)/\(part)" + query)
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        guard let response = try? await client.execute(request, timeout: .seconds(120)),
              let body = try? await response.body.collect(upTo: 1 << 30) else { return .missing }
        switch response.status.code {
        case 200:
            return .loader(Array(body.readableBytesView))
        case 422:
            let problem = (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView))) as? [String: Any]
            guard let detail = problem?["detail"] as? String,
                  let kind = (problem?["type"] as? String)?.split(separator: "/").last.map(String.init) else { return .missing }
            return .refused(detail: detail, kind: kind, libbpfLog: problem?["libbpf_log"] as? [String] ?? [])
        default:
            return .missing
        }
    }

    /// Multipart form fields for the profile.
    func fields(_ profile: TargetProfile) -> [(String, String)] {
        var fields: [(String, String)] = [("cpus", String(profile.possibleCPUs)), ("page_size", String(profile.pageSize))]
        if let name { fields.append(("name", name)) }
        if let sign { fields += [("sign", sign), ("sign_scheme", signScheme)] }
        if let release = profile.kernelRelease { fields.append(("kernel_release", release)) }
        if let kconfig = profile.kconfig { fields.append(("kconfig", kconfig)) }
        for (map, value) in profile.maxEntries.sorted(by: { $0.key < $1.key }) { fields.append(("max_entries", "\(map)=\(value)")) }
        return fields
    }

    /// The HTTP client. This command retries (with backoff and Retry-After) itself: the
    /// client's own retrying of a refused connection would hold each attempt until its timeout.
    static func makeClient() -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout.connect = .seconds(10)
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }

    func submit(path: String, object: [UInt8], profile: TargetProfile, client: HTTPClient) async -> Outcome {
        let fileName = (path as NSString).lastPathComponent
        let boundary = "lskel-\(UUID().uuidString)"
        var body = Data()
        for (field, value) in fields(profile) {
            body.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(field)\"\r\n\r\n\(value)\r\n".utf8))
        }
        body.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"object\"; filename=\"\(fileName)\"\r\nContent-Type: application/octet-stream\r\n\r\n".utf8))
        body.append(Data(object))
        body.append(Data("\r\n--\(boundary)--\r\n".utf8))

        let base = server.hasSuffix("/") ? String(server.dropLast()) : server
        var request = HTTPClientRequest(url: "\(base)/v1/loaders?format=tar")
        request.method = .POST
        request.body = .bytes(ByteBuffer(bytes: [UInt8](body)))
        request.headers.add(name: "Content-Type", value: "multipart/form-data; boundary=\(boundary)")
        request.headers.add(name: "Accept", value: "application/x-tar")
        if let token = token ?? ProcessInfo.processInfo.environment["LSKEL_TOKEN"] {
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
        }
        var lastReason = "no attempt made"
        for attempt in 1...retries {
            do {
                let response = try await client.execute(request, timeout: .seconds(120))
                let data = Data(try await response.body.collect(upTo: 1 << 30).readableBytesView)
                let status = Int(response.status.code)
                if status == 200 {
                    return write(tar: [UInt8](data), path: path)
                }
                let problem = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
                let detail = problem?["detail"] as? String ?? String(decoding: data.prefix(500), as: UTF8.self)
                let kind = (problem?["type"] as? String)?.split(separator: "/").last.map(String.init) ?? "http-\(status)"
                if status == 503 || status >= 500 || status == 429 {
                    lastReason = "HTTP \(status): \(detail)"
                    let retryAfter = response.headers.first(name: "Retry-After").flatMap(Double.init) ?? 0
                    if attempt < retries { try? await Task.sleep(for: .seconds(max(retryAfter, backoff(attempt)))) }
                    continue
                }
                return .rejected(Self.rejection(detail: detail, kind: kind, libbpfLog: problem?["libbpf_log"] as? [String] ?? []))
            } catch {
                lastReason = "\(error)"
                if attempt < retries { try? await Task.sleep(for: .seconds(backoff(attempt))) }
            }
        }
        return .unavailable("\(lastReason) (after \(retries) attempts)")
    }

    /// How a refusal is reported: the detail, the problem's kind, and libbpf's last lines.
    static func rejection(detail: String, kind: String, libbpfLog: [String]) -> String {
        var message = "\(detail) [\(kind)]"
        for line in libbpfLog.suffix(20) { message += "\n  \(line)" }
        return message
    }

    func backoff(_ attempt: Int) -> Double { min(0.2 * pow(2, Double(attempt - 1)), 5) }

    /// Writes the files of the server's tar answer, as `lskel gen` names them.
    func write(tar: [UInt8], path: String) -> Outcome {
        let entries: [TarReader.Entry]
        do {
            entries = try TarReader.entries(tar, limit: 16)
        } catch {
            return .unavailable("the server's answer is not a well-formed tar archive: \(error)")
        }
        let files = Dictionary(entries.map { ($0.name, $0.bytes) }, uniquingKeysWith: { first, _ in first })
        let headerSuffix = LoaderFile.header.rawValue
        let serverStem = files.keys.first { $0.hasSuffix(headerSuffix) }.map { String($0.dropLast(headerSuffix.count)) } ?? ""
        let stem = (outDir as NSString).appendingPathComponent(SkeletonName.fileStem(path))
        for file in format.files {
            guard let bytes = files[file.name(stem: serverStem)] else { return .unavailable("the server's answer lacks \(file.rawValue)") }
            do {
                try OutputFile.write(bytes, to: file.name(stem: stem))
            } catch {
                return .rejected("\(error)")
            }
        }
        if sign != nil && format.files.contains(.insns) {
            guard let signature = files[serverStem + LoaderFile.signatureSuffix] else { return .unavailable("the server's answer lacks the signature") }
            do {
                try OutputFile.write(signature, to: stem + LoaderFile.signatureSuffix)
            } catch {
                return .rejected("\(error)")
            }
        }
        return .written
    }
}
