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

/// The class of an instruction (`BPF_CLASS(code)`).
public enum InstructionClass: UInt8, Sendable {
    case ld = 0, ldx = 1, st = 2, stx = 3, alu = 4, jmp = 5, jmp32 = 6, alu64 = 7
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

    /// The instruction class (`code & 7`).
    public var instructionClass: InstructionClass { InstructionClass(rawValue: code & 0x07) ?? .ld }
    /// Whether this is the first half of `ld_imm64`.
    public var isLdImm64: Bool { code == Opcode.ldImm64 }
    /// Whether this is `call`.
    public var isCall: Bool { code == Opcode.call }
    /// Whether this is `exit`.
    public var isExit: Bool { code == Opcode.exit }

    /// The opcodes lskel reads or rewrites, as the kernel composes them (class | size/op | mode/source).
    public enum Opcode {
        /// BPF_LD | BPF_IMM | BPF_DW: the first half of `ld_imm64`.
        public static let ldImm64: UInt8 = 0x18
        /// BPF_LDX | BPF_MEM | BPF_W, | BPF_B and | BPF_DW.
        public static let ldxW: UInt8 = 0x61
        public static let ldxDW: UInt8 = 0x79
        public static let ldxB: UInt8 = 0x71
        /// BPF_STX | BPF_MEM | BPF_W.
        public static let stxW: UInt8 = 0x63
        /// BPF_JMP | BPF_JA, | BPF_JNE | BPF_K, | BPF_JSGE | BPF_K, | BPF_CALL, | BPF_EXIT.
        public static let ja: UInt8 = 0x05
        public static let jneK: UInt8 = 0x55
        /// BPF_JMP | BPF_JNE | BPF_X.
        public static let jneX: UInt8 = 0x5d
        /// BPF_ALU64 | BPF_MOV | BPF_K.
        public static let mov64K: UInt8 = 0xb7
        public static let jsgeK: UInt8 = 0x75
        public static let call: UInt8 = 0x85
        public static let exit: UInt8 = 0x95
    }

    /// Size of one instruction slot.
    public static let size = 8

    /// Decodes a little-endian instruction from 8 bytes (a loader's, or libbpf's final instructions).
    public init(littleEndian bytes: ArraySlice<UInt8>) {
        let base = bytes.startIndex
        code = bytes[base]
        dst = bytes[base + 1] & 0x0f
        src = bytes[base + 1] >> 4
        off = Int16(bitPattern: UInt16(bytes[base + 2]) | UInt16(bytes[base + 3]) << 8)
        imm = Int32(bitPattern: UInt32(bytes[base + 4]) | UInt32(bytes[base + 5]) << 8
            | UInt32(bytes[base + 6]) << 16 | UInt32(bytes[base + 7]) << 24)
    }

    /// The instruction as 8 little-endian bytes.
    public var littleEndianBytes: [UInt8] {
        let offset = UInt16(bitPattern: off), value = UInt32(bitPattern: imm)
        return [code, src << 4 | dst & 0x0f, UInt8(offset & 0xff), UInt8(offset >> 8),
                UInt8(value & 0xff), UInt8((value >> 8) & 0xff), UInt8((value >> 16) & 0xff), UInt8(value >> 24)]
    }

    /// The instructions of a little-endian program image (a partial trailing slot is left out).
    public static func decodeLittleEndian(_ bytes: [UInt8]) -> [Instruction] {
        stride(from: 0, to: bytes.count - bytes.count % size, by: size).map { Instruction(littleEndian: bytes[$0 ..< $0 + size]) }
    }

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
            case BPFPseudoCall.call: kind = .subprogramCall(relativeTarget: insn.imm)
            case BPFPseudoCall.kfuncCall: kind = .kfuncCall(btfID: insn.imm, moduleOffset: insn.off)
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
