import Foundation
import LskelCoding
import LskelTestSupport
import Testing
@testable import LskelEngine

@Suite("lskel gen command line")
struct CLITests {
    static func tempDir() -> String { NSTemporaryDirectory() + "lskel-cli-\(UUID().uuidString)" }

    @Test("exit 0 and the three files per object; --format picks them")
    func outputs() throws {
        let dir = Self.tempDir()
        let maps = try Fixtures.object("maps"), subprogs = try Fixtures.object("subprogs")
        let all = try CLI.run(["gen", maps, subprogs, "--out-dir", dir])
        #expect(all.status == 0, "\(all.stderrText)")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
        #expect(files == ["maps.data.bin", "maps.insns.bin", "maps.lskel.h", "maps.manifest.json",
                          "subprogs.data.bin", "subprogs.insns.bin", "subprogs.lskel.h", "subprogs.manifest.json"])
        let manifest = try ManifestJSON.decode([UInt8](try Data(contentsOf: URL(fileURLWithPath: "\(dir)/maps.manifest.json"))))
        #expect(manifest.object.name == "maps.bpf.o" && manifest.loader.skeletonName == "maps_bpf")
        #expect(manifest.loader.headerSha256 == SHA256.hex(try Data(contentsOf: URL(fileURLWithPath: "\(dir)/maps.lskel.h"))))
        let headerOnly = Self.tempDir()
        #expect(try CLI.run(["gen", maps, "--out-dir", headerOnly, "--format", "header"]).status == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: headerOnly) == ["maps.lskel.h"])
        let manifestOnly = Self.tempDir()
        #expect(try CLI.run(["gen", maps, "--out-dir", manifestOnly, "--format", "manifest"]).status == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: manifestOnly) == ["maps.manifest.json"])
        let blobs = Self.tempDir()
        #expect(try CLI.run(["gen", maps, "--out-dir", blobs, "--format", "blobs"]).status == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: blobs).sorted() == ["maps.data.bin", "maps.insns.bin"])
    }

    @Test("each format writes what --format all writes of it, byte for byte, and refuses the same objects, on every fixture")
    func formatsAgree() throws {
        // A run without a manifest skips the manifest and the object's digest, but not the
        // checks building the manifest makes.
        for fixture in Fixtures.supported {
            let object = try Fixtures.object(fixture)
            let all = Self.tempDir()
            let whole = try CLI.run(["gen", object, "--out-dir", all, "--host"])
            #expect(whole.status == 0, "\(fixture): \(whole.stderrText)")
            let stem = (object as NSString).lastPathComponent.replacingOccurrences(of: ".bpf.o", with: "")
            let expected = ["header": ["\(stem).lskel.h"], "blobs": ["\(stem).data.bin", "\(stem).insns.bin"],
                            "manifest": ["\(stem).manifest.json"]]
            for format in ["header", "blobs", "manifest"] {
                let dir = Self.tempDir()
                let part = try CLI.run(["gen", object, "--out-dir", dir, "--host", "--format", format])
                #expect(part.status == 0, "\(fixture) --format \(format): \(part.stderrText)")
                let written = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
                #expect(written == expected[format], "\(fixture) --format \(format) wrote \(written)")
                for file in written {
                    #expect(FileManager.default.contents(atPath: "\(dir)/\(file)") == FileManager.default.contents(atPath: "\(all)/\(file)"),
                            "\(fixture) --format \(format): \(file) differs from --format all's")
                }
                try? FileManager.default.removeItem(atPath: dir)
            }
            try? FileManager.default.removeItem(atPath: all)
        }
        for refusal in Fixtures.refused {
            let object = try Fixtures.object(refusal.fixture)
            for format in ["all", "header", "blobs", "manifest"] {
                let dir = Self.tempDir()
                let result = try CLI.run(["gen", object, "--out-dir", dir, "--host", "--format", format])
                #expect(result.status == 1 && result.stderrText.contains("[\(refusal.kind.rawValue)]"),
                        "\(refusal.fixture) --format \(format): \(result.status) \(result.stderrText)")
                try? FileManager.default.removeItem(atPath: dir)
            }
        }
    }

    @Test("--name renames the skeleton")
    func name() throws {
        let dir = Self.tempDir()
        #expect(try CLI.run(["gen", try Fixtures.object("maps"), "--out-dir", dir, "--name", "probe"]).status == 0)
        let header = try String(contentsOfFile: "\(dir)/maps.lskel.h", encoding: .utf8)
        #expect(header.contains("struct probe {"))
        #expect(header.contains("#ifndef __PROBE_SKEL_H__"))
    }

    @Test("exit 1 with the reason on stderr when an object is rejected; other objects are still written")
    func rejected() throws {
        let dir = Self.tempDir()
        let result = try CLI.run(["gen", try Fixtures.object("struct_ops"), try Fixtures.object("maps"), "--out-dir", dir])
        #expect(result.status == 1)
        #expect(result.stderrText.contains("struct_ops"))
        #expect(FileManager.default.fileExists(atPath: "\(dir)/maps.lskel.h"))
    }

    @Test("exit 2 on usage errors", arguments: [
        ["gen"],
        ["gen", "x.o", "--format", "zip"],
        ["gen", "x.o", "--cpus", "0"],
        ["gen", "x.o", "--kernel-release", "banana"],
        ["gen", "x.o", "--max-entries", "nomap"],
        ["gen", "a.o", "b.o", "--name", "n"],
        ["gen", "x.o", "--name", "not an identifier"],
        ["frobnicate"],
    ])
    func usage(arguments: [String]) throws {
        let result = try CLI.run(arguments)
        #expect(result.status == 2, "\(arguments): \(result.stderrText)")
        #expect(!result.stderrText.isEmpty)
    }

    @Test("a missing input file is a usage error naming it")
    func missingFile() throws {
        let result = try CLI.run(["gen", "/nonexistent/x.bpf.o", "--out-dir", Self.tempDir()])
        #expect(result.status == 2)
        #expect(result.stderrText.contains("/nonexistent/x.bpf.o"))
    }
}

@Suite("lskel inspect")
struct InspectTests {
    @Test("tables of programs, maps and relocations, read without libbpf")
    func tables() throws {
        let result = try CLI.run(["inspect", try Fixtures.object("subprogs")])
        #expect(result.status == 0, "\(result.stderrText)")
        let lines = result.stdoutText.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
        #expect(lines.contains(["xdp_prog", "xdp", "0", "21", "global"]))
        #expect(lines.contains(["static_scale", ".text", "80", "4", "static"]))
        #expect(lines.contains(["xdp", "3", "call", "static_scale"]))
        #expect(lines.contains(["xdp", "6", "global_data", "hits"]))
    }

    @Test("--json gives the same facts for machines")
    func json() throws {
        let result = try CLI.run(["inspect", try Fixtures.object("core"), "--json"])
        #expect(result.status == 0)
        let object = try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any]
        let relocations = object?["relocations"] as? [[String: Any]] ?? []
        #expect(relocations.contains { ($0["target"] as? String) == "struct task_struct.real_parent" })
        #expect((object?["programs"] as? [[String: Any]])?.count == 2)
    }

    @Test("a malformed object exits 1 with the reader's reason")
    func malformed() throws {
        let path = NSTemporaryDirectory() + "lskel-notelf-\(UUID().uuidString).o"
        try "this is not an ELF object at all".write(toFile: path, atomically: true, encoding: .utf8)
        let result = try CLI.run(["inspect", path])
        #expect(result.status == 1)
        #expect(result.stderrText.contains("not an ELF file"))
    }
}
