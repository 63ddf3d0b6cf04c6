import LskelTestSupport
import Testing
@testable import LskelEngine

/// The relocations libbpf hands the loader generator, at final instruction
/// indices, checked against the instructions the loader carries.
@Suite("Relocations at final instruction indices")
struct RelocationRecordTests {
    static func generate(_ fixture: String) throws -> GeneratedLoader {
        try LoaderGenerator.generate(object: try Fixtures.bytes(fixture), name: Fixtures.skeletonName(fixture),
                                     profile: Fixtures.hostProfile)
    }

    /// (code, src_reg) of instruction `index` in a program's final instructions.
    static func insn(_ program: LoaderProgram, _ index: Int) -> (code: UInt8, src: UInt8)? {
        guard index >= 0, (index + 1) * 8 <= program.instructions.count else { return nil }
        return (program.instructions[index * 8], program.instructions[index * 8 + 1] >> 4)
    }

    @Test("every program carries its final instructions and every relocation points into them",
          arguments: Fixtures.supported)
    func indicesInRange(fixture: String) throws {
        let loader = try Self.generate(fixture)
        for program in loader.programs {
            guard program.autoload else {
                // SEC("?..."): libbpf generates nothing for it.
                #expect(program.instructions.isEmpty && program.relocations.isEmpty, "\(program.name)")
                continue
            }
            #expect(program.instructions.count == program.instructionCount * 8, "\(program.name)")
            for relocation in program.relocations {
                #expect(relocation.insnIndex < program.instructionCount, "\(program.name): \(relocation)")
            }
            #expect(program.relocations.map(\.insnIndex) == program.relocations.map(\.insnIndex).sorted())
        }
    }

    @Test("ksyms are ld_imm64 instructions and kfuncs are kfunc calls")
    func ksymsAndKfuncs() throws {
        let loader = try Self.generate("ksyms")
        let relocations = loader.programs.flatMap { program in program.relocations.map { (program, $0) } }
        var names: Set<String> = []
        for (program, relocation) in relocations {
            switch relocation {
            case .ksym(let index, let name, _, _):
                names.insert(name)
                #expect(Self.insn(program, index)?.code == 0x18, "\(name) at \(index) is not ld_imm64")
            case .kfunc(let index, let name, _):
                names.insert(name)
                let call = Self.insn(program, index)
                #expect(call?.code == 0x85 && call?.src == 2, "\(name) at \(index) is not a kfunc call")
            case .core:
                break
            }
        }
        #expect(names.isSuperset(of: ["do_nanosleep", "bpf_prog_active", "lskel_no_such_kernel_symbol", "bpf_rcu_read_lock"]), "\(names)")
        let weak = relocations.compactMap { pair -> String? in
            if case .ksym(_, let name, true, true) = pair.1 { return name }
            return nil
        }
        #expect(weak.contains("lskel_no_such_kernel_symbol"))
    }

    @Test("CO-RE relocations of field, type and enum kinds are recorded")
    func coreRelocations() throws {
        let loader = try Self.generate("core")
        var kinds: Set<UInt32> = []
        for program in loader.programs {
            for case .core(let index, let typeID, _, let kind) in program.relocations {
                kinds.insert(kind)
                #expect(typeID > 0)
                #expect(Self.insn(program, index) != nil)
            }
        }
        // field_byte_offset 0, field_exists 2, type_exists 8, enumval_value 11
        #expect(kinds.isSuperset(of: [0, 2, 8, 11]), "\(kinds.sorted())")
        let exec = try #require(loader.programs.first { $0.section.hasPrefix("tp_btf/") })
        #expect(exec.attachTarget?.contains("sched_process_exec") == true, "\(String(describing: exec.attachTarget))")
        #expect(exec.funcInfoCount > 0 && exec.lineInfoCount > 0)
    }

    @Test("programs that call subprograms grow by the appended subprogram instructions")
    func subprogramsAppended() throws {
        let loader = try Self.generate("subprogs")
        let withCalls = loader.programs.filter { program in
            (0..<program.instructionCount).contains { Self.insn(program, $0).map { $0.code == 0x85 && $0.src == 1 } ?? false }
        }
        #expect(!withCalls.isEmpty)
        for program in withCalls {
            // A bpf-to-bpf call's target lies inside the program, after its own code.
            for index in 0..<program.instructionCount where Self.insn(program, index).map({ $0.code == 0x85 && $0.src == 1 }) ?? false {
                let bytes = program.instructions[(index * 8 + 4)..<(index * 8 + 8)]
                let imm = Int32(bitPattern: bytes.enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (8 * UInt32($1.offset)) })
                let target = index + 1 + Int(imm)
                #expect(target > 0 && target < program.instructionCount, "\(program.name): call at \(index) to \(target)")
            }
        }
    }
}
