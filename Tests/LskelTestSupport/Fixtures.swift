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

    /// Fixtures modelled on real tools (`rt_*.bpf.c`, built against a vmlinux.h of Linux 6.18):
    /// libbpf-tools, cilium, tetragon, pwru, bpftrace-shaped objects, iterators, usdt, LSM.
    public static let realTools: [String] = {
        let sources = (try? FileManager.default.contentsOfDirectory(atPath: sourceDirectory)) ?? []
        return sources.filter { $0.hasPrefix("rt_") && $0.hasSuffix(".bpf.c") }.map { String($0.dropLast(".bpf.c".count)) }.sorted()
    }()

    /// Objects that become working loaders.
    public static let supported: [String] = [
        "maps", "globals", "subprogs", "core", "ksyms", "kconfig", "progtypes", "many32", "noprogs", "rawtp_noname",
    ] + realTools.filter { name in !refused.contains { $0.fixture == name } }

    /// Fixtures lskel turns into loaders where bpftool 7.1 fails, with why:
    /// a strong typeless ksym that this machine's /proc/kallsyms may lack
    /// (bpftool resolves it while generating; a light-skeleton loader resolves
    /// it on the target at load time, as lskel's does).
    public static let bpftoolMayFail: [String: String] = [
        "rt_pid_iter": "extern 'bpf_link_fops' (strong): not resolved",
    ]

    /// Fixtures bpftool handles; ours must equal its output byte for byte.
    /// (bpftool's header for `noprogs` does not compile and it crashes on `rawtp_noname`.)
    public static let bpftoolHandles: [String] = supported.filter {
        $0 != "rawtp_noname" && $0 != "noprogs" && bpftoolMayFail[$0] == nil
    }

    /// What user space includes before a fixture's header: the named types of its
    /// globals, which bpftool's header uses without defining (as the tool's own header would).
    public static func prelude(_ name: String) -> String? {
        let path = "\(sourceDirectory)/preludes/\(name).h"
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }

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
        // bpftool 7.1 emits a loader that puts mark_victim's fd in the skipped program's descriptor.
        ("rt_oomkill", .autoloadGap, ["oom_kill_process_fentry", "mark_victim"]),
    ]

    public static let clang: String? = Shell.which("/usr/bin/clang-14", "clang-14", "/usr/bin/clang")

    /// A clang of 15 or later, for the fixtures that say `lskel-fixture: clang >= 15` in their
    /// first lines (BTF type tags, `bpf_core_type_matches`): the Swift toolchain's (it targets BPF).
    public static let modernClang: String? = Shell.which("/opt/swift/usr/bin/clang", "clang-19", "clang-18", "clang-17", "clang-16", "clang-15")

    static func compiler(for source: String) -> String? {
        let head = (try? String(contentsOfFile: "\(sourceDirectory)/\(source)", encoding: .utf8))?.prefix(400) ?? ""
        return head.contains("lskel-fixture: clang >= 15") ? modernClang : clang
    }

    public struct Build: Sendable {
        public var directory: String
        public var failures: [String: String]
    }

    /// Compiles every fixture once, on every core; compile errors are kept per fixture.
    public static let build: Build = {
        let directory = NSTemporaryDirectory() + "lskel-fixtures-\(getpid())"
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let sources = ((try? FileManager.default.contentsOfDirectory(atPath: sourceDirectory)) ?? [])
            .filter { $0.hasSuffix(".bpf.c") }.sorted()
        let failures = Locked<[String: String]>([:])
        DispatchQueue.concurrentPerform(iterations: sources.count) { index in
            let source = sources[index]
            let stem = String(source.dropLast(".bpf.c".count))
            guard let clang = compiler(for: source) else {
                failures.update { $0[stem] = "no clang found (this fixture needs clang 15 or later: see its first lines)" }
                return
            }
            let result = try? Shell.run(clang, [
                "-target", "bpf", "-g", "-O2", "-D__TARGET_ARCH_x86",
                "-I", sourceDirectory, "-I", "/usr/include/\(multiarch)",
                "-c", "\(sourceDirectory)/\(source)", "-o", "\(directory)/\(stem).bpf.o",
            ])
            if result?.status != 0 {
                failures.update { $0[stem] = result?.stderrText ?? "clang did not run" }
            }
        }
        return Build(directory: directory, failures: failures.value)
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

/// A value behind a lock, for the parallel fixture build.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value

    init(_ value: Value) { stored = value }

    var value: Value { lock.withLock { stored } }

    func update(_ body: (inout Value) -> Void) { lock.withLock { body(&stored) } }
}
