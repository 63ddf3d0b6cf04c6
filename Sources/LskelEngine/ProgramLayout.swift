import BPFObject

/// The layout libbpf gave one program: its own instructions first, then each
/// subprogram it reaches appended once, found by following the calls in the
/// final instructions back to the functions of the object.
struct ProgramLayout {
    struct Block {
        var name: String
        var sectionIndex: Int
        var sectionName: String
        /// First instruction of the block in the final program.
        var start: Int
        /// First instruction of the function in its section.
        var originStart: Int
        var count: Int
    }

    let program: LoaderProgram
    private(set) var blocks: [Block] = []
    /// The final instructions, and the second half's immediate of each `ld_imm64`.
    private let instructions: [Instruction]
    private let secondImmediates: [Int: Int32]

    init(program: LoaderProgram, summary: ObjectSummary) throws {
        self.program = program
        instructions = Instruction.decodeLittleEndian(program.instructions)
        var second: [Int: Int32] = [:]
        for (index, insn) in instructions.enumerated() where insn.isLdImm64 && index + 1 < instructions.count {
            second[index] = instructions[index + 1].imm
        }
        secondImmediates = second
        // libbpf drops the `?` that marks a program not loaded by default (SEC("?raw_tp/...")).
        guard let main = summary.programs.first(where: {
            $0.name == program.name && ($0.sectionName == program.section || $0.sectionName == "?" + program.section)
        }) else {
            throw GenerationError(.invalidObject, "program '\(program.name)' has no function symbol in section '\(program.section)'")
        }
        blocks = [Block(name: main.name, sectionIndex: main.sectionIndex, sectionName: main.sectionName, start: 0,
                        originStart: Int(main.offset / 8), count: Int(main.instructionCount))]
        // libbpf appends a subprogram the first time a call or callback
        // reference reaches it and relocates the appended code at once, before
        // the rest of the caller (depth first): follow the same order.
        appendCallees(of: 0, summary: summary)
    }

    private mutating func appendCallees(of blockIndex: Int, summary: ObjectSummary) {
        let block = blocks[blockIndex]
        for local in 0..<block.count {
            let index = block.start + local
            guard index < instructions.count, let target = callTarget(at: index) else { continue }
            guard target >= 0, target < instructions.count else { continue }
            if blocks.contains(where: { target >= $0.start && target < $0.start + $0.count }) { continue }
            guard let callee = calleeFunction(from: block, local: local, summary: summary) else { continue }
            let end = blocks.map { $0.start + $0.count }.max() ?? 0
            guard target == end else { continue }
            blocks.append(Block(name: callee.name, sectionIndex: callee.sectionIndex, sectionName: callee.sectionName,
                                start: target, originStart: Int(callee.offset / 8), count: Int(callee.instructionCount)))
            appendCallees(of: blocks.count - 1, summary: summary)
        }
    }

    /// Final index a bpf-to-bpf call or a callback reference at `index` points to.
    func callTarget(at index: Int) -> Int? {
        let insn = instructions[index]
        if insn.isCall && insn.src == BPFPseudoCall.call { return index + 1 + Int(insn.imm) }
        if insn.isLdImm64 && insn.src == LdImm64Source.function.rawValue { return index + 1 + Int(insn.imm) }
        return nil
    }

    /// The function of the object a call in `block` reaches, from the object's own instruction and relocation.
    func calleeFunction(from block: Block, local: Int, summary: ObjectSummary) -> ProgramInfo? {
        let originIndex = block.originStart + local
        let elf = summary.elf
        guard let original = summary.instructions[block.sectionName]?.first(where: { $0.index == originIndex }) else { return nil }
        var sectionIndex = block.sectionIndex
        var byteOffset = Int64(originIndex + 1 + Int(original.instruction.imm)) * 8
        if let relocation = elf.relocations(for: block.sectionIndex).first(where: { $0.offset == UInt64(originIndex * 8) }),
           Int(relocation.symbolIndex) < elf.symbols.count {
            let symbol = elf.symbols[Int(relocation.symbolIndex)]
            sectionIndex = Int(symbol.sectionIndex)
            if original.instruction.isLdImm64 {
                byteOffset = Int64(symbol.value) + Int64(original.instruction.imm)
            } else {
                byteOffset = Int64(symbol.value) + (Int64(original.instruction.imm) + 1) * 8
            }
        }
        return summary.programs.first { function in
            function.sectionIndex == sectionIndex && Int64(function.offset) <= byteOffset
                && byteOffset < Int64(function.offset) + Int64(function.instructionCount) * 8
        }
    }

    /// Where final instruction `index` came from.
    func origin(of index: Int) -> Manifest.Origin? {
        guard let block = blocks.first(where: { index >= $0.start && index < $0.start + $0.count }) else { return nil }
        return Manifest.Origin(section: block.sectionName, insnOffset: (block.originStart + index - block.start) * 8)
    }

    func record(loader: GeneratedLoader, summary: ObjectSummary, kconfigMapIndex: Int?,
                kconfigValues: [String: String]) throws -> Manifest.ProgramRecord {
        var relocations: [Manifest.Relocation] = []
        let recorded = Dictionary(program.relocations.map { ($0.insnIndex, $0) }, uniquingKeysWith: { first, _ in first })
        var index = 0
        while index < instructions.count {
            let insn = instructions[index]
            let origin = origin(of: index)
            if insn.isLdImm64 {
                switch insn.src {
                case LdImm64Source.mapIndex.rawValue:
                    let map = Int(insn.imm) < loader.maps.count && insn.imm >= 0 ? loader.maps[Int(insn.imm)].name : "#\(insn.imm)"
                    relocations.append(.init(insn: index, origin: origin, kind: "map", name: map))
                case LdImm64Source.mapIndexValue.rawValue:
                    let mapIndex = Int(insn.imm)
                    let offset = Int(secondImmediates[index] ?? 0)
                    if mapIndex == kconfigMapIndex,
                       let variable = loader.kconfigLayout.first(where: { offset >= $0.offset && offset < $0.offset + max($0.size, 1) }) {
                        relocations.append(.init(insn: index, origin: origin, kind: "kconfig", name: variable.name,
                                                 offset: offset, value: kconfigValues[variable.name] ?? ""))
                    } else {
                        let map = mapIndex >= 0 && mapIndex < loader.maps.count ? loader.maps[mapIndex].name : "#\(mapIndex)"
                        relocations.append(.init(insn: index, origin: origin, kind: "map_value", name: map, offset: offset))
                    }
                case LdImm64Source.function.rawValue:
                    // A callback's address (bpf_loop, bpf_for_each_map_elem, timers, ...): a reference, not a call.
                    let target = index + 1 + Int(insn.imm)
                    relocations.append(.init(insn: index, origin: origin, kind: "func_ref", name: blockName(at: target), target: target))
                default:
                    break
                }
            } else if insn.isCall && insn.src == BPFPseudoCall.call {
                let target = index + 1 + Int(insn.imm)
                relocations.append(.init(insn: index, origin: origin, kind: "call", name: blockName(at: target), target: target))
            }
            if let record = recorded[index] {
                relocations.append(try relocation(record, origin: origin, summary: summary))
            }
            index += insn.isLdImm64 ? 2 : 1
        }
        // Records at indices the walk above stepped over (never expected) are kept, not lost.
        let walked = Set(relocations.filter { $0.kind == "core" || $0.kind == "ksym" || $0.kind == "kfunc" }.map(\.insn))
        for record in program.relocations where !walked.contains(record.insnIndex) {
            relocations.append(try relocation(record, origin: origin(of: record.insnIndex), summary: summary))
        }
        relocations.sort { ($0.insn, $0.kind) < ($1.insn, $1.kind) }
        let subprograms = blocks.dropFirst().map {
            Manifest.SubprogramRecord(name: $0.name, section: $0.sectionName, insn: $0.start, insnCount: $0.count)
        }
        return Manifest.ProgramRecord(
            name: program.name, section: program.section, type: program.type, typeName: program.typeName,
            expectedAttachType: program.expectedAttachType, expectedAttachTypeName: program.expectedAttachTypeName,
            attachTarget: program.attachTarget, insnCount: program.instructionCount,
            funcInfoCount: program.funcInfoCount, lineInfoCount: program.lineInfoCount,
            subprograms: Array(subprograms), relocations: relocations, autoload: true)
    }

    /// A program the loader does not load (`SEC("?...")`): libbpf emits nothing for it, its
    /// descriptor's fd stays 0, and there is nothing to relocate.
    static func notLoaded(_ program: LoaderProgram) -> Manifest.ProgramRecord {
        Manifest.ProgramRecord(
            name: program.name, section: program.section, type: program.type, typeName: program.typeName,
            expectedAttachType: program.expectedAttachType, expectedAttachTypeName: program.expectedAttachTypeName,
            attachTarget: nil, insnCount: 0, funcInfoCount: 0, lineInfoCount: 0,
            subprograms: [], relocations: [], autoload: false)
    }

    func blockName(at index: Int) -> String {
        blocks.first { index >= $0.start && index < $0.start + $0.count }?.name ?? "#\(index)"
    }

    func relocation(_ record: LoaderRelocation, origin: Manifest.Origin?, summary: ObjectSummary) throws -> Manifest.Relocation {
        switch record {
        case .ksym(let index, let name, let weak, let typeless):
            return .init(insn: index, origin: origin, kind: "ksym", name: name, weak: weak, typed: !typeless)
        case .kfunc(let index, let name, let weak):
            return .init(insn: index, origin: origin, kind: "kfunc", name: name, weak: weak, typed: true)
        case .core(let index, let typeID, let accessOffset, let rawKind):
            let kind = CoreReloKind(rawValue: rawKind)
            let btf = summary.btf
            let access = btf?.string(at: accessOffset) ?? ""
            let root = btf?.cDeclaration(of: typeID) ?? "type \(typeID)"
            let path = btf.flatMap { try? $0.fieldPath(rootTypeID: typeID, accessString: access, kind: kind) }
            return .init(insn: index, origin: origin, kind: "core", coreKind: ManifestBuilder.coreKindName(rawKind),
                         rootType: root, access: access, fieldPath: path)
        }
    }
}
