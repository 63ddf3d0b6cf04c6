import Foundation
import LskelModel
import LskelGen
import LskelTestSupport
import Testing

/// `lskel` runs the common `lskel gen` in a small static executable and hands
/// every other command line to `lskel-tool`, whose argument parser defines the
/// commands. These hold the two to one command.
@Suite("lskel gen in the lean executable")
struct LeanGenTests {
    static let tool = CLI.builtExecutable("lskel-tool")

    static func tempDir() -> String { NSTemporaryDirectory() + "lskel-lean-\(UUID().uuidString)" }

    /// Every file of a directory, by name.
    static func files(_ dir: String) throws -> [String: Data] {
        var files: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: dir) {
            files[name] = try Data(contentsOf: URL(fileURLWithPath: dir + "/" + name))
        }
        return files
    }

    @Test("the lean reader knows exactly lskel-tool gen's options, less signing and help")
    func sameOptions() throws {
        let dump = try Shell.run(Self.tool, ["gen", "--experimental-dump-help"])
        #expect(dump.status == 0, "\(dump.stderrText)")
        let json = try #require(try JSONSerialization.jsonObject(with: dump.stdout) as? [String: Any])
        let command = try #require(json["command"] as? [String: Any])
        let arguments = try #require(command["arguments"] as? [[String: Any]])
        let longNames = arguments.flatMap { argument in
            (argument["names"] as? [[String: Any]] ?? []).compactMap { $0["kind"] as? String == "long" ? "--" + ($0["name"] as? String ?? "") : nil }
        }
        let delegated: Set = ["--sign-key", "--sign-cert", "--sign-scheme", "--help"]
        #expect(Set(longNames).subtracting(delegated) == Set(GenArguments.optionNames))
        #expect(Set(GenArguments.optionNames).isDisjoint(with: delegated))
    }

    @Test("what the lean reader takes and what it leaves to the full tool")
    func reader() throws {
        let settings = try #require(GenArguments.parse(["a.o", "--out-dir=out", "--name", "n", "--format", "header",
                                                         "--kernel-release", "6.1.0", "--cpus=4", "--kconfig", "k",
                                                         "--max-entries", "m=1", "--max-entries=z=2", "--page-size", "16384",
                                                         "--host"]))
        #expect(settings.objects == ["a.o"] && settings.outDir == "out" && settings.name == "n" && settings.format == .header)
        #expect(settings.profile.kernelRelease == "6.1.0" && settings.profile.cpus == 4 && settings.profile.kconfig == "k")
        #expect(settings.profile.maxEntries == ["m=1", "z=2"] && settings.profile.pageSize == 16384 && settings.profile.host)
        #expect(GenArguments.parse(["--", "-odd.o"])?.objects == ["-odd.o"])
        #expect(GenArguments.parse(["a.o", "b.o"])?.objects == ["a.o", "b.o"])
        for leftOver in [[], ["--help"], ["-h"], ["a.o", "--bogus"], ["a.o", "--cpus"], ["a.o", "--cpus", "-1"],
                         ["a.o", "--cpus", "x"], ["a.o", "--format", "zip"], ["a.o", "--out-dir", "a", "--out-dir", "b"],
                         ["a.o", "b.o", "--name", "n"], ["a.o", "--name", "not an identifier"], ["a.o", "--host=yes"],
                         ["a.o", "--sign-key", "k.pem", "--sign-cert", "k.crt"], ["a.o", "-"]] {
            #expect(GenArguments.parse(leftOver) == nil, "\(leftOver)")
        }
    }

    @Test("lskel and lskel-tool write the same bytes and exit the same way", arguments: [
        ["--format", "all"],
        ["--format=blobs", "--cpus", "8"],
        ["--name", "probe", "--kernel-release", "6.1.0-37-amd64", "--page-size=16384"],
        ["--host"],
        ["--max-entries", "hash_map=64", "--format", "manifest"],
    ])
    func sameOutputs(options: [String]) throws {
        var written = 0
        for objects in [["maps"], ["rt_execsnoop"], ["struct_ops", "globals"]] {
            if options.contains("--name") && objects.count > 1 { continue }
            let paths = try objects.map(Fixtures.object)
            let lean = Self.tempDir(), full = Self.tempDir()
            let leanRun = try CLI.run(["gen"] + paths + ["--out-dir", lean] + options)
            let fullRun = try Shell.run(Self.tool, ["gen"] + paths + ["--out-dir", full] + options)
            #expect(leanRun.status == fullRun.status, "\(objects) \(options): \(leanRun.stderrText) / \(fullRun.stderrText)")
            #expect(leanRun.stderrText == fullRun.stderrText)
            let leanFiles = try Self.files(lean), fullFiles = try Self.files(full)
            #expect(leanFiles == fullFiles, "\(objects) \(options)")
            if !leanFiles.isEmpty { written += 1 }
        }
        #expect(written > 0, "every object was refused with \(options)")
    }

    @Test("help, usage errors and other commands come from lskel-tool")
    func handedOver() throws {
        #expect(try CLI.run(["gen", "--help"]).stdoutText == (try Shell.run(Self.tool, ["gen", "--help"])).stdoutText)
        #expect(try CLI.run(["--help"]).stdoutText.contains("SUBCOMMANDS"))
        let unknown = try CLI.run(["gen", "x.o", "--bogus"])
        #expect(unknown.status == 2 && unknown.stderrText.contains("Unknown option '--bogus'"))
        let unreadable = try CLI.run(["gen", "/nonexistent/x.bpf.o", "--out-dir", Self.tempDir()])
        #expect(unreadable.status == 2 && unreadable.stderrText.contains("cannot read /nonexistent/x.bpf.o"))
        let inspect = try CLI.run(["inspect", try Fixtures.object("maps")])
        #expect(inspect.status == 0 && !inspect.stdoutText.isEmpty)
    }

    @Test("lskel is a static executable: no dynamic loader, no shared libraries")
    func staticExecutable() throws {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: CLI.path)))
        func value(_ offset: Int, _ width: Int) -> Int {
            (0..<width).reduce(0) { $0 | Int(bytes[offset + $1]) << (8 * $1) }
        }
        #expect(bytes.count > 64 && bytes[0..<4] == [0x7f, 0x45, 0x4c, 0x46])
        let programHeaders = value(0x20, 8), entrySize = value(0x36, 2), count = value(0x38, 2)
        let types = (0..<count).map { value(programHeaders + $0 * entrySize, 4) }
        let interpreter = 3, dynamic = 2
        #expect(!types.contains(interpreter) && !types.contains(dynamic), "program header types \(types)")
        // Nor Foundation or the string-processing library: their conformance records made
        // every run-time conformance lookup of a run longer (their mangled module names are
        // in the symbols of anything linked from them).
        for module in ["20FoundationEssentials", "17_StringProcessing", "12_RegexParser"] {
            let found = bytes.withUnsafeBufferPointer { ByteSearch.firstIndex(of: Array(module.utf8), in: $0) }
            #expect(found == nil, "\(module) is linked")
        }
    }
}
