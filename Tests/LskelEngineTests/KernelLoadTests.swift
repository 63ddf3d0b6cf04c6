import Foundation
import LskelTestSupport
import Testing
@testable import LskelEngine

/// Loaders loaded into the running kernel through `bpf_load_and_run`
/// (`<bpf/skel_internal.h>`), by a small C driver compiled against the
/// generated header.
@Suite("Real kernel loads")
struct KernelLoadTests {
    static let bpfRefusal: String? = KernelProbe.bpfLoadRefusal()

    /// Fixtures with the reason plain libbpf cannot load them on this kernel, if any.
    static let plainLoad: [String: String?] = {
        guard bpfRefusal == nil else { return [:] }
        var result: [String: String?] = [:]
        for fixture in Fixtures.supported {
            guard let bytes = try? Fixtures.bytes(fixture) else { continue }
            result[fixture] = KernelProbe.plainLibbpfLoadRefusal(object: bytes, name: Fixtures.skeletonName(fixture))
        }
        return result
    }()

    static let loadable: [String] = Fixtures.supported.filter { plainLoad[$0] == .some(nil) }

    @Test("where BPF is permitted, most fixtures load with plain libbpf; the rest are named with libbpf's reason",
          .enabled(if: bpfRefusal == nil, Comment(rawValue: "BPF is not permitted here: \(bpfRefusal ?? "")")))
    func permission() {
        for fixture in Fixtures.supported {
            if case .some(.some(let reason)) = Self.plainLoad[fixture] {
                print("kernel load of \(fixture) skipped: plain libbpf cannot load it on this kernel either: \(reason)")
            }
        }
        #expect(Self.loadable.count >= Fixtures.supported.count * 3 / 4, "loadable: \(Self.loadable)")
    }

    @Test("the loader creates every map and program, and global data holds its initial values",
          .enabled(if: bpfRefusal == nil, "BPF is not permitted in this environment"),
          arguments: loadable)
    func load(fixture: String) throws {
        let loader = try LoaderGenerator.generate(object: try Fixtures.bytes(fixture), name: Fixtures.skeletonName(fixture),
                                                  profile: Fixtures.hostProfile)
        let report = try Driver.run(loader, prelude: Fixtures.prelude(fixture))
        #expect(report.status == 0, "driver failed:\n\(report.output)")
        let lines = report.output.split(separator: "\n").map(String.init)
        for map in loader.maps where map.ident != nil {
            let fd = lines.first { $0.hasPrefix("map \(map.ident!) ") }.flatMap { Int($0.split(separator: " ")[2]) }
            #expect((fd ?? -1) > 0, "map \(map.name) has no fd: \(report.output)")
        }
        for prog in loader.programs {
            let fd = lines.first { $0.hasPrefix("prog \(prog.name) ") }.flatMap { Int($0.split(separator: " ")[2]) }
            if prog.autoload {
                #expect((fd ?? -1) > 0, "program \(prog.name) has no fd: \(report.output)")
            } else {
                #expect(fd == 0, "program \(prog.name) is not loaded by default (SEC(\"?...\")), yet has fd \(fd ?? -1)")
            }
        }
        for map in loader.maps where map.isMmapped {
            let ident = try #require(map.ident)
            let dumped = lines.first { $0.hasPrefix("data \(ident) ") }.map { String($0.split(separator: " ").last ?? "") }
            #expect(dumped == map.initialData.map { String(format: "%02x", $0) }.joined(),
                    "\(ident) in the kernel differs from its initial value")
        }
    }
}

/// Compiles and runs a driver for a generated header.
enum Driver {
    struct Report {
        var status: Int32
        var output: String
    }

    static func source(for loader: GeneratedLoader, prelude: String?) -> String {
        let name = loader.name
        var body = ""
        for map in loader.maps {
            guard let ident = map.ident else { continue }
            body += "\tprintf(\"map \(ident) %d\\n\", s->maps.\(ident).map_fd);\n"
            if map.isMmapped {
                body += "\tdump(\"\(ident)\", s->\(ident), \(map.valueSize));\n"
            }
        }
        for prog in loader.programs {
            body += "\tprintf(\"prog \(prog.name) %d\\n\", s->progs.\(prog.name).prog_fd);\n"
        }
        return """
            #include <errno.h>
            #include <stdio.h>
            #include <bpf/libbpf.h>
            \(prelude.map { "#include \"\($0)\"" } ?? "")
            #include "\(name).lskel.h"

            static char log_buf[1 << 22];

            static void dump(const char *ident, const void *data, unsigned long size)
            {
            \tprintf("data %s ", ident);
            \tfor (unsigned long i = 0; i < size; i++)
            \t\tprintf("%02x", ((const unsigned char *)data)[i]);
            \tprintf("\\n");
            }

            int main(void)
            {
            \tstruct \(name) *s = \(name)__open();
            \tint err;

            \tif (!s) {
            \t\tprintf("open failed\\n");
            \t\treturn 2;
            \t}
            \ts->ctx.log_level = 1;
            \ts->ctx.log_size = sizeof(log_buf);
            \ts->ctx.log_buf = (long)log_buf;
            \terr = \(name)__load(s);
            \tif (err) {
            \t\tprintf("load failed: %d\\n%s\\n", err, log_buf);
            \t\treturn 1;
            \t}
            \(body)\t\(name)__destroy(s);
            \treturn 0;
            }

            """
    }

    static func run(_ loader: GeneratedLoader, prelude: String? = nil) throws -> Report {
        let dir = NSTemporaryDirectory() + "lskel-driver-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try loader.header.write(toFile: "\(dir)/\(loader.name).lskel.h", atomically: true, encoding: .utf8)
        try source(for: loader, prelude: prelude).write(toFile: "\(dir)/driver.c", atomically: true, encoding: .utf8)
        let compile = try Shell.run("/usr/bin/cc", ["-I", dir, "-o", "\(dir)/driver", "\(dir)/driver.c"])
        guard compile.status == 0 else {
            return Report(status: -1, output: "driver did not compile:\n\(compile.stderrText)")
        }
        let run = try Shell.run("\(dir)/driver", [])
        return Report(status: run.status, output: run.stdoutText + run.stderrText)
    }
}
