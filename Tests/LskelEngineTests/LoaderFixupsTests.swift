import BPFObject
import Testing
@testable import LskelEngine

/// The two rewrites that bring libbpf 1.1.2's typed-ksym loader code to
/// bpftool's (the Linux 6.1 tree's), on the instruction patterns gen_loader emits.
@Suite("Loader fix-ups")
struct LoaderFixupsTests {
    typealias Op = Instruction.Opcode
    static func bytes(_ insns: [Instruction]) -> [UInt8] { insns.flatMap(\.littleEndianBytes) }
    static let mapIndexValue = LdImm64Source.mapIndexValue.rawValue

    /// `move_blob2blob(dst, 4, src)`: ld_imm64 r2 = src; r0 = *(u32 *)r2; ld_imm64 r1 = dst; *(u32 *)r1 = r0.
    static func blobCopy(destination: Int32, source: Int32) -> [Instruction] {
        [Instruction(code: Op.ldImm64, dst: 2, src: mapIndexValue, off: 0, imm: 0), Instruction(code: 0, dst: 0, src: 0, off: 0, imm: source),
         Instruction(code: Op.ldxW, dst: 0, src: 2, off: 0, imm: 0),
         Instruction(code: Op.ldImm64, dst: 1, src: mapIndexValue, off: 0, imm: 0), Instruction(code: 0, dst: 0, src: 0, off: 0, imm: destination),
         Instruction(code: Op.stxW, dst: 1, src: 0, off: 0, imm: 0)]
    }

    @Test("a repeated ksym copies the fd (insn + 12) before the btf_id (insn + 4)")
    func copyOrder() {
        let first = Self.blobCopy(destination: 100 + 4, source: 8)
        let second = Self.blobCopy(destination: 100 + 12, source: 12)
        let jump = Instruction(code: Op.jneK, dst: 0, src: 0, off: 3, imm: 0)
        let input = Self.bytes(first + second + [jump])
        #expect(LoaderFixups.apply(input) == Self.bytes(second + first + [jump]))
        // Without the JNE that follows gen_loader's copies, nothing moves.
        let other = Self.bytes(first + second + [Instruction(code: Op.ja, dst: 0, src: 0, off: 3, imm: 0)])
        #expect(LoaderFixups.apply(other) == other)
    }

    @Test("the src_reg adjustment is skipped with JA +3, not an always-true JSGE")
    func skipJump() {
        let store = Instruction(code: Op.stxW, dst: 8, src: 7, off: 12, imm: 0)
        let jsge = Instruction(code: Op.jsgeK, dst: 7, src: 0, off: 3, imm: 0)
        let load = Instruction(code: Op.ldxB, dst: 9, src: 8, off: 1, imm: 0)
        let ja = Instruction(code: Op.ja, dst: 0, src: 0, off: 3, imm: 0)
        #expect(LoaderFixups.apply(Self.bytes([store, jsge, load])) == Self.bytes([store, ja, load]))
        // The other JSGE r7, 0, +3 of gen_loader (after a helper call) stays.
        let call = Instruction(code: Op.call, dst: 0, src: 0, off: 0, imm: 1)
        #expect(LoaderFixups.apply(Self.bytes([call, jsge, load])) == Self.bytes([call, jsge, load]))
        // Lengths never change, and a partial trailing instruction is left alone.
        let odd = Self.bytes([store, jsge]) + [1, 2, 3]
        #expect(LoaderFixups.apply(odd).count == odd.count)
    }
}
