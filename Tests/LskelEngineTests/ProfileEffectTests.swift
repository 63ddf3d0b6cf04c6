import Foundation
import LskelTestSupport
import Testing
@testable import LskelEngine

/// Each profile value lands in the loader, and only through the profile.
@Suite("Profile values in the loader")
struct ProfileEffectTests {
    static func generate(_ fixture: String, _ profile: TargetProfile) throws -> GeneratedLoader {
        try LoaderGenerator.generate(object: try Fixtures.bytes(fixture), name: Fixtures.skeletonName(fixture), profile: profile)
    }

    @Test("a perf-event array without max_entries is sized from the profile's CPU count")
    func cpus() throws {
        for cpus in [2, 64, 4096] {
            let loader = try Self.generate("maps", TargetProfile(possibleCPUs: cpus))
            let perf = loader.maps.filter { $0.type == 4 }  // BPF_MAP_TYPE_PERF_EVENT_ARRAY
            #expect(!perf.isEmpty)
            #expect(perf.allSatisfy { $0.maxEntries == UInt32(cpus) })
            #expect(loader.consumedProfile.contains("cpus"))
        }
        let defaulted = try Self.generate("maps", TargetProfile())
        #expect(defaulted.maps.filter { $0.type == 4 }.allSatisfy { $0.maxEntries == UInt32(TargetProfile.defaultPossibleCPUs) })
    }

    @Test("max_entries overrides apply by map name; unknown names and global data are refused")
    func maxEntries() throws {
        let loader = try Self.generate("maps", TargetProfile(maxEntries: ["hash_map": 777]))
        let hash = try #require(loader.maps.first { $0.name == "hash_map" }, "maps: \(loader.maps.map(\.name))")
        #expect(hash.maxEntries == 777)
        #expect(throws: GenerationError.self) { try Self.generate("maps", TargetProfile(maxEntries: ["nope": 1])) }
        let globals = try Self.generate("globals", TargetProfile())
        let data = try #require(globals.maps.first { $0.isInternal })
        #expect(throws: GenerationError.self) { try Self.generate("globals", TargetProfile(maxEntries: [data.name: 2])) }
    }

    @Test("LINUX_KERNEL_VERSION and CONFIG_* values come from the profile")
    func kconfigValues() throws {
        let config = "CONFIG_BPF_SYSCALL=y\nCONFIG_HZ=1000\n"
        let a = try Self.generate("kconfig", TargetProfile(kernelRelease: "5.15.0-91-generic", kconfig: config))
        let b = try Self.generate("kconfig", TargetProfile(kernelRelease: "6.1.0", kconfig: config))
        let kconfigA = try #require(a.maps.first { $0.ident == "kconfig" })
        let kconfigB = try #require(b.maps.first { $0.ident == "kconfig" })
        #expect(kconfigA.initialData != kconfigB.initialData)
        #expect(contains(kconfigA.initialData, le32: (5 << 16) | (15 << 8)))
        #expect(contains(kconfigB.initialData, le32: (6 << 16) | (1 << 8)))
        #expect(contains(kconfigA.initialData, le32: 1000))
        #expect(a.consumedProfile.isSuperset(of: ["kernel_release", "kconfig"]))
        // Without a release the version extern has no value: an error naming it.
        #expect {
            try Self.generate("kconfig", TargetProfile(kconfig: config))
        } throws: { error in
            (error as? GenerationError)?.kind == .unresolvedExtern && "\(error)".contains("LINUX_KERNEL_VERSION")
        }
        // Without the strong CONFIG_BPF_SYSCALL: an error naming it.
        #expect {
            try Self.generate("kconfig", TargetProfile(kernelRelease: "6.1.0", kconfig: "CONFIG_HZ=100\n"))
        } throws: { error in
            (error as? GenerationError)?.kind == .unresolvedExtern && "\(error)".contains("CONFIG_BPF_SYSCALL")
        }
    }

    @Test("the page size sizes mmapped data in the header")
    func pageSize() throws {
        let small = try Self.generate("globals", TargetProfile(pageSize: 4096))
        let large = try Self.generate("globals", TargetProfile(pageSize: 65536))
        #expect(small.header.contains(", 4096, "))
        #expect(large.header.contains(", 65536, "))
        #expect(!large.header.contains(", 4096, "))
    }

    @Test("the same object, name and profile give the same bytes every time")
    func deterministic() throws {
        for fixture in Fixtures.supported {
            let profile = TargetProfile(kernelRelease: "6.1.0", possibleCPUs: 8,
                                        kconfig: "CONFIG_BPF_SYSCALL=y\nCONFIG_HZ=250\nCONFIG_BPF_JIT=y\n")
            let first = try Self.generate(fixture, profile)
            let second = try Self.generate(fixture, profile)
            #expect(first.header == second.header && first.insns == second.insns && first.data == second.data, "\(fixture)")
        }
    }

    func contains(_ bytes: [UInt8], le32 value: UInt32) -> Bool {
        let needle = withUnsafeBytes(of: value.littleEndian, Array.init)
        guard bytes.count >= 4 else { return false }
        return (0...(bytes.count - 4)).contains { Array(bytes[$0..<$0 + 4]) == needle }
    }
}
