import Foundation
import LskelTestSupport
import Testing
@testable import LskelEngine

/// Our output against `bpftool gen skeleton -L` for the same object, file
/// name and host inputs. bpftool runs in a user namespace, where
/// /proc/kallsyms shows every address as 0: a loader resolves typeless ksyms
/// at load time, and the generator must not bake the generating host's
/// addresses in (ours never reads them).
@Suite("Byte parity with bpftool gen skeleton -L")
struct BpftoolParityTests {
    static let bpftool = Shell.which("bpftool", "/usr/sbin/bpftool")

    /// bpftool's header for a fixture, or its failure.
    static func bpftoolHeader(_ fixture: String) throws -> ProcessResult {
        let bpftool = try #require(bpftool, "bpftool is not installed (apt-get install bpftool)")
        let object = try Fixtures.object(fixture)
        return try Shell.run("/usr/bin/unshare", ["--user", bpftool, "gen", "skeleton", "-L", object])
    }

    static func ours(_ fixture: String) throws -> GeneratedLoader {
        try LoaderGenerator.generate(object: try Fixtures.bytes(fixture), name: Fixtures.skeletonName(fixture),
                                     profile: Fixtures.hostProfile)
    }

    @Test("header, insns and data are byte-identical", arguments: Fixtures.bpftoolHandles)
    func identical(fixture: String) throws {
        let reference = try Self.bpftoolHeader(fixture)
        #expect(reference.status == 0, "bpftool failed: \(reference.stderrText)")
        let loader = try Self.ours(fixture)
        let referenceHeader = reference.stdoutText
        #expect(Array(loader.header.utf8) == Array(reference.stdout), "headers differ for \(fixture)")
        if loader.header != referenceHeader {
            let ours = loader.header.split(separator: "\n", omittingEmptySubsequences: false)
            let theirs = referenceHeader.split(separator: "\n", omittingEmptySubsequences: false)
            if let line = zip(ours, theirs).enumerated().first(where: { $0.element.0 != $0.element.1 }) {
                Issue.record("first difference at line \(line.offset + 1):\n ours:    \(line.element.0)\n bpftool: \(line.element.1)")
            }
        }
        let data = try #require(CHexLiteral.decode(after: "opts.data = (void *)\"", in: referenceHeader))
        let insns = try #require(CHexLiteral.decode(after: "opts.insns = (void *)\"", in: referenceHeader))
        #expect(loader.data == data)
        #expect(loader.insns == insns)
        #expect(!loader.insns.isEmpty && loader.insns.count % 8 == 0)
    }

    @Test("lskel diff: every fixture bpftool handles is identical, through the command users run")
    func diffCommand() throws {
        _ = try #require(Self.bpftool, "bpftool is not installed (apt-get install bpftool)")
        let objects = try Fixtures.bpftoolHandles.map(Fixtures.object)
        let result = try CLI.run(["diff"] + objects)
        let lines = result.stdoutText.split(separator: "\n").map(String.init)
        #expect(result.status == 0, "\(result.stdoutText)\(result.stderrText)")
        for fixture in Fixtures.bpftoolHandles {
            #expect(lines.contains("\(fixture).bpf.o: identical"), "\(lines.first { $0.hasPrefix("\(fixture).bpf.o:") } ?? "no line for \(fixture)")")
        }
        // A difference is named, with exit 1: the same object under another CPU count changes a perf array.
        let other = try CLI.run(["diff", try Fixtures.object("maps"), "--cpus", "7"])
        #expect(other.status == 1 && other.stdoutText.contains("maps.bpf.o: data differ at byte"), "\(other.stdoutText)")
    }

    @Test("where bpftool fails only because this machine's kallsyms lacks a strong ksym, lskel generates a loader",
          arguments: Array(Fixtures.bpftoolMayFail.keys))
    func bpftoolMayFail(fixture: String) throws {
        let reference = try Self.bpftoolHeader(fixture)
        if reference.status != 0 {
            #expect(reference.stderrText.contains(try #require(Fixtures.bpftoolMayFail[fixture])), "\(reference.stderrText)")
        }
        let loader = try Self.ours(fixture)
        #expect(!loader.insns.isEmpty)
        try CompileCheck.header(loader.header, name: loader.name, prelude: Fixtures.prelude(fixture))
    }

    @Test("every header compiles, given the types the tool's own header declares", arguments: Fixtures.supported)
    func headersCompile(fixture: String) throws {
        guard fixture != "noprogs" else { return }  // checked below: bpftool's does not compile, ours does
        let loader = try Self.ours(fixture)
        try CompileCheck.header(loader.header, name: loader.name, prelude: Fixtures.prelude(fixture))
    }

    @Test("zero-program objects: bpftool's header measures a links member it never declares; ours compiles")
    func zeroPrograms() throws {
        let reference = try Self.bpftoolHeader("noprogs")
        #expect(reference.status == 0)
        let loader = try Self.ours("noprogs")
        let theirs = reference.stdoutText.split(separator: "\n", omittingEmptySubsequences: false)
        let ours = loader.header.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(theirs.count == ours.count)
        let differing = zip(theirs, ours).filter { $0.0 != $0.1 }
        #expect(differing.count == 1)
        #expect(differing.first?.0 == "\tskel->ctx.sz = (void *)&skel->links - (void *)skel;")
        #expect(differing.first?.1 == "\tskel->ctx.sz = (void *)(&skel->maps + 1) - (void *)skel;")
        #expect(!loader.header.contains("links"))
        try CompileCheck.header(loader.header, name: loader.name)
    }

    @Test("SEC(\"raw_tp\") without a name: bpftool crashes; ours emits a manual-attach stub that compiles")
    func rawTracepointWithoutName() throws {
        let reference = try Self.bpftoolHeader("rawtp_noname")
        #expect(reference.status != 0, "bpftool 7.1 was expected to crash on SEC(\"raw_tp\")")
        let loader = try Self.ours("rawtp_noname")
        #expect(loader.header.contains("int fd = ((void)prog_fd, 0); /* auto-attach not supported */"))
        #expect(loader.header.contains("skel_raw_tracepoint_open(\""))
        try CompileCheck.header(loader.header, name: loader.name)
    }

    @Test("the CLI writes the same bytes as the engine, under the file names of the contract")
    func cliOutputs() throws {
        let dir = NSTemporaryDirectory() + "lskel-cli-\(UUID().uuidString)"
        let object = try Fixtures.object("globals")
        let result = try CLI.run(["gen", object, "--out-dir", dir, "--host"])
        #expect(result.status == 0, "\(result.stderrText)")
        let loader = try Self.ours("globals")
        #expect(try Data(contentsOf: URL(fileURLWithPath: "\(dir)/globals.lskel.h")) == Data(loader.header.utf8))
        #expect(try Data(contentsOf: URL(fileURLWithPath: "\(dir)/globals.insns.bin")) == Data(loader.insns))
        #expect(try Data(contentsOf: URL(fileURLWithPath: "\(dir)/globals.data.bin")) == Data(loader.data))
        let reference = try Self.bpftoolHeader("globals")
        #expect(try Data(contentsOf: URL(fileURLWithPath: "\(dir)/globals.lskel.h")) == reference.stdout)
    }
}
