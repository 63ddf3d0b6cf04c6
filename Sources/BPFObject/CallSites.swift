/// What a `call` instruction in an object file calls, after taking the
/// ELF relocations into account.
///
/// In object files clang emits kfunc calls as `src = 1` (pseudo call) with an
/// `R_BPF_64_32` relocation against an undefined extern symbol; libbpf only
/// rewrites them to `src = 2` (BPF_PSEUDO_KFUNC_CALL) when loading. Both forms
/// are reported as `.kfunc`.
public enum CallTarget: Sendable, Equatable {
    /// A helper call (src = 0) of helper number `id`.
    case helper(id: Int32)
    /// A BPF-to-BPF call to byte `offset` of section `section`; `name` is the
    /// STT_FUNC symbol there, if any. `offset` is nil if it cannot be computed.
    case subprogram(section: String, offset: UInt64?, name: String?)
    /// A kfunc call: by extern symbol name (object form) or BTF ID (src = 2, loaded form).
    case kfunc(name: String?, btfID: Int32?)
}

/// One call instruction and its resolved target.
public struct CallSite: Sendable, Equatable {
    /// Section holding the call.
    public var sectionName: String
    /// Instruction index (8-byte slots) in that section.
    public var index: Int
    /// What is called.
    public var target: CallTarget
}

extension ObjectSummary {
    /// All call instructions of all executable sections with their targets, in section order.
    public var callSites: [CallSite] {
        var out: [CallSite] = []
        for s in elf.sections where s.isExecutable {
            guard let insns = instructions[s.name] else { continue }
            var relAt: [UInt64: ELFRelocation] = [:]
            for r in elf.relocations(for: s.index) { relAt[r.offset] = r }
            for d in insns where d.instruction.isCall {
                let insn = d.instruction
                let target: CallTarget
                switch insn.src {
                case 0:
                    target = .helper(id: insn.imm)
                case 2:
                    target = .kfunc(name: nil, btfID: insn.imm)
                default:
                    let step = (Int64(insn.imm) + 1) * 8
                    if let rel = relAt[UInt64(d.index) * 8], Int(rel.symbolIndex) < elf.symbols.count {
                        let sym = elf.symbols[Int(rel.symbolIndex)]
                        if sym.sectionIndex == 0 {
                            target = .kfunc(name: sym.name, btfID: nil)
                        } else {
                            let idx = Int(sym.sectionIndex)
                            let secName = idx < elf.sections.count ? elf.sections[idx].name : "#\(idx)"
                            let (off, o) = Int64(bitPattern: sym.value).addingReportingOverflow(step)
                            let offset: UInt64? = (o || off < 0) ? nil : UInt64(off)
                            target = .subprogram(section: secName, offset: offset,
                                                 name: offset.flatMap { functionName(sectionIndex: idx, offset: $0) })
                        }
                    } else {
                        let (off, o) = (Int64(d.index) * 8).addingReportingOverflow(step)
                        let offset: UInt64? = (o || off < 0) ? nil : UInt64(off)
                        target = .subprogram(section: s.name, offset: offset,
                                             name: offset.flatMap { functionName(sectionIndex: s.index, offset: $0) })
                    }
                }
                out.append(CallSite(sectionName: s.name, index: d.index, target: target))
            }
        }
        return out
    }

    /// The STT_FUNC symbol at byte `offset` of section `sectionIndex`.
    public func functionName(sectionIndex: Int, offset: UInt64) -> String? {
        elf.symbols.first {
            $0.type == ELF.STT_FUNC && Int($0.sectionIndex) == sectionIndex && $0.value == offset
        }?.name
    }
}
