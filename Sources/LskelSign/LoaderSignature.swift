import BPFObject
import Glibc
import LskelModel

/// What a signature covers and who checks the loader's data, by kernel.
public enum SignatureScheme: String, Sendable, Codable, CaseIterable {
    /// Linux 6.18: the kernel checks the signature over the loader's instructions only;
    /// the loader checks its data map's hash itself, first thing (a prologue of ours).
    case loaderHash = "loader-hash"
    /// Later kernels: the signature covers the instructions followed by the data map's
    /// value, and the kernel checks both; the loader is libbpf's, unchanged.
    case kernelHash = "kernel-hash"
}

/// A light-skeleton loader made ready to sign: the final instructions, the
/// exclusive data map's program hash, and the bytes the signature covers. Every
/// value here depends on the loader and the scheme only; the key signs
/// ``signedBytes`` elsewhere (the server or the CLI, never the worker).
public struct SignableLoader: Sendable, Equatable {
    public var scheme: SignatureScheme
    /// The loader's instructions as loaded: libbpf's, after our data check for `loader-hash`.
    public var insns: [UInt8]
    /// The data map's value (the loader's blob), unchanged.
    public var data: [UInt8]
    /// SHA-256 of the data map as the kernel hashes an array map: the value padded to 8 bytes.
    public var mapHash: [UInt8]
    /// `excl_prog_hash` of the data map: SHA-256 of ``insns`` with the map fd immediates
    /// of `ld_imm64` zeroed, as the kernel hashes a program (map index forms are kept).
    public var exclProgHash: [UInt8]
    /// What the signature covers: ``insns``, then for `kernel-hash` the data map's value.
    public var signedBytes: [UInt8]
    /// Instructions our check adds in front of libbpf's (0 for `kernel-hash`).
    public var prologueCount: Int

    public init(insns libbpfInsns: [UInt8], data: [UInt8], scheme: SignatureScheme) {
        self.scheme = scheme
        self.data = data
        var padded = data
        padded += [UInt8](repeating: 0, count: (8 - data.count % 8) % 8)
        mapHash = SHA256.digest(padded)
        switch scheme {
        case .loaderHash:
            let prologue = Self.dataCheck(expecting: mapHash)
            prologueCount = prologue.count
            insns = prologue.flatMap(\.littleEndianBytes) + libbpfInsns
            signedBytes = insns
        case .kernelHash:
            prologueCount = 0
            insns = libbpfInsns
            signedBytes = libbpfInsns + data
        }
        exclProgHash = SHA256.digest(Self.hashForm(insns))
    }

    /// The loader's check of its data map, for `loader-hash`: the map pointer of fd
    /// array slot 0 (the data map), its SHA-256 (which the kernel computed when
    /// userspace asked for it after freezing the map) compared as four u64 words with
    /// the expected hash; on a difference the loader returns -EINVAL before doing
    /// anything. It leaves r1 (the context) alone, touches r2-r4 only (libbpf's code
    /// sets them before use), and ends by falling through to libbpf's first instruction,
    /// so no jump of libbpf's moves.
    static func dataCheck(expecting hash: [UInt8]) -> [Instruction] {
        typealias Op = Instruction.Opcode
        var insns: [Instruction] = []
        // r2 = &map (ld_imm64, BPF_PSEUDO_MAP_IDX, index 0)
        insns.append(Instruction(code: Op.ldImm64, dst: 2, src: LdImm64Source.mapIndex.rawValue, off: 0, imm: 0))
        insns.append(Instruction(code: 0, dst: 0, src: 0, off: 0, imm: 0))
        // Each word: 4 instructions; the last word's jump lands on the failure path below.
        for word in 0..<4 {
            let value = hash[(word * 8)..<(word * 8 + 8)].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
            insns.append(Instruction(code: Op.ldxDW, dst: 3, src: 2, off: Int16(word * 8), imm: 0))
            insns.append(Instruction(code: Op.ldImm64, dst: 4, src: 0, off: 0, imm: Int32(bitPattern: UInt32(truncatingIfNeeded: value))))
            insns.append(Instruction(code: 0, dst: 0, src: 0, off: 0, imm: Int32(bitPattern: UInt32(truncatingIfNeeded: value >> 32))))
            // Words after this one (4 each), then the `ja`: the target is the failure path.
            let skip = (3 - word) * 4 + 1
            insns.append(Instruction(code: Op.jneX, dst: 3, src: 4, off: Int16(skip), imm: 0))
        }
        // Matched: over the failure path to libbpf's code.
        insns.append(Instruction(code: Op.ja, dst: 0, src: 0, off: 2, imm: 0))
        insns.append(Instruction(code: Op.mov64K, dst: 0, src: 0, off: 0, imm: -EINVAL))
        insns.append(Instruction(code: Op.exit, dst: 0, src: 0, off: 0, imm: 0))
        return insns
    }

    /// The instructions as the kernel hashes a program for an exclusive map:
    /// `ld_imm64` with `BPF_PSEUDO_MAP_FD` or `BPF_PSEUDO_MAP_VALUE` get both
    /// immediates zeroed (fds differ per load); everything else as it is.
    public static func hashForm(_ insns: [UInt8]) -> [UInt8] {
        var bytes = insns
        var offset = 0
        while offset + 16 <= bytes.count {
            let code = bytes[offset], src = bytes[offset + 1] >> 4
            if code == Instruction.Opcode.ldImm64 {
                if src == LdImm64Source.mapFD.rawValue || src == LdImm64Source.mapValue.rawValue {
                    for i in 4..<8 { bytes[offset + i] = 0 }
                    for i in 12..<16 { bytes[offset + i] = 0 }
                }
                offset += 16
            } else {
                offset += 8
            }
        }
        return bytes
    }
}
