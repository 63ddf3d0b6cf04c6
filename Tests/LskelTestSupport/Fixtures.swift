import Foundation
import LskelEngine

/// The BPF C fixtures under Tests/Fixtures, compiled once per test run with
/// Debian's clang (`-target bpf -g -O2`) into a temporary directory.
public enum Fixtures {
    public static let sourceDirectory: String = {
        // Tests/LskelTestSupport/Fixtures.swift -> Tests/Fixtures
        let file = URL(fileURLWithPath: #filePath)
        return file.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures").path
    }()

    public static let packageRoot: String = {
        URL(fileURLWithPath: sourceDirectory).deletingLastPathComponent().deletingLastPathComponent().path
    }()

    /// Objects that become working loaders. `bpftoolParity` is false where
    /// bpftool 7.1 itself fails (crash or a header that does not compile).
    public static let supported: [String] = [
        "maps", "globals", "subprogs", "core", "ksyms", "kconfig", "progtypes", "many32", "noprogs", "rawtp_noname",
    ]

    /// Fixtures bpftool handles; ours must equal its output byte for byte.
    public static let bpftoolHandles: [String] = supported.filter { $0 != "rawtp_noname" && $0 != "noprogs" }

    /// Objects libbpf 1.1 cannot turn into a working loader, with the error kind we answer.
    public static let refused: [(fixture: String, kind: GenerationError.Kind, names: [String])] = [
        ("toomany_progs", .tooManyPrograms, ["33 programs"]),
        ("toomany_subprogs", .tooManyPrograms, ["33 programs"]),
        ("prog_array_init", .progArrayInit, ["jump_table", "tail_callee"]),
        ("struct_ops", .structOps, ["struct_ops"]),
        ("pinned", .pinnedMap, ["pinned_hash"]),
        ("arena", .arenaMap, ["arena"]),
        ("legacy_maps", .legacyMapsSection, ["'maps' section"]),
        ("unknown_section", .unknownSection, ["lskel_bogus/section"]),
        ("unresolved_kconfig", .unresolvedExtern, ["CONFIG_LSKEL_NOT_A_REAL_OPTION"]),
        ("unknown_virtual", .unresolvedExtern, ["LINUX_LSKEL_UNKNOWN"]),
    ]

    public static let clang: String? = Shell.which("/usr/bin/clang-14", "clang-14", "/usr/bin/clang")

    public struct Build: Sendable {
        public var directory: String
        public var failures: [String: String]
    }

    /// Compiles every fixture once; compile errors are kept per fixture.
    public static let build: Build = {
        let directory = NSTemporaryDirectory() + "lskel-fixtures-\(getpid())"
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var failures: [String: String] = [:]
        let sources = (try? FileManager.default.contentsOfDirectory(atPath: sourceDirectory)) ?? []
        for source in sources.sorted() where source.hasSuffix(".bpf.c") {
            let stem = String(source.dropLast(".bpf.c".count))
            guard let clang else {
                failures[stem] = "no clang found"
                continue
            }
            let result = try? Shell.run(clang, [
                "-target", "bpf", "-g", "-O2", "-D__TARGET_ARCH_x86",
                "-I", sourceDirectory, "-I", "/usr/include/\(multiarch)",
                "-c", "\(sourceDirectory)/\(source)", "-o", "\(directory)/\(stem).bpf.o",
            ])
            if result?.status != 0 {
                failures[stem] = result?.stderrText ?? "clang did not run"
            }
        }
        return Build(directory: directory, failures: failures)
    }()

    public static let multiarch: String = {
        (try? Shell.run("/usr/bin/gcc", ["-dumpmachine"]).stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)) ?? "x86_64-linux-gnu"
    }()

    /// Path of a compiled fixture object, or an error naming the compile failure.
    public static func object(_ name: String) throws -> String {
        if let failure = build.failures[name] {
            throw FixtureError("fixture \(name) did not compile: \(failure)")
        }
        let path = "\(build.directory)/\(name).bpf.o"
        guard FileManager.default.fileExists(atPath: path) else {
            throw FixtureError("fixture \(name) has no source \(name).bpf.c")
        }
        return path
    }

    public static func bytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: try object(name))))
    }

    /// The skeleton name bpftool derives for a fixture (`maps.bpf.o` -> `maps_bpf`).
    public static func skeletonName(_ name: String) -> String { "\(name)_bpf" }

    /// This machine's profile, as bpftool would read it.
    public static let hostProfile: TargetProfile = {
        (try? HostProfile.read()) ?? TargetProfile()
    }()
}

public struct FixtureError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
