import AsyncHTTPClient
import Foundation
import LskelEngine
import LskelCoding
import LskelModel
import NIOCore

/// bpftool's command line for light skeletons, so a build that runs
/// `bpftool gen skeleton -L OBJ [name NAME] > x.lskel.h` can run lskel instead
/// (`make BPFTOOL="lskel bpftool"`, or a symlink named `bpftool`):
///
/// - in process by default, with this machine's values as bpftool reads them,
///   so the header is bpftool's byte for byte;
/// - through a server when `LSKEL_SERVER` is set (`LSKEL_TOKEN` for auth; the
///   profile from `LSKEL_KERNEL_RELEASE`, `LSKEL_CPUS` and `LSKEL_KCONFIG`, a file).
///
/// Errors are bpftool's: `Error: ...` on stderr and its exit status (255; 95 for
/// an object libbpf cannot open, as bpftool passes on libbpf's format error).
/// What lskel does not do (a skeleton without `-L`, other commands) exits 2 with
/// one line saying so.
enum BpftoolFrontEnd {
    /// bpftool's arguments when this process is to behave as bpftool, else nil.
    static func arguments(_ argv: [String]) -> [String]? {
        if let first = argv.first, (first as NSString).lastPathComponent == "bpftool" { return Array(argv.dropFirst()) }
        if argv.count > 1 && argv[1] == "bpftool" { return Array(argv.dropFirst(2)) }
        return nil
    }

    static let supported = "lskel does bpftool's light skeletons only: bpftool gen skeleton -L FILE [name NAME]"

    static func run(_ arguments: [String]) async -> Int32 {
        var useLoader = false
        var words: [String] = []
        // Options may come anywhere, as bpftool's getopt takes them.
        for argument in arguments {
            switch argument {
            case "-L", "--use-loader": useLoader = true
            case "-d", "--debug": continue
            default:
                if argument.hasPrefix("-") && argument.count > 1 { return unsupported("option \(argument)") }
                words.append(argument)
            }
        }
        guard words.count >= 2, words[0] == "gen", words[1] == "skeleton" else {
            return unsupported(words.isEmpty ? "bpftool without a command" : "'bpftool \(words.prefix(2).joined(separator: " "))'")
        }
        guard useLoader else { return unsupported("a skeleton without -L") }
        guard words.count == 3 || (words.count == 5 && words[3] == "name") else {
            return error("usage: bpftool gen skeleton FILE [name OBJECT_NAME]", status: 255)
        }
        let path = words[2]
        guard let contents = FileManager.default.contents(atPath: path) else {
            return error("failed to stat() \(path): \(String(cString: strerror(ENOENT)))", status: 255)
        }
        let object = [UInt8](contents)
        let name: String
        do {
            name = try words.count == 5 ? SkeletonName.validated(words[4]) : SkeletonName.fromFileName(path)
        } catch {
            return self.error("\(error)", status: 255)
        }
        let environment = ProcessInfo.processInfo.environment
        if let server = environment["LSKEL_SERVER"], !server.isEmpty {
            return await remote(server: server, path: path, object: object, name: name, environment: environment)
        }
        do {
            let loader = try LoaderGenerator.generate(object: object, name: name, profile: try HostProfile.read())
            FileHandle.standardOutput.write(Data(loader.header.utf8))
            return 0
        } catch let generation as GenerationError {
            return error(generation.detail, status: generation.kind == .invalidObject ? 95 : 255)
        } catch {
            return self.error("\(error)", status: 255)
        }
    }

    /// The header from an lskeld server: by key when its store has it (nothing
    /// uploaded), else the object is posted. The profile is built here, from
    /// `LSKEL_KERNEL_RELEASE`, `LSKEL_CPUS` and `LSKEL_KCONFIG` over lskel's
    /// defaults, and sent whole, so the key computed here is the server's.
    static func remote(server: String, path: String, object: [UInt8], name: String, environment: [String: String]) async -> Int32 {
        var profile = TargetProfile()
        do {
            if let release = environment["LSKEL_KERNEL_RELEASE"] { profile.kernelRelease = release }
            if let cpus = environment["LSKEL_CPUS"] {
                guard let count = Int(cpus) else { return error("LSKEL_CPUS='\(cpus)' is not a number", status: 255) }
                profile.possibleCPUs = count
            }
            if let kconfigPath = environment["LSKEL_KCONFIG"] {
                guard let kconfig = try? HostProfile.readText(kconfigPath) else {
                    return error("cannot read LSKEL_KCONFIG \(kconfigPath)", status: 255)
                }
                profile.kconfig = kconfig
            }
            try profile.validate()
        } catch let generation as GenerationError {
            return error(generation.detail, status: 255)
        } catch {
            return self.error("\(error)", status: 255)
        }
        let base = server.hasSuffix("/") ? String(server.dropLast()) : server
        let token = environment["LSKEL_TOKEN"]
        let client = SubmitCommand.makeClient()
        defer { _ = client.shutdown() }
        if let version = await SubmitCommand.generatorVersion(server: base, token: token, client: client) {
            let key = LoaderKey.compute(object: object, name: name, profile: profile, generatorVersion: version)
            switch await SubmitCommand.stored(key: key, part: "header", server: base, token: token, client: client) {
            case .loader(let header):
                FileHandle.standardOutput.write(Data(header))
                return 0
            case .refused(let detail, let kind, _):
                return error(detail, status: kind == "invalid-object" ? 95 : 255)
            case .missing:
                break
            }
        }
        var fields: [(String, String)] = [("name", name), ("cpus", String(profile.possibleCPUs)),
                                          ("page_size", String(profile.pageSize))]
        if let release = profile.kernelRelease { fields.append(("kernel_release", release)) }
        if let kconfig = profile.kconfig { fields.append(("kconfig", kconfig)) }
        let boundary = "lskel-\(UInt64.random(in: 0...UInt64.max))"
        var body: [UInt8] = []
        for (field, value) in fields {
            body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(field)\"\r\n\r\n\(value)\r\n".utf8)
        }
        body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"object\"; filename=\"\(SkeletonName.fileStem(path)).o\"\r\nContent-Type: application/octet-stream\r\n\r\n".utf8)
        body += object + Array("\r\n--\(boundary)--\r\n".utf8)
        var request = HTTPClientRequest(url: base + "/v1/loaders?format=header")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "multipart/form-data; boundary=\(boundary)")
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        request.body = .bytes(ByteBuffer(bytes: body))
        do {
            let response = try await client.execute(request, timeout: .seconds(120))
            let answer = try await response.body.collect(upTo: 1 << 30)
            guard response.status.code == 200 else {
                let problem = (try? JSONSerialization.jsonObject(with: Data(answer.readableBytesView))) as? [String: Any]
                let detail = problem?["detail"] as? String ?? "HTTP \(response.status.code)"
                let invalid = (problem?["type"] as? String)?.hasSuffix("/invalid-object") == true
                return error(detail, status: invalid ? 95 : 255)
            }
            FileHandle.standardOutput.write(Data(answer.readableBytesView))
            return 0
        } catch {
            return self.error("lskel server \(server): \(error)", status: 255)
        }
    }

    static func error(_ message: String, status: Int32) -> Int32 {
        FileHandle.standardError.write(Data("Error: \(message)\n".utf8))
        return status
    }

    static func unsupported(_ what: String) -> Int32 {
        FileHandle.standardError.write(Data("lskel bpftool: \(what) is not supported; \(supported)\n".utf8))
        return 2
    }
}
