import Foundation
import LskelTestSupport
import Testing

@Suite("lskel submit", .serialized)
struct SubmitTests {
    @Test("writes the same files as lskel gen, byte for byte")
    func sameAsGen() async throws {
        let objects = try ["maps", "kconfig", "core"].map(Fixtures.object)
        let kconfig = NSTemporaryDirectory() + "lskel-kc-\(UUID().uuidString)"
        try "CONFIG_BPF_SYSCALL=y\nCONFIG_HZ=1000\n".write(toFile: kconfig, atomically: true, encoding: .utf8)
        let flags = ["--kernel-release", "6.1.0-13-amd64", "--cpus", "16", "--kconfig", kconfig]
        let local = NSTemporaryDirectory() + "lskel-gen-\(UUID().uuidString)"
        let generated = try await CLI.runDetached(["gen"] + objects + ["--out-dir", local] + flags)
        #expect(generated.status == 0, "\(generated.stderrText)")
        try await TestServer.run { _, port in
            let remote = NSTemporaryDirectory() + "lskel-submit-\(UUID().uuidString)"
            let submitted = try await CLI.runDetached(["submit"] + objects + ["--server", "http://127.0.0.1:\(port)", "--out-dir", remote] + flags)
            #expect(submitted.status == 0, "\(submitted.stderrText)")
            let files = try FileManager.default.contentsOfDirectory(atPath: local).sorted()
            #expect(files.count == 12)
            #expect(try FileManager.default.contentsOfDirectory(atPath: remote).sorted() == files)
            for file in files {
                let a = try Data(contentsOf: URL(fileURLWithPath: "\(local)/\(file)"))
                let b = try Data(contentsOf: URL(fileURLWithPath: "\(remote)/\(file)"))
                #expect(a == b, "\(file) differs between lskel gen and lskel submit")
            }
            let uploaded = objects.map { (try? FileManager.default.attributesOfItem(atPath: $0)[.size] as? Int) ?? 0 }.reduce(0, +)
            #expect(submitted.stderrText.contains("0 from the server's store, 3 generated, 0 refused; \(uploaded) bytes uploaded"),
                    "\(submitted.stderrText)")
            // A rebuild: every key is asked for first, and nothing is uploaded; the same files.
            let again = NSTemporaryDirectory() + "lskel-submit-\(UUID().uuidString)"
            let rebuilt = try await CLI.runDetached(["submit"] + objects + ["--server", "http://127.0.0.1:\(port)", "--out-dir", again] + flags)
            #expect(rebuilt.status == 0, "\(rebuilt.stderrText)")
            #expect(rebuilt.stderrText.contains("3 from the server's store, 0 generated, 0 refused; 0 bytes uploaded"), "\(rebuilt.stderrText)")
            for file in files {
                #expect(try Data(contentsOf: URL(fileURLWithPath: "\(again)/\(file)")) == Data(contentsOf: URL(fileURLWithPath: "\(local)/\(file)")),
                        "\(file) differs after a rebuild from the store")
            }
            // A rejected object: exit 1 with the server's reason; the others are still written.
            let mixed = NSTemporaryDirectory() + "lskel-submit-\(UUID().uuidString)"
            let rejected = try await CLI.runDetached(["submit", try Fixtures.object("struct_ops"), objects[0], "--server", "http://127.0.0.1:\(port)",
                                        "--out-dir", mixed, "--format", "header"])
            #expect(rejected.status == 1)
            #expect(rejected.stderrText.contains("struct_ops") && rejected.stderrText.contains("[struct-ops]"))
            #expect(FileManager.default.fileExists(atPath: "\(mixed)/maps.lskel.h"))
            // Again: the refusal is in the store under its key too, so nothing is uploaded.
            let remixed = try await CLI.runDetached(["submit", try Fixtures.object("struct_ops"), objects[0], "--server", "http://127.0.0.1:\(port)",
                                        "--out-dir", mixed, "--format", "header"])
            #expect(remixed.status == 1)
            #expect(remixed.stderrText.contains("[struct-ops]"))
            #expect(remixed.stderrText.contains("1 from the server's store, 0 generated, 1 refused; 0 bytes uploaded"), "\(remixed.stderrText)")
        }
    }

    @Test("lskel bpftool with LSKEL_SERVER: the server's header on stdout, the same bytes lskel gen writes for that profile")
    func bpftoolThroughServer() async throws {
        let kconfig = NSTemporaryDirectory() + "lskel-kc-\(UUID().uuidString)"
        try "CONFIG_BPF_SYSCALL=y\nCONFIG_HZ=1000\n".write(toFile: kconfig, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: kconfig) }
        let expected = try TestServer.cliOutputs("kconfig", flags: ["--kernel-release", "6.1.0-13-amd64", "--cpus", "16", "--kconfig", kconfig])
        let object = try Fixtures.object("kconfig")
        try await TestServer.run { _, port in
            let result = try await Shell.runDetached("/usr/bin/env", [
                "LSKEL_SERVER=http://127.0.0.1:\(port)", "LSKEL_KERNEL_RELEASE=6.1.0-13-amd64", "LSKEL_CPUS=16", "LSKEL_KCONFIG=\(kconfig)",
                CLI.path, "bpftool", "gen", "skeleton", "-L", object,
            ])
            #expect(result.status == 0, "\(result.stderrText)")
            #expect(result.stdout == expected.header)
            // Again: the key is computed here and the header fetched by it; nothing is posted.
            let again = try await Shell.runDetached("/usr/bin/env", [
                "LSKEL_SERVER=http://127.0.0.1:\(port)", "LSKEL_KERNEL_RELEASE=6.1.0-13-amd64", "LSKEL_CPUS=16", "LSKEL_KCONFIG=\(kconfig)",
                CLI.path, "bpftool", "gen", "skeleton", "-L", object,
            ])
            #expect(again.status == 0 && again.stdout == expected.header, "\(again.stderrText)")
            let (metrics, _) = try await HTTP.send("http://127.0.0.1:\(port)/metrics", method: "GET")
            let text = String(decoding: metrics, as: UTF8.self)
            #expect(text.contains("lskeld_http_requests_total{route=\"/v1/loaders\",method=\"POST\",status=\"200\"} 1\n"),
                    "one upload for two builds")
            #expect(text.contains("lskeld_http_requests_total{route=\"/v1/loaders/{key}/{part}\",method=\"GET\",status=\"200\"} 1\n"),
                    "\(text.split(separator: "\n").filter { $0.contains("http_requests_total") })")
            let refused = try await Shell.runDetached("/usr/bin/env", ["LSKEL_SERVER=http://127.0.0.1:\(port)", CLI.path, "bpftool", "gen", "skeleton",
                                                                        "-L", try Fixtures.object("struct_ops")])
            #expect(refused.status == 255 && refused.stderrText.hasPrefix("Error: "), "\(refused.status) \(refused.stderrText)")
        }
    }

    @Test("exit 3 when the server stays unavailable after the retries; exit 2 for usage errors")
    func unavailable() throws {
        // A port nothing listens on.
        let result = try CLI.run(["submit", try Fixtures.object("maps"), "--server", "http://127.0.0.1:1", "--retries", "2",
                                  "--out-dir", NSTemporaryDirectory() + "lskel-none"])
        #expect(result.status == 3, "\(result.stderrText)")
        #expect(result.stderrText.contains("server unavailable"))
        #expect(try CLI.run(["submit", "x.o", "--server", "ftp://host"]).status == 2)
        #expect(try CLI.run(["submit", "x.o"]).status == 2)
    }
}
