import Foundation
import LskelTestSupport
import Testing

/// The container seccomp profile (`deploy/seccomp-lskeld.json`) is an allow-list of its own,
/// apart from the worker's: proven here by running lskeld under exactly that filter, as a
/// container runtime installs it, on every fixture.
@Suite("Container seccomp profile")
struct ContainerProfileTests {
    /// Installs a profile's allow-list the way runc does, then executes the rest of its
    /// arguments: the default action an errno, the native architecture and its
    /// sub-architectures (x86 and x32 here, as the profile's archMap says), names libseccomp
    /// does not know left out, ENOSYS for calls newer than the newest the profile names (so
    /// that libc falls back as it would), and no_new_privs left as it is (Docker does not set
    /// it). Arguments: the file of names (one a line), the errno, the program and its arguments.
    static let launcherSource = """
    #include <errno.h>
    #include <seccomp.h>
    #include <stdio.h>
    #include <stdlib.h>
    #include <string.h>
    #include <unistd.h>

    int main(int argc, char **argv)
    {
        char name[128];
        scmp_filter_ctx ctx;
        FILE *names;
        int newest = 0, nr;

        if (argc < 4 || !(names = fopen(argv[1], "r")))
            return 2;
        ctx = seccomp_init(SCMP_ACT_ERRNO(atoi(argv[2])));
        if (!ctx || seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0) != 0)
            return 3;
        if (seccomp_arch_add(ctx, SCMP_ARCH_X86) != 0 || seccomp_arch_add(ctx, SCMP_ARCH_X32) != 0)
            return 3;
        while (fscanf(names, "%127s", name) == 1) {
            nr = seccomp_syscall_resolve_name(name);
            if (nr == __NR_SCMP_ERROR) {
                fprintf(stderr, "launcher: %s is not a system call libseccomp knows; left out\\n", name);
                continue;
            }
            if (nr > newest)
                newest = nr;
            if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0) != 0)
                return 4;
        }
        fclose(names);
        /* Calls newer than the profile knows: ENOSYS (numbers libseccomp does not know
         * itself are refused by it and keep the default). */
        for (nr = newest + 1; nr < newest + 64; nr++)
            (void)seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), nr, 0);
        if (seccomp_load(ctx) != 0)
            return 5;
        execv(argv[3], argv + 3);
        return 6;
    }
    """

    struct Profile {
        let allowed: [String]
        let errno: Int
    }

    static func profile() throws -> Profile {
        let path = Fixtures.packageRoot + "/deploy/seccomp-lskeld.json"
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
        #expect(json["defaultAction"] as? String == "SCMP_ACT_ERRNO")
        let rules = try #require(json["syscalls"] as? [[String: Any]])
        // One unconditional allow rule: what this test installs is the whole profile.
        #expect(rules.allSatisfy { $0["action"] as? String == "SCMP_ACT_ALLOW" && $0["args"] == nil })
        return Profile(allowed: rules.flatMap { $0["names"] as? [String] ?? [] },
                       errno: json["defaultErrnoRet"] as? Int ?? Int(EPERM))
    }

    @Test("lskeld under the container profile: full sandbox, every fixture answered, cached, fetched by key, and it survives SIGSTOP and SIGCONT",
          .enabled(if: getuid() == 0, "the worker's namespaces under the profile need root here"),
          .enabled(if: Shell.which("/usr/bin/cc", "gcc", "clang-14") != nil, "no C compiler for the profile launcher"))
    func lskeldUnderProfile() async throws {
        let cc = try #require(Shell.which("/usr/bin/cc", "gcc", "clang-14"))
        let profile = try Self.profile()
        let directory = NSTemporaryDirectory() + "lskel-profile-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Self.launcherSource.write(toFile: directory + "/launcher.c", atomically: true, encoding: .utf8)
        try profile.allowed.joined(separator: "\n").write(toFile: directory + "/allowed", atomically: true, encoding: .utf8)
        let build = try Shell.run(cc, ["-O1", "-o", directory + "/launcher", directory + "/launcher.c", "-lseccomp"])
        try #require(build.status == 0, "launcher: \(build.stderr)")

        // Below the ephemeral range, where other suites' clients and port-0 servers are.
        let port = Int.random(in: 20000...32000)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: directory + "/launcher")
        process.arguments = [directory + "/allowed", String(profile.errno), CLI.builtExecutable("lskeld"),
                             "--port", String(port), "--data-dir", directory + "/data", "--allow-anonymous", "--log-level", "error"]
        // A file, not a pipe: read when the test fails, never blocking lskeld or the test.
        let errorsPath = directory + "/stderr"
        try #require(FileManager.default.createFile(atPath: errorsPath, contents: nil))
        let errors = try FileHandle(forWritingTo: URL(fileURLWithPath: errorsPath))
        defer { try? errors.close() }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        try process.run()
        func errorText() -> String { (try? String(contentsOfFile: errorsPath, encoding: .utf8)) ?? "" }
        defer { if process.isRunning { process.terminate() } }
        let base = "http://127.0.0.1:\(port)"
        var ready: Data?
        for _ in 0..<150 where ready == nil && process.isRunning {
            if let (body, response) = try? await HTTP.send(base + "/readyz", method: "GET"), response.statusCode == 200 {
                ready = body
            } else {
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        let readiness = try #require(ready, "lskeld under the profile did not become ready (exit \(process.isRunning ? "none" : "\(process.terminationStatus)")): \(errorText().suffix(4000))")
        let sandbox = (try JSONSerialization.jsonObject(with: readiness) as? [String: Any])?["sandbox"] as? [String: Any]
        #expect(sandbox?["level"] as? String == "full", "\(String(decoding: readiness, as: UTF8.self))")

        // Multipart, with this host's profile (the kconfig fixtures need its kernel config).
        func post(_ fixture: String, name: String) async throws -> (Int, String, String?) {
            let host = Fixtures.hostProfile
            var fields = [("name", name), ("cpus", String(host.possibleCPUs)), ("page_size", String(host.pageSize))]
            if let release = host.kernelRelease { fields.append(("kernel_release", release)) }
            if let kconfig = host.kconfig { fields.append(("kconfig", kconfig)) }
            var body: [UInt8] = []
            for (field, value) in fields {
                body += Array("--b\r\nContent-Disposition: form-data; name=\"\(field)\"\r\n\r\n\(value)\r\n".utf8)
            }
            body += Array("--b\r\nContent-Disposition: form-data; name=\"object\"; filename=\"\(fixture).bpf.o\"\r\nContent-Type: application/octet-stream\r\n\r\n".utf8)
            body += try Fixtures.bytes(fixture) + Array("\r\n--b--\r\n".utf8)
            let (answer, response) = try await HTTP.send(base + "/v1/loaders?format=header", body: body, contentType: "multipart/form-data; boundary=b")
            return (response.statusCode, String(decoding: answer, as: UTF8.self),
                    response.value(forHTTPHeaderField: "Location").map { String($0.dropFirst("/v1/loaders/".count)) })
        }
        for fixture in Fixtures.supported {
            let name = "p_\(fixture)"
            let (status, header, key) = try await post(fixture, name: name)
            #expect(status == 200 && header.contains("struct \(name) {"), "\(fixture): \(status) \(header.prefix(300))")
            let (again, cachedHeader, cachedKey) = try await post(fixture, name: name)
            #expect(again == 200 && cachedHeader == header && cachedKey == key, "\(fixture): repeated POST \(again)")
            if let key {
                let (byKey, response) = try await HTTP.send(base + "/v1/loaders/\(key)/header", method: "GET")
                #expect(response.statusCode == 200 && String(decoding: byKey, as: UTF8.self) == header, "\(fixture): GET by key \(response.statusCode)")
            } else {
                Issue.record("\(fixture): no Location header")
            }
        }
        for refusal in Fixtures.refused {
            let (status, body, _) = try await post(refusal.fixture, name: "r_\(refusal.fixture)")
            #expect(status == 422, "\(refusal.fixture): \(status) \(body.prefix(300))")
        }

        // Stopped and continued, as `docker pause` and a debugger do: every process of the
        // tree resumes the calls the stop interrupted, and goes on serving.
        // lskeld, the relay, the fork server and two warm jobs, once the last job has exited.
        let (before, settled) = try await ProcessTree.settled(process.processIdentifier, count: 5)
        #expect(settled, "lskeld's tree did not settle at 5 processes: \(before)")
        for pid in before { kill(pid, SIGSTOP) }
        try await Task.sleep(for: .milliseconds(200))
        for pid in before { kill(pid, SIGCONT) }
        try await Task.sleep(for: .milliseconds(300))
        #expect(process.isRunning && ProcessTree.members(process.processIdentifier) == before,
                "after SIGSTOP and SIGCONT: \(ProcessTree.members(process.processIdentifier)), before: \(before); \(errorText().suffix(2000))")
        let (status, header, _) = try await post("maps", name: "after_stop")
        #expect(status == 200 && header.contains("struct after_stop {"), "\(status) \(header.prefix(300))")
        let (metrics, _) = try await HTTP.send(base + "/metrics", method: "GET")
        let text = String(decoding: metrics, as: UTF8.self)
        let lines = text.split(separator: "\n").filter { !$0.hasPrefix("#") }
        func value(_ metric: String) -> Double? {
            lines.first { $0.hasPrefix(metric + " ") }.flatMap { Double($0.split(separator: " ").last ?? "") }
        }
        #expect(value("lskeld_worker_crashes_total") == 0 && value("lskeld_fork_server_starts_total") == 1,
                "\(lines.filter { $0.contains("worker") || $0.contains("fork") })")
        #expect((value("lskeld_cache_hits_total") ?? 0) >= Double(Fixtures.supported.count), "\(lines.filter { $0.contains("cache") })")
        process.terminate()
        process.waitUntilExit()
    }
}
