import BPFObject

/// Rewrites of the loader program that bring libbpf 1.1.2's gen-loader output
/// to what Debian's bpftool 7.1 emits.
///
/// Debian builds bpftool from the Linux 6.1 stable tree, whose libbpf carries
/// the upstream fix "Fix ld_imm64 copy logic for ksym in light skeleton"
/// (libbpf 1.2). libbpf-dev 1.1.2 does not. The fix touches only the code
/// emitted for typed ksyms (`emit_relo_ksym_btf`), and both of its changes are
/// length-preserving, so they are applied here to the emitted instructions:
///
/// 1. A repeated ksym copies `insn[1].imm` (btf_obj_fd) before `insn[0].imm`
///    (btf_id), so the `JNE r0, 0, +3` that follows tests the btf_id; 1.1.2
///    copies them the other way round and tests the fd, which can wrongly clear
///    `BPF_PSEUDO_BTF_ID`.
/// 2. "skip src_reg adjustment" is an unconditional `JA +3` instead of an
///    always-true `JSGE r7, 0, +3`.
enum LoaderFixups {
    typealias Op = Instruction.Opcode
    static let r0: UInt8 = 0, r1: UInt8 = 1, r2: UInt8 = 2, r7: UInt8 = 7, r8: UInt8 = 8, r9: UInt8 = 9
    static let mapIndexValue = LdImm64Source.mapIndexValue.rawValue

    /// The loader instructions with both rewrites applied.
    static func apply(_ insns: [UInt8]) -> [UInt8] {
        var out = insns
        let size = Instruction.size
        let count = insns.count / size
        // Decoded once and kept equal to `out` through the rewrites: the patterns
        // below look at up to thirteen instructions from every index.
        var decoded = Instruction.decodeLittleEndian(insns)
        func insn(_ index: Int) -> Instruction? {
            guard index >= 0, index < count else { return nil }
            return decoded[index]
        }
        var index = 0
        while index < count {
            // Rewrite 2: STX_MEM(W, r8, r7, 12); JSGE r7, 0, +3; LDX_MEM(B, r9, r8, 1)
            if let store = insn(index - 1), let jump = insn(index), let load = insn(index + 1),
               store == Instruction(code: Op.stxW, dst: r8, src: r7, off: 12, imm: 0),
               jump == Instruction(code: Op.jsgeK, dst: r7, src: 0, off: 3, imm: 0),
               load == Instruction(code: Op.ldxB, dst: r9, src: r8, off: 1, imm: 0) {
                let always = Instruction(code: Op.ja, dst: 0, src: 0, off: 3, imm: 0)
                out.replaceSubrange(index * size ..< (index + 1) * size, with: always.littleEndianBytes)
                decoded[index] = always
            }
            // Rewrite 1: two 6-instruction blob copies of insn+4 then insn+12, then JNE r0, 0, +3.
            if let first = blobCopy(at: index, insn), let second = blobCopy(at: index + 6, insn),
               first.destination + 8 == second.destination,
               let jump = insn(index + 12), jump == Instruction(code: Op.jneK, dst: r0, src: 0, off: 3, imm: 0) {
                let firstBytes = Array(out[index * size ..< (index + 6) * size])
                let secondBytes = Array(out[(index + 6) * size ..< (index + 12) * size])
                out.replaceSubrange(index * size ..< (index + 12) * size, with: secondBytes + firstBytes)
                decoded.replaceSubrange(index ..< index + 12, with: Array(decoded[index + 6 ..< index + 12] + decoded[index ..< index + 6]))
                index += 12
                continue
            }
            index += 1
        }
        return out
    }

    /// gen_loader's `move_blob2blob` of 4 bytes starting at `index`; returns the destination offset.
    static func blobCopy(at index: Int, _ insn: (Int) -> Instruction?) -> (destination: Int32, source: Int32)? {
        guard let loadSource = insn(index), let sourceHigh = insn(index + 1),
              let read = insn(index + 2),
              let loadDestination = insn(index + 3), let destinationHigh = insn(index + 4),
              let write = insn(index + 5),
              loadSource.code == Op.ldImm64, loadSource.dst == r2, loadSource.src == mapIndexValue,
              read == Instruction(code: Op.ldxW, dst: r0, src: r2, off: 0, imm: 0),
              loadDestination.code == Op.ldImm64, loadDestination.dst == r1, loadDestination.src == mapIndexValue,
              write == Instruction(code: Op.stxW, dst: r1, src: r0, off: 0, imm: 0)
        else { return nil }
        return (destinationHigh.imm, sourceHigh.imm)
    }
}
