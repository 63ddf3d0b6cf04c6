/// The source pseudo-register of an `ld_imm64` instruction (what the 64-bit immediate means).
public enum LdImm64Source: UInt8, Sendable {
    /// Plain 64-bit constant.
    case none = 0
    /// BPF_PSEUDO_MAP_FD: imm is a map fd.
    case mapFD = 1
    /// BPF_PSEUDO_MAP_VALUE: imm is a map fd, second imm an offset into its value.
    case mapValue = 2
    /// BPF_PSEUDO_BTF_ID: imm is a kernel BTF ID (ksym).
    case btfID = 3
    /// BPF_PSEUDO_FUNC: imm is a relative instruction offset of a function.
    case function = 4
    /// BPF_PSEUDO_MAP_IDX: imm is an index into the fd array.
    case mapIndex = 5
    /// BPF_PSEUDO_MAP_IDX_VALUE: map index plus value offset.
    case mapIndexValue = 6
}

/// One raw 8-byte BPF instruction (`struct bpf_insn`).
public struct Instruction: Sendable, Equatable {
    /// The opcode byte.
    public var code: UInt8
    /// Destination register (0...15).
    public var dst: UInt8
    /// Source register (0...15), or a pseudo-source for calls and ld_imm64.
    public var src: UInt8
    /// Signed 16-bit offset.
    public var off: Int16
    /// Signed 32-bit immediate.
    public var imm: Int32

    /// The instruction class (`code & 7`): 0 LD, 1 LDX, 2 ST, 3 STX, 4 ALU, 5 JMP, 6 JMP32, 7 ALU64.
    public var instructionClass: UInt8 { code & 0x07 }
    /// The opcode of `ld_imm64`'s first half: BPF_LD | BPF_IMM | BPF_DW.
    public static let ldImm64Opcode: UInt8 = 0x18
    /// Whether this is the first half of `ld_imm64` (BPF_LD | BPF_IMM | BPF_DW = 0x18).
    public var isLdImm64: Bool { code == Self.ldImm64Opcode }
    /// Whether this is `call` (BPF_JMP | BPF_CALL = 0x85).
    public var isCall: Bool { code == 0x85 }
    /// Whether this is `exit` (BPF_JMP | BPF_EXIT = 0x95).
    public var isExit: Bool { code == 0x95 }

    /// Decodes 8 bytes at `offset` of `reader`. In big-endian objects the
    /// register nibbles are swapped (dst high, src low), as the kernel defines.
    public init(reader: ByteReader, offset: Int) throws(ObjectReadError) {
        code = try reader.u8(at: offset)
        let regs = try reader.u8(at: offset + 1)
        if reader.byteOrder == .little {
            dst = regs & 0xf
            src = regs >> 4
        } else {
            dst = regs >> 4
            src = regs & 0xf
        }
        off = Int16(bitPattern: try reader.u16(at: offset + 2))
        imm = try reader.i32(at: offset + 4)
    }

    /// Builds an instruction from its fields.
    public init(code: UInt8, dst: UInt8, src: UInt8, off: Int16, imm: Int32) {
        self.code = code
        self.dst = dst
        self.src = src
        self.off = off
        self.imm = imm
    }
}

/// What a decoded instruction does, for the cases a reader cares about.
public enum InstructionKind: Sendable, Equatable {
    /// `ld_imm64` (two slots) with its 64-bit value and pseudo source (nil if the source is unknown).
    case ldImm64(value: UInt64, source: LdImm64Source?, rawSource: UInt8)
    /// Call of helper number `id` (src = 0).
    case helperCall(id: Int32)
    /// BPF-to-BPF call (src = 1); target is `index + 1 + relativeTarget`.
    case subprogramCall(relativeTarget: Int32)
    /// kfunc call (src = 2) of kernel BTF ID `btfID` (0 before relocation).
    case kfuncCall(btfID: Int32, moduleOffset: Int16)
    /// `exit`.
    case exit
    /// Anything else.
    case other
}

/// A decoded instruction and its position.
public struct DecodedInstruction: Sendable, Equatable {
    /// Index in 8-byte slots from the start of the section/program.
    public var index: Int
    /// The (first) raw instruction.
    public var instruction: Instruction
    /// The second half for `ld_imm64`, else nil.
    public var second: Instruction?
    /// What it does.
    public var kind: InstructionKind
}

/// Decodes a whole program image (length must be a multiple of 8). A
/// trailing or malformed second half of `ld_imm64` is rejected.
public func decodeProgram(_ bytes: [UInt8], byteOrder: ByteOrder = .little, section: String = "program") throws(ObjectReadError) -> [DecodedInstruction] {
    let r = ByteReader(bytes, byteOrder: byteOrder, what: section)
    return try decodeProgram(r, section: section)
}

/// Decodes the instructions in `reader`'s window.
public func decodeProgram(_ r: ByteReader, section: String) throws(ObjectReadError) -> [DecodedInstruction] {
    guard r.count % 8 == 0 else {
        throw .badInstruction(section: section, index: r.count / 8, reason: "size \(r.count) is not a multiple of 8")
    }
    let n = r.count / 8
    var out: [DecodedInstruction] = []
    out.reserveCapacity(n)
    var i = 0
    while i < n {
        let insn = try Instruction(reader: r, offset: i * 8)
        if insn.isLdImm64 {
            guard i + 1 < n else {
                throw .badInstruction(section: section, index: i, reason: "ld_imm64 without its second half")
            }
            let hi = try Instruction(reader: r, offset: (i + 1) * 8)
            guard hi.code == 0, hi.dst == 0, hi.src == 0, hi.off == 0 else {
                throw .badInstruction(section: section, index: i + 1, reason: "malformed second half of ld_imm64")
            }
            let value = UInt64(UInt32(bitPattern: hi.imm)) << 32 | UInt64(UInt32(bitPattern: insn.imm))
            out.append(DecodedInstruction(index: i, instruction: insn, second: hi,
                                          kind: .ldImm64(value: value, source: LdImm64Source(rawValue: insn.src), rawSource: insn.src)))
            i += 2
            continue
        }
        let kind: InstructionKind
        if insn.isCall {
            switch insn.src {
            case 0: kind = .helperCall(id: insn.imm)
            case 1: kind = .subprogramCall(relativeTarget: insn.imm)
            case 2: kind = .kfuncCall(btfID: insn.imm, moduleOffset: insn.off)
            default:
                throw .badInstruction(section: section, index: i, reason: "call with unknown src \(insn.src)")
            }
        } else if insn.isExit {
            kind = .exit
        } else {
            kind = .other
        }
        out.append(DecodedInstruction(index: i, instruction: insn, second: nil, kind: kind))
        i += 1
    }
    return out
}
