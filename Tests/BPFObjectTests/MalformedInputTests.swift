import Foundation
import Testing
@testable import BPFObject

/// Runs `body` and returns the ObjectReadError it throws, recording an issue if it succeeds.
func expectFailure<T>(_ what: String, _ body: () throws(ObjectReadError) -> T,
                      sourceLocation: SourceLocation = #_sourceLocation) -> ObjectReadError? {
    do {
        _ = try body()
        Issue.record("\(what): expected an ObjectReadError", sourceLocation: sourceLocation)
        return nil
    } catch {
        return error
    }
}

@Suite("BPF object reader: malformed input")
struct MalformedInputTests {
    /// Offset in the file of field `fieldOffset` of section header `index`.
    func shdrField(_ bytes: [UInt8], _ index: Int, _ fieldOffset: Int) throws -> Int {
        let elf = try ELFFile(bytes: bytes)
        _ = elf
        let shoff = Int(bytes.le32(at: 40)) // e_shoff (high half is zero in fixtures)
        return shoff + index * 64 + fieldOffset
    }

    @Test func truncatedFiles() throws {
        let bytes = try Fixtures.object("core")
        for len in [0, 3, 10, 16, 40, 63] {
            let e = expectFailure("prefix \(len)") { () throws(ObjectReadError) in try ObjectSummary(bytes: Array(bytes.prefix(len))) }
            guard case .truncated? = e else { Issue.record("prefix \(len): \(String(describing: e))"); continue }
        }
        for len in [64, 200, bytes.count / 2, bytes.count - 64, bytes.count - 1] {
            let e = expectFailure("prefix \(len)") { () throws(ObjectReadError) in try ObjectSummary(bytes: Array(bytes.prefix(len))) }
            switch e {
            case .truncated?, .absurdCount?, .sectionOutOfRange?: break
            default: Issue.record("prefix \(len): \(String(describing: e))")
            }
        }
    }

    @Test func headerErrors() throws {
        let bytes = try Fixtures.object("maps")
        var b = bytes
        b[18] = 62; b[19] = 0
        #expect(expectFailure("e_machine") { () throws(ObjectReadError) in try ELFFile(bytes: b) } == .wrongMachine(62))
        b = bytes; b[0] = 0x7e
        #expect(expectFailure("magic") { () throws(ObjectReadError) in try ELFFile(bytes: b) } == .badMagic)
        b = bytes; b[4] = 1
        #expect(expectFailure("class") { () throws(ObjectReadError) in try ELFFile(bytes: b) } == .notELF64)
        b = bytes; b[5] = 9
        #expect(expectFailure("data") { () throws(ObjectReadError) in try ELFFile(bytes: b) } == .badByteOrder(9))
        b = bytes; b.putLE16(0xffff, at: 60)
        let e = expectFailure("e_shnum") { () throws(ObjectReadError) in try ELFFile(bytes: b) }
        guard case let .absurdCount(what, count, _)? = e else { Issue.record("\(String(describing: e))"); return }
        #expect(what == "e_shnum")
        #expect(count == 0xffff)
    }

    @Test func sectionRangeErrors() throws {
        let bytes = try Fixtures.object("core")
        let elf = try ELFFile(bytes: bytes)
        let btfSec = try #require(elf.section(named: ".BTF"))
        let extSec = try #require(elf.section(named: ".BTF.ext"))

        var b = bytes
        b.putLE64(UInt64(bytes.count - 8), at: try shdrField(bytes, btfSec.index, 24))
        #expect(expectFailure("offset") { () throws(ObjectReadError) in try ELFFile(bytes: b) }
                == .sectionOutOfRange(index: btfSec.index, name: ".BTF"))

        b = bytes
        b.putLE64(UInt64.max - 4, at: try shdrField(bytes, btfSec.index, 32))
        #expect(expectFailure("size overflow") { () throws(ObjectReadError) in try ELFFile(bytes: b) }
                == .sectionOutOfRange(index: btfSec.index, name: ".BTF"))

        b = bytes
        b.putLE64(btfSec.offset + 4, at: try shdrField(bytes, extSec.index, 24))
        let e = expectFailure("overlap") { () throws(ObjectReadError) in try ELFFile(bytes: b) }
        guard case let .overlappingSections(a, c)? = e else { Issue.record("\(String(describing: e))"); return }
        #expect(Set([a, c]) == [".BTF", ".BTF.ext"])

        b = bytes
        b.putLE32(0x7fff_ffff, at: try shdrField(bytes, btfSec.index, 0))
        #expect(expectFailure("shstrtab") { () throws(ObjectReadError) in try ELFFile(bytes: b) }
                == .badStringOffset(table: ".shstrtab", offset: 0x7fff_ffff))

        // Relocation section pointing at a symbol that does not exist.
        let rel = try #require(elf.relocationSections.first)
        b = bytes
        b.putLE32(0x00ff_ffff, at: Int(rel.section.offset) + 12)
        let e2 = expectFailure("symbol index") { () throws(ObjectReadError) in try ELFFile(bytes: b) }
        guard case .badSymbolIndex(section: rel.section.name, entry: 0, index: 0x00ff_ffff)? = e2 else {
            Issue.record("\(String(describing: e2))"); return
        }
    }

    @Test func btfErrorsInRealObject() throws {
        let bytes = try Fixtures.object("core")
        let elf = try ELFFile(bytes: bytes)
        let sec = try #require(elf.section(named: ".BTF"))
        let base = Int(sec.offset)
        let btf = try BTF(bytes: try elf.data(of: sec))

        // Bad string offset in the first type's name.
        var b = bytes
        b.putLE32(0x00ff_fff0, at: base + btf.typeRecordOffsets[0])
        #expect(expectFailure("name_off") { () throws(ObjectReadError) in try ObjectSummary(bytes: b) }
                == .badStringOffset(table: ".BTF", offset: 0x00ff_fff0))

        // A TYPEDEF pointing at itself.
        let tdIndex = try #require(btf.types.firstIndex { if case .typedef = $0 { true } else { false } })
        let tdID = UInt32(tdIndex + 1)
        b = bytes
        b.putLE32(tdID, at: base + btf.typeRecordOffsets[tdIndex] + 8)
        #expect(expectFailure("typedef cycle") { () throws(ObjectReadError) in try ObjectSummary(bytes: b) }
                == .btfCycle(typeID: tdID))

        // A reference past the last type.
        b = bytes
        b.putLE32(UInt32(btf.typeCount + 10), at: base + btf.typeRecordOffsets[tdIndex] + 8)
        #expect(expectFailure("bad ref") { () throws(ObjectReadError) in try ObjectSummary(bytes: b) }
                == .badTypeReference(from: tdID, to: UInt32(btf.typeCount + 10)))

        // Absurd type_len in the header.
        b = bytes
        b.putLE32(0xffff_fff0, at: base + 12)
        let e = expectFailure("type_len") { () throws(ObjectReadError) in try ObjectSummary(bytes: b) }
        guard case .absurdCount(what: ".BTF type_len", count: 0xffff_fff0, limit: _)? = e else {
            Issue.record("\(String(describing: e))"); return
        }

        // Absurd num_info in the first core_relo subsection of .BTF.ext.
        let extSec = try #require(elf.section(named: ".BTF.ext"))
        let eb = Int(extSec.offset)
        let hdrLen = Int(bytes.le32(at: eb + 4))
        let coreOff = Int(bytes.le32(at: eb + 24))
        b = bytes
        b.putLE32(0x4000_0000, at: eb + hdrLen + coreOff + 4 + 4)
        let e2 = expectFailure("num_info") { () throws(ObjectReadError) in try ObjectSummary(bytes: b) }
        guard case .absurdCount(what: _, count: 0x4000_0000, limit: _)? = e2 else { Issue.record("\(String(describing: e2))"); return }

        // core_relo record size smaller than the known record.
        b = bytes
        b.putLE32(8, at: eb + hdrLen + coreOff)
        let e3 = expectFailure("rec_size") { () throws(ObjectReadError) in try ObjectSummary(bytes: b) }
        guard case .badBTFExt? = e3 else { Issue.record("\(String(describing: e3))"); return }
    }

    @Test func syntheticBTFCycles() throws {
        // [1] TYPEDEF "a" -> [1]
        let s: [UInt8] = [0, 0x61, 0]
        #expect(expectFailure("self typedef") { () throws(ObjectReadError) in
            try BTF(bytes: makeBTF(typeWords: [1, btfInfo(kind: 8), 1], strings: s))
        } == .btfCycle(typeID: 1))
        // [1] CONST -> [2] VOLATILE -> [3] ARRAY of [1]; index type [4] INT
        let words: [UInt32] = [
            0, btfInfo(kind: 10), 2,
            0, btfInfo(kind: 9), 3,
            0, btfInfo(kind: 3), 0, 1, 4, 16,
            1, btfInfo(kind: 1), 4, 32,
        ]
        let e = expectFailure("const/volatile/array loop") { () throws(ObjectReadError) in
            try BTF(bytes: makeBTF(typeWords: words, strings: s))
        }
        guard case .btfCycle? = e else { Issue.record("\(String(describing: e))"); return }

        // struct a { struct a *next; int v[16]; } is fine: the loop goes through a member and a pointer.
        let ok: [UInt32] = [
            1, btfInfo(kind: 4, vlen: 2), 72,   // [1] struct a
            3, 2, 0,                             //   next: [2]
            8, 4, 64,                            //   v: [4]
            0, btfInfo(kind: 2), 1,              // [2] PTR -> [1]
            1, btfInfo(kind: 1), 4, 0x0100_0020, // [3] INT "a" signed 32
            0, btfInfo(kind: 3), 0, 3, 3, 16,    // [4] int [16]
            0, btfInfo(kind: 10), 6,             // [5] const -> [6]
            0, btfInfo(kind: 9), 3,              // [6] volatile -> [3]
            0, btfInfo(kind: 2), 2,              // [7] PTR -> PTR -> struct
        ]
        let names: [UInt8] = Array("\0a\0next\0v\0".utf8)
        let btf = try BTF(bytes: makeBTF(typeWords: ok, strings: names))
        #expect(btf.cDeclaration(of: 1) == "struct a")
        #expect(btf.cDeclaration(of: 2) == "struct a *")
        #expect(btf.cDeclaration(of: 7) == "struct a **")
        #expect(btf.cDeclaration(of: 4) == "a [16]")
        #expect(btf.cDeclaration(of: 5) == "const volatile a")
        #expect(try btf.resolveSize(of: 4) == 64)
        #expect(try btf.resolveSize(of: 1) == 72)
        #expect(try btf.fieldPath(rootTypeID: 1, accessString: "0:1:2") == "struct a.v[2]")
        #expect(try btf.fieldPath(rootTypeID: 1, accessString: "1:0") == "struct a[1].next")
        let e2 = expectFailure("bad access") { () throws(ObjectReadError) in try btf.fieldPath(rootTypeID: 1, accessString: "0:9") }
        guard case .badAccessString? = e2 else { Issue.record("\(String(describing: e2))"); return }
        let e3 = expectFailure("bad access") { () throws(ObjectReadError) in try btf.fieldPath(rootTypeID: 1, accessString: "0:x") }
        guard case .badAccessString? = e3 else { Issue.record("\(String(describing: e3))"); return }
    }

    @Test func instructionDecoding() throws {
        // ld_imm64 r1, map_fd 7 ; call 1 (helper) ; call pc+1 (src=1) ; call kfunc 99 (src=2) ; exit
        let prog: [UInt8] = [
            0x18, 0x11, 0, 0, 7, 0, 0, 0,  0, 0, 0, 0, 1, 0, 0, 0,
            0x85, 0x00, 0, 0, 1, 0, 0, 0,
            0x85, 0x10, 0, 0, 1, 0, 0, 0,
            0x85, 0x20, 0, 0, 99, 0, 0, 0,
            0x95, 0, 0, 0, 0, 0, 0, 0,
        ]
        let d = try decodeProgram(prog)
        #expect(d.map(\.index) == [0, 2, 3, 4, 5])
        #expect(d[0].kind == .ldImm64(value: 0x1_0000_0007, source: .mapFD, rawSource: 1))
        #expect(d[0].instruction.dst == 1)
        #expect(d[1].kind == .helperCall(id: 1))
        #expect(d[2].kind == .subprogramCall(relativeTarget: 1))
        #expect(d[3].kind == .kfuncCall(btfID: 99, moduleOffset: 0))
        #expect(d[4].kind == .exit)
        #expect(d[0].instruction.instructionClass == .ld)
        #expect(d[4].instruction.instructionClass == .jmp)

        let dangling = Array(prog.prefix(8))
        #expect(expectFailure("dangling") { () throws(ObjectReadError) in try decodeProgram(dangling) }
                == .badInstruction(section: "program", index: 0, reason: "ld_imm64 without its second half"))
        var badSecond = prog
        badSecond[8] = 0x85
        let e = expectFailure("bad second half") { () throws(ObjectReadError) in try decodeProgram(badSecond) }
        guard case .badInstruction(section: _, index: 1, reason: _)? = e else { Issue.record("\(String(describing: e))"); return }
        let e2 = expectFailure("odd size") { () throws(ObjectReadError) in try decodeProgram(Array(prog.prefix(20))) }
        guard case .badInstruction? = e2 else { Issue.record("\(String(describing: e2))"); return }
    }

    @Test func byteReaderBounds() throws {
        let r = ByteReader([1, 2, 3, 4, 5], what: "x")
        #expect(try r.u32(at: 0) == 0x0403_0201)
        var be = r
        be.byteOrder = .big
        #expect(try be.u16(at: 3) == 0x0405)
        #expect(expectFailure("u32") { () throws(ObjectReadError) in try r.u32(at: 2) }
                == .truncated(what: "x", offset: 2, needed: 4, available: 3))
        #expect(expectFailure("neg") { () throws(ObjectReadError) in try r.u8(at: -1) } != nil)
        #expect(expectFailure("huge") { () throws(ObjectReadError) in try r.u64(at: Int.max) } != nil)
        #expect(r.cString(at: 0) == nil)
    }

    /// Mutations per fixture: 400 in CI; `LSKEL_FUZZ_ITERATIONS` runs longer on
    /// demand and `LSKEL_FUZZ_SEED` explores other inputs.
    static let mutationsPerFixture = ProcessInfo.processInfo.environment["LSKEL_FUZZ_ITERATIONS"].flatMap(Int.init) ?? 400
    static let fuzzSeed = ProcessInfo.processInfo.environment["LSKEL_FUZZ_SEED"].flatMap { UInt64($0) } ?? 0x5EED_B9F0

    @Test func randomMutationsNeverTrap() throws {
        var rng = SplitMix64(state: Self.fuzzSeed)
        let names = ["maps", "globals", "core", "subprogs", "ksyms"]
        var outcomes = (ok: 0, failed: 0)
        for name in names {
            let original = try Fixtures.object(name)
            let elf = try ELFFile(bytes: original)
            // Bias half of the mutations toward the parts the reader interprets.
            var hot: [Range<Int>] = [0..<64]
            let shoff = Int(original.le32(at: 40))
            hot.append(shoff..<min(original.count, shoff + elf.sections.count * 64))
            for s in elf.sections where [".BTF", ".BTF.ext", ".symtab", ".maps"].contains(s.name) || s.isExecutable || s.type == ELF.SHT_REL {
                if s.size > 0 { hot.append(Int(s.offset)..<Int(s.offset + s.size)) }
            }
            for _ in 0..<Self.mutationsPerFixture {
                var b = original
                let flips = Int.random(in: 1...6, using: &rng)
                for _ in 0..<flips {
                    let pos: Int
                    if Bool.random(using: &rng), let range = hot.randomElement(using: &rng), !range.isEmpty {
                        pos = Int.random(in: range, using: &rng)
                    } else {
                        pos = Int.random(in: 0..<b.count, using: &rng)
                    }
                    b[pos] = UInt8.random(in: 0...255, using: &rng)
                }
                do {
                    let obj = try ObjectSummary(bytes: b)
                    outcomes.ok += 1
                    // Exercise the helpers on whatever parsed.
                    _ = obj.callSites
                    _ = obj.license
                    if let btf = obj.btf {
                        for id in 0..<UInt32(btf.typeCount) {
                            _ = btf.cDeclaration(of: id)
                            _ = try? btf.resolveSize(of: id)
                        }
                        for s in obj.btfExt?.coreRelos ?? [] {
                            for r in s.records { _ = try? btf.fieldPath(rootTypeID: r.typeID, accessString: r.accessString) }
                        }
                    }
                } catch {
                    outcomes.failed += 1
                    _ = error.description
                }
            }
        }
        #expect(outcomes.ok + outcomes.failed == names.count * Self.mutationsPerFixture)
        print("reader mutation run: \(outcomes.ok + outcomes.failed) inputs, \(outcomes.ok) parsed, \(outcomes.failed) rejected with typed errors, 0 traps")
        #expect(outcomes.failed > 0)
        #expect(outcomes.ok > 0)
    }
}
