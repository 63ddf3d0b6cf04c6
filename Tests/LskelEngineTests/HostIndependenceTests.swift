import Foundation
import LskelTestSupport
import Testing
@testable import LskelEngine

/// The same object, name and profile give the same bytes whatever the
/// generating host looks like. `lskel gen` runs once as is and once in a
/// mount namespace where this machine looks different to libbpf: another
/// CPU list, no kernel config, an empty /proc/kallsyms, another hostname, and
/// (through setarch --uname-2.6) another kernel release.
@Suite("Independence from the generating host")
struct HostIndependenceTests {
    static let unshare = Shell.which("/usr/bin/unshare")
    static let canUnshare: Bool = {
        guard let unshare else { return false }
        return (try? Shell.run(unshare, ["--mount", "--uts", "true"]).status) == 0
    }()

    @Test("bytes do not change when the host's CPUs, config, kallsyms and release change",
          .enabled(if: canUnshare, "mount and UTS namespaces are not available (needs root and util-linux unshare)"))
    func alteredHost() throws {
        let base = NSTemporaryDirectory() + "lskel-host-\(UUID().uuidString)"
        let fm = FileManager.default
        try fm.createDirectory(atPath: base, withIntermediateDirectories: true)
        defer { try? fm.removeItem(atPath: base) }
        try "0-63\n".write(toFile: "\(base)/possible", atomically: true, encoding: .utf8)
        try "".write(toFile: "\(base)/empty", atomically: true, encoding: .utf8)
        try "CONFIG_BPF_SYSCALL=y\nCONFIG_HZ=300\n".write(toFile: "\(base)/kconfig", atomically: true, encoding: .utf8)

        let objects = try Fixtures.supported.map(Fixtures.object)
        // Default profile, and an explicit one.
        let profiles: [(String, [String])] = [
            ("default", []),
            ("explicit", ["--kernel-release", "5.10.0-28-amd64", "--cpus", "6", "--kconfig", "\(base)/kconfig",
                          "--page-size", "16384"]),
        ]
        for (label, flags) in profiles {
            let plain = "\(base)/\(label)-plain", altered = "\(base)/\(label)-altered"
            // Objects whose externs the default profile cannot satisfy are rejected in both runs alike.
            let plainRun = try CLI.run(["gen"] + objects + ["--out-dir", plain] + flags)
            let script = """
                set -e
                mount --bind \(base)/possible /sys/devices/system/cpu/possible
                mount --bind \(base)/empty /proc/kallsyms
                if [ -e /proc/config.gz ]; then mount --bind \(base)/empty /proc/config.gz; fi
                hostname lskel-altered-host
                exec setarch "$(uname -m)" --uname-2.6 "$@"
                """
            let alteredRun = try Shell.run(try #require(Self.unshare),
                ["--mount", "--uts", "/bin/sh", "-c", script, "sh", CLI.path, "gen"] + objects + ["--out-dir", altered] + flags)
            #expect(plainRun.status == alteredRun.status, "\(label): \(plainRun.stderrText) vs \(alteredRun.stderrText)")
            #expect(plainRun.stderrText == alteredRun.stderrText)
            let written = try fm.contentsOfDirectory(atPath: plain).sorted()
            #expect(written.count >= 4 * 8, "\(label): \(written)")
            #expect(try fm.contentsOfDirectory(atPath: altered).sorted() == written)
            for file in written {
                let a = try Data(contentsOf: URL(fileURLWithPath: "\(plain)/\(file)"))
                let b = try Data(contentsOf: URL(fileURLWithPath: "\(altered)/\(file)"))
                #expect(a == b, "\(label): \(file) depends on the generating host")
            }
        }
    }

    @Test("the altered view really is different, so the comparison above can fail",
          .enabled(if: canUnshare, "mount and UTS namespaces are not available"))
    func alteredViewDiffers() throws {
        let base = NSTemporaryDirectory() + "lskel-view-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: base) }
        try "0-63\n".write(toFile: "\(base)/possible", atomically: true, encoding: .utf8)
        let script = """
            mount --bind \(base)/possible /sys/devices/system/cpu/possible
            cat /sys/devices/system/cpu/possible
            setarch "$(uname -m)" --uname-2.6 uname -r
            """
        let result = try Shell.run(try #require(Self.unshare), ["--mount", "/bin/sh", "-c", script])
        let lines = result.stdoutText.split(separator: "\n").map(String.init)
        #expect(lines.first == "0-63")
        #expect(lines.last?.hasPrefix("2.6.") == true)
        // And bpftool, which reads the host, sees it: its perf array follows the CPU list.
        #expect(Fixtures.hostProfile.possibleCPUs != 64)
    }
}
