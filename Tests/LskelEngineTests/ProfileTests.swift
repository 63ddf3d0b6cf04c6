import Foundation
import LskelTestSupport
import Testing
@testable import LskelEngine

@Suite("Target profile and skeleton names")
struct ProfileTests {
    @Test("kernel releases parse the way libbpf's sscanf(\"%u.%u.%u\") reads them")
    func releaseParsing() {
        #expect(TargetProfile(kernelRelease: "6.1.0-13-amd64").kernelVersionCode == 0x06_01_00)
        #expect(TargetProfile(kernelRelease: "5.15.120").kernelVersionCode == 0x05_0f_78)
        // libbpf clamps the patch level at 255, as KERNEL_VERSION() does.
        #expect(TargetProfile(kernelRelease: "4.19.300").kernelVersionCode == 0x04_13_ff)
        #expect(TargetProfile(kernelRelease: "6.18").kernelVersionCode == nil)
        #expect(TargetProfile().kernelVersionCode == nil)
    }

    @Test("malformed profile values are rejected with the value named", arguments: [
        TargetProfile(kernelRelease: "linux"),
        TargetProfile(kernelRelease: "6.1"),
        TargetProfile(kernelRelease: "6.1.0 amd64"),
        TargetProfile(possibleCPUs: 0),
        TargetProfile(possibleCPUs: 100_000),
        TargetProfile(pageSize: 3000),
        TargetProfile(pageSize: 1 << 20),
        TargetProfile(kconfig: "CONFIG_A=y\u{0}"),
        TargetProfile(maxEntries: ["events": 0]),
    ])
    func invalidProfiles(profile: TargetProfile) {
        #expect(throws: GenerationError.self) { try profile.validate() }
        do {
            try profile.validate()
        } catch let error as GenerationError {
            #expect(error.kind == .invalidProfile)
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test("MAP=N overrides")
    func maxEntriesParsing() throws {
        let parsed = try TargetProfile.parseMaxEntries("events=4096")
        #expect(parsed.map == "events" && parsed.value == 4096)
        for bad in ["events", "=5", "events=", "events=0", "events=-1", "events=99999999999"] {
            #expect(throws: GenerationError.self, "\(bad)") { try TargetProfile.parseMaxEntries(bad) }
        }
    }

    @Test("a kernel config is read plain, gzipped (one member, or several), and the host's as zcat reads it")
    func configFiles() throws {
        let directory = NSTemporaryDirectory() + "lskel-config-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let text = (0..<9000).map { "CONFIG_OPTION_\($0)=\($0 % 3 == 0 ? "y" : "\"value \($0)\"")\n" }.joined()
        let half = text.utf8.count / 2
        let first = String(decoding: Array(text.utf8)[..<half], as: UTF8.self)
        let second = String(decoding: Array(text.utf8)[half...], as: UTF8.self)
        try text.write(toFile: "\(directory)/plain", atomically: true, encoding: .utf8)
        try first.write(toFile: "\(directory)/a", atomically: true, encoding: .utf8)
        try second.write(toFile: "\(directory)/b", atomically: true, encoding: .utf8)
        let made = try Shell.run("/bin/sh", ["-c", """
            cd '\(directory)' && gzip -c plain > one.gz && gzip -c a > two.gz && gzip -c b >> two.gz \
              && head -c -4 one.gz > badsize.gz && printf '\\001\\000\\000\\000' >> badsize.gz
            """])
        #expect(made.status == 0, "\(made.stderrText)")
        #expect(try HostProfile.readText("\(directory)/plain") == text)
        #expect(try HostProfile.readText("\(directory)/one.gz") == text)
        // Two members: the trailer gives the last one's size; read as a stream instead.
        #expect(try HostProfile.readText("\(directory)/two.gz") == text)
        // A trailer whose size is wrong is a corrupt file: refused, not cut to that size.
        #expect(throws: GenerationError.self) { try HostProfile.readText("\(directory)/badsize.gz") }
        #expect(throws: GenerationError.self) { try HostProfile.readText("\(directory)/missing.gz") }
        if FileManager.default.fileExists(atPath: "/proc/config.gz") {
            let zcat = try Shell.run("/bin/sh", ["-c", "zcat /proc/config.gz"])
            #expect(try HostProfile.readText("/proc/config.gz") == String(decoding: zcat.stdout, as: UTF8.self))
        }
    }

    @Test("possible CPU lists count CPUs, not the highest index")
    func cpuLists() {
        #expect(HostProfile.possibleCPUCount("0-1\n") == 2)
        #expect(HostProfile.possibleCPUCount("0-3,8-11") == 8)
        #expect(HostProfile.possibleCPUCount("0") == 1)
        #expect(HostProfile.possibleCPUCount("") == nil)
        #expect(HostProfile.possibleCPUCount("3-1") == nil)
        #expect(HostProfile.possibleCPUCount("0-3,2-5") == 6)
        #expect(HostProfile.possibleCPUCount("63-64,0") == 3)
        #expect(HostProfile.possibleCPUCount("0-65535") == 65536)
        #expect(HostProfile.possibleCPUCount("0-65536") == nil)
        #expect(HostProfile.possibleCPUCount("x") == nil)
    }

    @Test("skeleton names follow bpftool's rule")
    func skeletonNames() throws {
        #expect(try SkeletonName.fromFileName("maps.bpf.o") == "maps_bpf")
        #expect(try SkeletonName.fromFileName("/a/b/x-y.o") == "x_y")
        #expect(try SkeletonName.fromFileName("prog") == "prog")
        #expect(try SkeletonName.fromFileName("probe.bpf.obj") == "probe_bpf_obj")
        // A name bpftool would emit as a non-identifier is refused instead.
        #expect(throws: GenerationError.self) { try SkeletonName.fromFileName("1st.bpf.o") }
        #expect(throws: GenerationError.self) { try SkeletonName.validated("has space") }
        #expect(throws: GenerationError.self) { try SkeletonName.validated(String(repeating: "a", count: 64)) }
        #expect(try SkeletonName.validated(String(repeating: "a", count: 63)).count == 63)
    }
}
