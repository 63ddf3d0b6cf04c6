import Foundation

/// The installed `bpftool gen skeleton -L`, run the way the tests run it: in
/// a new user namespace, where /proc/kallsyms shows every address as 0, so
/// typeless ksyms are not resolved against this machine (a light-skeleton
/// loader resolves them on the target at load time, as lskel's do).
enum BpftoolReference {
    /// What bpftool printed for one object.
    struct Output: Sendable {
        var status: Int32
        var header: String
        var stderr: String
        /// Whether it ran in a user namespace (else /proc/kallsyms was this machine's).
        var userNamespace: Bool
    }

    /// The bpftool on PATH or in /usr/sbin, if any.
    static func locate() -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":").map(String.init) + ["/usr/sbin", "/sbin", "/usr/local/sbin"] {
            let candidate = directory + "/bpftool"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Runs `bpftool gen skeleton -L OBJECT [name NAME]`.
    static func generate(bpftool: String, object: String, name: String? = nil) throws -> Output {
        var arguments = ["gen", "skeleton", "-L", object]
        if let name { arguments += ["name", name] }
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare") {
            let inNamespace = try run("/usr/bin/unshare", ["--user", bpftool] + arguments)
            // unshare itself failing (no user namespaces here) says so on stderr, with no header.
            if !(inNamespace.status != 0 && inNamespace.stdout.isEmpty && inNamespace.stderr.hasPrefix("unshare:")) {
                return Output(status: inNamespace.status, header: inNamespace.stdout, stderr: inNamespace.stderr, userNamespace: true)
            }
        }
        let direct = try run(bpftool, arguments)
        return Output(status: direct.status, header: direct.stdout, stderr: direct.stderr, userNamespace: false)
    }

    private static func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lskel-diff-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let outURL = directory.appendingPathComponent("out"), errURL = directory.appendingPathComponent("err")
        FileManager.default.createFile(atPath: outURL.path, contents: nil)
        FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: outURL)
        process.standardError = try FileHandle(forWritingTo: errURL)
        try process.run()
        process.waitUntilExit()
        let stdout = (try? String(contentsOf: outURL, encoding: .utf8)) ?? ""
        let stderr = (try? String(contentsOf: errURL, encoding: .utf8)) ?? ""
        return (process.terminationStatus, stdout, stderr)
    }
}

