import Foundation
import Testing
@testable import BPFObject

@Suite("BPF object reader: fixtures")
struct ObjectReaderFixtureTests {
    @Test func mapsFixture() throws {
        let obj = try ObjectSummary(bytes: try Fixtures.object("maps"))
        #expect(obj.license == "Dual BSD/GPL")
        #expect(obj.kernelVersion == nil)
        #expect(obj.elf.byteOrder == .little)
        let byName = Dictionary(uniqueKeysWithValues: obj.maps.map { ($0.name, $0) })
        #expect(obj.maps.count == 10)
        let expected: [(String, UInt32, UInt32?)] = [
            ("hash_map", 1, 128), ("array_map", 2, 4), ("percpu_hash_map", 5, 64),
            ("percpu_array_map", 6, 1), ("lru_hash_map", 9, 256), ("ringbuf_map", 27, 4096),
            ("perf_map", 4, nil), ("stack_map", 7, 32), ("inner_map", 2, 8), ("outer_map", 12, 2),
        ]
        for (name, type, maxEntries) in expected {
            let m = try #require(byName[name], "missing map \(name)")
            #expect(m.type == type, "\(name)")
            #expect(m.maxEntries == maxEntries, "\(name)")
        }
        #expect(byName["hash_map"]?.keySize == 4)
        #expect(byName["hash_map"]?.valueSize == 8)
        #expect(byName["array_map"]?.valueSize == 16)
        #expect(byName["perf_map"]?.keySize == 4)
        #expect(byName["perf_map"]?.valueSize == 4)
        #expect(byName["stack_map"]?.valueSize == 127 * 8)
        #expect(byName["ringbuf_map"]?.typeName == "BPF_MAP_TYPE_RINGBUF")
        let outer = try #require(byName["outer_map"])
        let btf = try #require(obj.btf)
        let inner = try #require(outer.valuesTypeID)
        #expect(btf.cDeclaration(of: inner) == "struct inner_array")
        if let keyID = byName["array_map"]?.valueTypeID {
            #expect(btf.cDeclaration(of: keyID) == "struct event")
        }

        let prog = try #require(obj.programs.first { $0.name == "handle_openat" })
        #expect(prog.sectionName == "tracepoint/syscalls/sys_enter_openat")
        #expect(prog.isGlobal)
        #expect(prog.offset == 0)
        #expect(prog.instructionCount == UInt64(obj.instructions[prog.sectionName]?.reduce(0) { $0 + ($1.second == nil ? 1 : 2) } ?? -1))
        #expect(obj.relocationCounts[".maps"] == 1)
        #expect(outer.valueInitializers == [1: "inner_map"])
        #expect(obj.legacyMaps.isEmpty)
    }

    @Test func globalsFixture() throws {
        let obj = try ObjectSummary(bytes: try Fixtures.object("globals"))
        let btf = try #require(obj.btf)
        let names = Set(btf.dataSectionNames)
        for n in [".data", ".rodata", ".bss", ".data.custom", ".rodata.custom"] {
            #expect(names.contains(n), "missing DATASEC \(n)")
        }
        let rodata = try #require(btf.dataSection(named: ".rodata"))
        let varNames = rodata.variables.compactMap { btf.name(of: $0.type) }
        #expect(varNames.contains("ro_int"))
        // const volatile int ro_int -> VAR whose type renders as C.
        if let roInt = rodata.variables.first(where: { btf.name(of: $0.type) == "ro_int" }),
           case let .variable(_, t, _)? = btf.type(roInt.type) {
            #expect(btf.cDeclaration(of: t) == "const volatile int")
            #expect(try btf.resolveSize(of: t) == 4)
        }
        if let arr = rodata.variables.first(where: { btf.name(of: $0.type) == "ro_array" }),
           case let .variable(_, t, _)? = btf.type(arr.type) {
            #expect(try btf.resolveSize(of: t) == 12)
        }
        let data = try #require(btf.dataSection(named: ".data"))
        let decls = Set(data.variables.map { btf.cDeclaration(of: $0.type) })
        #expect(decls.contains("char data_str[16]"))
        #expect(decls.contains("void *data_ptr"))
        #expect(decls.contains("__u32 data_array[4]"))
        let funcs = btf.types.indices.map { UInt32($0 + 1) }.filter { if case .function? = btf.type($0) { true } else { false } }
        #expect(funcs.map { btf.cDeclaration(of: $0) } == ["int trace_unlinkat(struct pt_regs *ctx)"])
        if let str = data.variables.first(where: { btf.name(of: $0.type) == "data_str" }),
           case let .variable(_, t, _)? = btf.type(str.type) {
            #expect(btf.cDeclaration(of: t) == "char [16]")
        }
        if let p = data.variables.first(where: { btf.name(of: $0.type) == "data_ptr" }),
           case let .variable(_, t, _)? = btf.type(p.type) {
            #expect(btf.cDeclaration(of: t) == "void *")
        }
        #expect(obj.maps.isEmpty)
    }

    @Test func coreFixture() throws {
        let obj = try ObjectSummary(bytes: try Fixtures.object("core"))
        let btf = try #require(obj.btf)
        let ext = try #require(obj.btfExt)
        #expect(ext.coreReloRecordSize >= 16)
        let relos = ext.coreRelos.flatMap(\.records)
        let kinds = Set(relos.compactMap(\.kind))
        for k: CoreReloKind in [.fieldByteOffset, .fieldExists, .typeExists, .enumvalValue, .fieldByteSize,
                                .typeSize, .targetTypeID, .enumvalExists] {
            #expect(kinds.contains(k), "missing \(k)")
        }
        var paths = Set<String>()
        for r in relos {
            paths.insert(try btf.fieldPath(rootTypeID: r.typeID, accessString: r.accessString, kind: r.kind))
        }
        #expect(paths.contains("struct task_struct.real_parent"))
        #expect(paths.contains("struct task_struct.pid"))
        #expect(paths.contains("enum bpf_map_type::BPF_MAP_TYPE_RINGBUF"))
        #expect(paths.contains("struct task_struct"))
        #expect(paths.contains("struct linux_binprm.filename"))
        #expect(paths.contains("enum bpf_map_type___lskel::BPF_MAP_TYPE_LSKEL_FAKE"))
        let described = Set(relos.map { btf.describe($0) })
        #expect(described.contains("byte_off struct task_struct.real_parent"))
        #expect(described.contains("type_exists struct lskel_no_such_type"))
        // Counts per section agree with the records.
        #expect(obj.coreReloCounts["raw_tp/sched_switch", default: 0] > 0)
        #expect(obj.coreReloCounts["tp_btf/sched_process_exec", default: 0] > 0)
        #expect(obj.coreReloCounts.values.reduce(0, +) == relos.count)
        // Every CO-RE relocation points at an instruction inside its section.
        for s in ext.coreRelos {
            let insns = try #require(obj.instructions[s.sectionName])
            let starts = Set(insns.map { $0.index * 8 })
            for r in s.records { #expect(starts.contains(Int(r.instructionOffset))) }
        }
        #expect(!ext.funcInfo.isEmpty)
        #expect(!ext.lineInfo.isEmpty)
        for s in ext.funcInfo {
            for f in s.records {
                guard case .function? = btf.type(f.typeID) else { Issue.record("func_info type is not FUNC"); continue }
            }
        }
        let taskID = try #require(btf.types.firstIndex { if case .structure("task_struct", _, _) = $0 { true } else { false } })
        #expect(btf.cDeclaration(of: UInt32(taskID + 1)) == "struct task_struct")
    }

    @Test func subprogsFixture() throws {
        let obj = try ObjectSummary(bytes: try Fixtures.object("subprogs"))
        let all = obj.instructions.values.flatMap { $0 }
        let subCalls = all.filter { if case .subprogramCall = $0.kind { true } else { false } }
        #expect(!subCalls.isEmpty)
        #expect(subCalls.allSatisfy { $0.instruction.src == 1 })
        #expect(all.contains { $0.kind == .exit })
        let staticScale = try #require(obj.programs.first { $0.name == "static_scale" })
        #expect(!staticScale.isGlobal)
        #expect(staticScale.sectionName == ".text")
        let clamp = try #require(obj.programs.first { $0.name == "global_clamp" })
        #expect(clamp.isGlobal)
        #expect(obj.programs.contains { $0.name == "xdp_prog" && $0.sectionName == "xdp" })
        let targets = Set(obj.callSites.compactMap { site -> String? in
            if case let .subprogram(_, _, name) = site.target { return name } else { return nil }
        })
        #expect(targets == ["static_scale", "global_clamp"])
    }

    @Test func ksymsFixture() throws {
        let obj = try ObjectSummary(bytes: try Fixtures.object("ksyms"))
        let all = obj.instructions.values.flatMap { $0 }
        // In the object file kfunc calls are src=1 calls relocated against an
        // undefined extern; libbpf turns them into src=2 at load time.
        let kfuncNames = obj.callSites.compactMap { site -> String? in
            if case let .kfunc(name, _) = site.target { return name } else { return nil }
        }
        #expect(Set(kfuncNames) == ["bpf_rcu_read_lock", "bpf_rcu_read_unlock"])
        #expect(obj.callSites.contains { $0.target == .helper(id: 153) })
        #expect(all.contains { if case .ldImm64 = $0.kind { true } else { false } })
        let btf = try #require(obj.btf)
        #expect(btf.dataSectionNames.contains(".ksyms"))
    }

    @Test(arguments: ["maps", "globals", "core", "subprogs", "ksyms", "struct_ops", "legacy_maps"])
    func relocationCountsMatchReadelf(_ name: String) throws {
        let path = try Fixtures.objectPath(name)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let elf = try ELFFile(bytes: bytes)
        let expected = try Fixtures.readelfRelocationCounts(path)
        var ours: [String: Int] = [:]
        for r in elf.relocationSections {
            ours[r.section.name] = r.count
            // Entries are decoded for everything but DWARF, which nothing reads.
            #expect(r.entries.count == (r.targetName.hasPrefix(".debug_") ? 0 : r.count), "\(r.section.name)")
        }
        #expect(ours == expected)
        #expect(!expected.isEmpty)
    }

    @Test func bigEndianObjectReadsTheSame() throws {
        let le = try ObjectSummary(bytes: try Fixtures.object("maps"))
        let path = try Fixtures.objectPath("maps")
        defer { try? FileManager.default.removeItem(atPath: path) }
        // Recompile the same source for bpfeb.
        let ebPath = path + ".eb.o"
        defer { try? FileManager.default.removeItem(atPath: ebPath) }
        try Fixtures.run("/usr/bin/clang-14", ["-target", "bpfeb", "-g", "-O2", "-D__TARGET_ARCH_x86",
                                               "-I", Fixtures.directory.path, "-c",
                                               Fixtures.directory.appendingPathComponent("maps.bpf.c").path, "-o", ebPath])
        let eb = try ObjectSummary(bytes: [UInt8](try Data(contentsOf: URL(fileURLWithPath: ebPath))))
        #expect(eb.elf.byteOrder == .big)
        #expect(eb.btf?.byteOrder == .big)
        #expect(eb.maps == le.maps)
        #expect(eb.programs == le.programs)
        #expect(eb.relocationCounts == le.relocationCounts)
        #expect(eb.callSites.map(\.target) == le.callSites.map(\.target))
        #expect(eb.license == le.license)
    }

    @Test func progArrayAndLegacyMaps() throws {
        let pa = try ObjectSummary(bytes: try Fixtures.object("prog_array_init"))
        let jt = try #require(pa.maps.first { $0.name == "jump_table" })
        #expect(jt.type == 3)
        #expect(jt.maxEntries == 2)
        #expect(jt.keySize == 4)
        #expect(jt.valueInitializers == [0: "tail_callee"])
        if let t = jt.valuesTypeID, case .functionProto? = pa.btf?.type(t) {} else { Issue.record("values is not a func proto") }

        let legacy = try ObjectSummary(bytes: try Fixtures.object("legacy_maps"))
        #expect(legacy.maps.isEmpty)
        let m = try #require(legacy.legacyMaps.first)
        #expect(m.name == "legacy_array")
        #expect(m.type == 2)
        #expect(m.keySize == 4)
        #expect(m.valueSize == 8)
        #expect(m.maxEntries == 4)
    }

    @Test func lineInfoStrings() throws {
        let obj = try ObjectSummary(bytes: try Fixtures.object("subprogs"))
        let btf = try #require(obj.btf)
        let li = try #require(obj.btfExt?.lineInfo.first?.records.first)
        #expect(btf.fileName(of: li)?.hasSuffix("subprogs.bpf.c") == true)
        #expect(li.line > 0)
    }
}
