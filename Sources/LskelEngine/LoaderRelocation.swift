import BPFObject
import CLskelHost

/// A relocation libbpf hands the loader generator, at its final instruction
/// index in the loaded program (after subprograms are appended). The loader
/// applies these in the kernel at load time.
public enum LoaderRelocation: Sendable, Hashable, Codable {
    /// A CO-RE relocation: BTF type of the root, offset of the access string
    /// in the object's BTF strings, libbpf's relocation kind number.
    case core(insnIndex: Int, typeID: UInt32, accessStringOffset: UInt32, kind: UInt32)
    /// A `__ksym` variable, typed (BTF ID resolved at load) or typeless (address resolved at load).
    case ksym(insnIndex: Int, name: String, weak: Bool, typeless: Bool)
    /// A kfunc call.
    case kfunc(insnIndex: Int, name: String, weak: Bool)

    public var insnIndex: Int {
        switch self {
        case .core(let index, _, _, _), .ksym(let index, _, _, _), .kfunc(let index, _, _): index
        }
    }
}

/// What libbpf told the loader generator about one program.
struct GenProgramRecord {
    var name: String
    var programIndex: Int
    var expectedAttachType: UInt32
    var funcInfoCount: Int
    var lineInfoCount: Int
    var kernVersion: UInt32
    var attachTarget: String?
    var instructions: [UInt8]
    var relocations: [LoaderRelocation]

    /// The records of the generation that just ran, in load order.
    static func captured() -> [GenProgramRecord] {
        (0..<lskel_gen_prog_record_cnt()).compactMap { index in
            guard let prog = lskel_gen_prog_at(index)?.pointee else { return nil }
            var relocations: [LoaderRelocation] = []
            for offset in 0..<prog.relo_cnt {
                guard let relo = lskel_gen_relo_at(prog.relo_start + offset)?.pointee else { continue }
                let index = Int(relo.insn_idx)
                if relo.kind == LSKEL_GEN_RELO_CORE {
                    relocations.append(.core(insnIndex: index, typeID: relo.type_id,
                                             accessStringOffset: relo.access_str_off, kind: relo.core_kind))
                } else {
                    let name = String(optionalCString: relo.name) ?? ""
                    // BTF_KIND_FUNC is 12: a kfunc call; otherwise a ksym variable.
                    if Int(relo.btf_kind) == Int(BTFKind.function.rawValue) {
                        relocations.append(.kfunc(insnIndex: index, name: name, weak: relo.is_weak))
                    } else {
                        relocations.append(.ksym(insnIndex: index, name: name, weak: relo.is_weak, typeless: relo.is_typeless))
                    }
                }
            }
            let instructions = prog.insns.map { Array(UnsafeRawBufferPointer(start: $0, count: prog.insn_cnt * 8)) } ?? []
            return GenProgramRecord(
                name: String(optionalCString: prog.name) ?? "",
                programIndex: Int(prog.prog_idx),
                expectedAttachType: prog.expected_attach_type,
                funcInfoCount: Int(prog.func_info_cnt),
                lineInfoCount: Int(prog.line_info_cnt),
                kernVersion: prog.kern_version,
                attachTarget: String(optionalCString: prog.attach_target),
                instructions: instructions,
                relocations: relocations
            )
        }
    }
}
