import Foundation
import LskelTestSupport
import Testing

/// `lskel bpftool ...` and lskel invoked as `bpftool`: an unchanged
/// light-skeleton Makefile builds the same headers with either tool.
@Suite("bpftool's command line")
struct BpftoolFrontEndTests {
    static let bpftool = Shell.which("bpftool", "/usr/sbin/bpftool")
    static let fixtures = ["maps", "core", "globals", "subprogs", "rt_execsnoop", "rt_tetragon_kprobe"]

    /// A small project: one object per fixture and the Makefile a light-skeleton build has.
    static func project(_ directory: String) throws -> [String] {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var objects: [String] = []
        for fixture in fixtures {
            let object = "\(fixture).bpf.o"
            try FileManager.default.copyItem(atPath: try Fixtures.object(fixture), toPath: "\(directory)/\(object)")
            objects.append(object)
        }
        let makefile = """
            BPFTOOL ?= bpftool
            OBJS := \(objects.joined(separator: " "))
            all: $(OBJS:.bpf.o=.lskel.h) named.lskel.h
            %.lskel.h: %.bpf.o
            \t$(BPFTOOL) gen skeleton -L $< > $@
            named.lskel.h: maps.bpf.o
            \t$(BPFTOOL) gen skeleton -L $< name my_maps > $@

            """
        try makefile.write(toFile: "\(directory)/Makefile", atomically: true, encoding: .utf8)
        return objects.map { $0.replacingOccurrences(of: ".bpf.o", with: ".lskel.h") } + ["named.lskel.h"]
    }

    @Test("make BPFTOOL=\"lskel bpftool\" and a symlink named bpftool build every header bpftool builds, byte for byte")
    func makefileBothWays() throws {
        let bpftool = try #require(Self.bpftool, "bpftool is not installed (apt-get install bpftool)")
        let root = NSTemporaryDirectory() + "lskel-make-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let headers = try Self.project(root + "/bpftool")
        _ = try Self.project(root + "/lskel")
        _ = try Self.project(root + "/symlink")
        try FileManager.default.createDirectory(atPath: root + "/bin", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: root + "/bin/bpftool", withDestinationPath: CLI.path)
        // bpftool in a user namespace (kallsyms addresses read as 0, as a host-independent loader needs; see BpftoolParityTests).
        let reference = try Shell.run("/usr/bin/make", ["-s", "-C", root + "/bpftool", "BPFTOOL=/usr/bin/unshare --user \(bpftool)"])
        #expect(reference.status == 0, "\(reference.stderrText)")
        let ours = try Shell.run("/usr/bin/make", ["-s", "-C", root + "/lskel", "BPFTOOL=\(CLI.path) bpftool"])
        #expect(ours.status == 0, "\(ours.stderrText)")
        let linked = try Shell.run("/usr/bin/make", ["-s", "-C", root + "/symlink", "BPFTOOL=\(root)/bin/bpftool"])
        #expect(linked.status == 0, "\(linked.stderrText)")
        for header in headers {
            let expected = try Data(contentsOf: URL(fileURLWithPath: "\(root)/bpftool/\(header)"))
            #expect(!expected.isEmpty, "\(header)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: "\(root)/lskel/\(header)")) == expected, "lskel bpftool: \(header)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: "\(root)/symlink/\(header)")) == expected, "symlink: \(header)")
        }
    }

    @Test("errors as bpftool gives them: a missing file and an object libbpf cannot open, with bpftool's status and format")
    func errors() throws {
        let bpftool = try #require(Self.bpftool, "bpftool is not installed (apt-get install bpftool)")
        let garbage = NSTemporaryDirectory() + "lskel-garbage-\(UUID().uuidString).o"
        try Data("not an object".utf8).write(to: URL(fileURLWithPath: garbage))
        defer { try? FileManager.default.removeItem(atPath: garbage) }
        for file in ["/nonexistent/x.bpf.o", garbage] {
            let theirs = try Shell.run(bpftool, ["gen", "skeleton", "-L", file])
            let ours = try CLI.run(["bpftool", "gen", "skeleton", "-L", file])
            #expect(ours.status == theirs.status, "\(file): lskel \(ours.status), bpftool \(theirs.status)")
            #expect(ours.stdout.isEmpty)
            #expect(ours.stderrText.hasPrefix("Error: "), "\(ours.stderrText)")
            #expect(theirs.stderrText.contains("Error: "))
        }
    }

    @Test("what lskel does not do exits 2 with one line saying so")
    func unsupported() throws {
        let maps = try Fixtures.object("maps")
        for arguments in [["prog", "show"], ["gen", "skeleton", maps], ["gen", "object", "out.o", maps], ["-j", "gen", "skeleton", "-L", maps], []] {
            let result = try CLI.run(["bpftool"] + arguments)
            #expect(result.status == 2, "\(arguments)")
            #expect(result.stdout.isEmpty, "\(arguments)")
            let lines = result.stderrText.split(separator: "\n")
            #expect(lines.count == 1 && lines[0].contains("not supported"), "\(arguments): \(result.stderrText)")
        }
    }
}
