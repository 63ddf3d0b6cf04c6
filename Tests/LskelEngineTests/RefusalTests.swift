import Foundation
import LskelTestSupport
import Testing
@testable import LskelEngine

@Suite("Refusals and malformed input")
struct RefusalTests {
    @Test("libbpf 1.1's limits are refused with the feature and the symbol named",
          arguments: Fixtures.refused.map(\.fixture))
    func refused(fixture: String) throws {
        let expected = try #require(Fixtures.refused.first { $0.fixture == fixture })
        do {
            _ = try LoaderGenerator.generate(object: try Fixtures.bytes(fixture), name: Fixtures.skeletonName(fixture),
                                             profile: Fixtures.hostProfile)
            Issue.record("\(fixture) was not refused")
        } catch let error as GenerationError {
            #expect(error.kind == expected.kind, "\(error)")
            #expect(error.isInputFault)
            for name in expected.names {
                #expect(error.detail.contains(name), "detail does not name \(name): \(error.detail)")
            }
        }
    }

    @Test("the refusals that libbpf itself detects carry libbpf's lines", arguments: [
        ("legacy_maps", "legacy map definitions"),
        ("unresolved_kconfig", "CONFIG_LSKEL_NOT_A_REAL_OPTION"),
        ("unknown_virtual", "LINUX_LSKEL_UNKNOWN"),
        ("prog_array_init", "jump_table"),
    ])
    func libbpfLines(fixture: String, text: String) throws {
        #expect {
            _ = try LoaderGenerator.generate(object: try Fixtures.bytes(fixture), name: Fixtures.skeletonName(fixture),
                                             profile: Fixtures.hostProfile)
        } throws: { error in
            guard let error = error as? GenerationError else { return false }
            return error.libbpfLog.contains { $0.contains(text) }
        }
    }

    @Test("32 programs are within the limit and load")
    func thirtyTwoPrograms() throws {
        let loader = try LoaderGenerator.generate(object: try Fixtures.bytes("many32"), name: "many32_bpf", profile: TargetProfile())
        #expect(loader.programs.count == 32)
        #expect(loader.libbpfProgramCount == 32)
    }

    @Test("global subprograms count towards the limit as libbpf counts them")
    func subprogramsCount() throws {
        let bytes = try Fixtures.bytes("toomany_subprogs")
        #expect {
            _ = try LoaderGenerator.generate(object: bytes, name: "toomany_subprogs_bpf", profile: TargetProfile())
        } throws: { error in
            (error as? GenerationError)?.detail.contains("33 programs") == true
        }
    }

    @Test("malformed objects give a typed error, never a crash")
    func malformed() throws {
        let good = try Fixtures.bytes("maps")
        var wrongMachine = good
        wrongMachine[18] = 0x3e  // EM_X86_64
        wrongMachine[19] = 0
        var badSectionTable = good
        // e_shoff past the end of the file
        for i in 0..<8 { badSectionTable[0x28 + i] = 0xff }
        var hugeSectionCount = good
        hugeSectionCount[0x3c] = 0xff
        hugeSectionCount[0x3d] = 0xff
        let cases: [(String, [UInt8])] = [
            ("empty", []),
            ("not ELF", Array("hello, world".utf8)),
            ("ELF magic only", [0x7f, 0x45, 0x4c, 0x46]),
            ("truncated to 64 bytes", Array(good.prefix(64))),
            ("truncated to half", Array(good.prefix(good.count / 2))),
            ("wrong machine", wrongMachine),
            ("section table out of range", badSectionTable),
            ("absurd section count", hugeSectionCount),
        ]
        for (label, bytes) in cases {
            #expect(throws: GenerationError.self, "\(label)") {
                _ = try LoaderGenerator.generate(object: bytes, name: "bad", profile: TargetProfile())
            }
        }
        // The generator still works after all of them.
        #expect(try LoaderGenerator.generate(object: good, name: "maps_bpf", profile: TargetProfile()).maps.count > 0)
    }
}
