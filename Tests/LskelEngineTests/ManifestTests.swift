import BPFObject
import Foundation
import LskelModel
import LskelTestSupport
import Testing
@testable import LskelEngine

/// The relocation manifest: valid against its schema, complete against the
/// object's own records, and exact against the instructions the loader carries.
@Suite("Relocation manifest")
struct ManifestTests {
    static func generate(_ fixture: String, profile: TargetProfile = Fixtures.hostProfile) throws -> (GeneratedLoader, Manifest, ObjectSummary) {
        let bytes = try Fixtures.bytes(fixture)
        let (loader, manifest) = try LoaderGenerator.generateWithManifest(
            object: bytes, objectName: "\(fixture).bpf.o", name: Fixtures.skeletonName(fixture), profile: profile)
        return (loader, manifest, try ObjectSummary(bytes: bytes))
    }

    static let schemaPath = Fixtures.packageRoot + "/Public/schema/manifest-v1.json"

    @Test("every fixture's manifest validates against Public/schema/manifest-v1.json")
    func schema() throws {
        let dir = NSTemporaryDirectory() + "lskel-manifests-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var paths: [String] = []
        for fixture in Fixtures.supported {
            let (_, manifest, _) = try Self.generate(fixture)
            let path = "\(dir)/\(fixture).manifest.json"
            try Data(try ManifestJSON.encode(manifest)).write(to: URL(fileURLWithPath: path))
            paths.append(path)
        }
        let script = """
            import json, sys, jsonschema
            schema = json.load(open(sys.argv[1]))
            jsonschema.Draft202012Validator.check_schema(schema)
            validator = jsonschema.Draft202012Validator(schema)
            bad = 0
            for path in sys.argv[2:]:
                for error in validator.iter_errors(json.load(open(path))):
                    bad += 1
                    print(path, "/".join(map(str, error.absolute_path)), error.message)
            sys.exit(1 if bad else 0)
            """
        let result = try Shell.run("/usr/bin/python3", ["-c", script, Self.schemaPath] + paths)
        #expect(result.status == 0, "\(result.stdoutText)\(result.stderrText)")
    }

    @Test("check accepts what build accepts and refuses what it refuses, with the same error")
    func checkAgreesWithBuild() throws {
        for fixture in ["maps", "subprogs", "rt_loop_callbacks", "rt_tracee_like"] {
            let bytes = try Fixtures.bytes(fixture)
            let summary = try ObjectSummary(bytes: bytes)
            var loader = try LoaderGenerator.generate(object: bytes, name: Fixtures.skeletonName(fixture), profile: Fixtures.hostProfile)
            try ManifestBuilder.check(loader: loader, summary: summary)
            // A program the object has no function for: libbpf's program and our reader disagree.
            let index = try #require(loader.programs.firstIndex { $0.autoload }, "\(fixture) has no loaded program")
            loader.programs[index].name += "_missing"
            var refusals: [String] = []
            for attempt in [{ try ManifestBuilder.check(loader: loader, summary: summary) },
                            { _ = try ManifestBuilder.build(objectName: "x.o", object: bytes, loader: loader,
                                                            profile: Fixtures.hostProfile, summary: summary) }] {
                do {
                    try attempt()
                    Issue.record("\(fixture): a program without a function was accepted")
                } catch let error as GenerationError {
                    refusals.append("\(error.kind.rawValue): \(error.detail)")
                }
            }
            #expect(refusals.count == 2 && refusals[0] == refusals[1] && refusals[0].hasPrefix("invalid-object"), "\(fixture): \(refusals)")
        }
    }

    @Test("the schema rejects a manifest that breaks it, so the check above can fail")
    func schemaRejects() throws {
        let (_, manifest, _) = try Self.generate("maps")
        var json = String(decoding: try ManifestJSON.encode(manifest), as: UTF8.self)
        json = json.replacingOccurrences(of: "\"kind\" : \"map\"", with: "\"kind\" : \"mystery\"")
        let path = NSTemporaryDirectory() + "lskel-bad-\(UUID().uuidString).json"
        try json.write(toFile: path, atomically: true, encoding: .utf8)
        let result = try Shell.run("/usr/bin/python3", ["-c",
            "import json,sys,jsonschema; jsonschema.validate(json.load(open(sys.argv[2])), json.load(open(sys.argv[1])))",
            Self.schemaPath, path])
        #expect(result.status != 0)
    }

    @Test("relocations match the object's own records: ELF relocations, CO-RE records, subprogram copies",
          arguments: Fixtures.supported)
    func completeness(fixture: String) throws {
        let (_, manifest, summary) = try Self.generate(fixture)
        let elf = summary.elf
        for program in manifest.programs {
            guard let main = summary.programs.first(where: { $0.name == program.name }) else {
                Issue.record("no function for \(program.name)")
                continue
            }
            guard program.autoload else {
                // SEC("?..."): the loader loads nothing for it, so there is nothing to relocate.
                #expect(main.sectionName.hasPrefix("?") && program.insnCount == 0 && program.relocations.isEmpty, "\(program.name)")
                continue
            }
            // The program and its appended subprograms tile the final instructions exactly.
            let blocks = [(main.sectionName, Int(main.offset / 8), 0, Int(main.instructionCount))]
                + program.subprograms.map { sub in
                    let function = summary.programs.first { $0.name == sub.name && $0.sectionName == sub.section }
                    return (sub.section, Int((function?.offset ?? 0) / 8), sub.insn, sub.insnCount)
                }
            #expect(blocks.map(\.3).reduce(0, +) == program.insnCount, "\(program.name): blocks do not tile the program")

            var relOrigins: Set<String> = []
            var coreRecords = 0
            for (section, originStart, _, count) in blocks {
                guard let sectionIndex = elf.sections.firstIndex(where: { $0.name == section }) else { continue }
                let range = UInt64(originStart * 8) ..< UInt64((originStart + count) * 8)
                for relocation in elf.relocations(for: sectionIndex) where range.contains(relocation.offset) {
                    relOrigins.insert("\(section)+\(relocation.offset)")
                }
                coreRecords += summary.btfExt?.coreRelos.first { $0.sectionName == section }?
                    .records.filter { range.contains(UInt64($0.instructionOffset)) }.count ?? 0
            }
            let ours = program.relocations.filter { $0.kind != "core" }
            let ourOrigins = Set(ours.compactMap { $0.origin.map { "\($0.section)+\($0.insnOffset)" } })
            #expect(relOrigins.isSubset(of: ourOrigins), "\(program.name): ELF relocations without a manifest entry: \(relOrigins.subtracting(ourOrigins).sorted())")
            for relocation in ours where relocation.kind != "call" && relocation.kind != "func_ref" {
                let key = relocation.origin.map { "\($0.section)+\($0.insnOffset)" } ?? "?"
                #expect(relOrigins.contains(key), "\(program.name): \(relocation.kind) \(relocation.name ?? "") at \(key) has no ELF relocation")
            }
            #expect(program.relocations.filter { $0.kind == "core" }.count == coreRecords, "\(program.name): CO-RE count")
        }
    }

    @Test("final indices are exact against the instructions and CO-RE records the loader carries",
          arguments: Fixtures.supported)
    func exactIndices(fixture: String) throws {
        let (loader, manifest, _) = try Self.generate(fixture)
        let records = AlignedRecords(loader.data)
        for (program, record) in zip(loader.programs, manifest.programs) where program.autoload {
            let insns = program.instructions
            #expect(!insns.isEmpty)
            #expect(contains(loader.data, insns), "\(program.name): the loader's data does not carry these instructions")
            func field(_ index: Int, _ byte: Int) -> UInt8 { insns[index * 8 + byte] }
            func imm(_ index: Int) -> Int32 {
                Int32(bitPattern: (0..<4).reduce(UInt32(0)) { $0 | UInt32(field(index, 4 + $1)) << (8 * UInt32($1)) })
            }
            for relocation in record.relocations {
                let i = relocation.insn
                switch relocation.kind {
                case "map":
                    let mapIndex = try #require(manifest.maps.first { $0.name == relocation.name }).index
                    #expect(field(i, 0) == 0x18 && field(i, 1) >> 4 == 5 && imm(i) == Int32(mapIndex), "\(program.name) map at \(i)")
                case "map_value", "kconfig":
                    #expect(field(i, 0) == 0x18 && field(i, 1) >> 4 == 6, "\(program.name) \(relocation.kind) at \(i)")
                    #expect(imm(i + 1) == Int32(relocation.offset ?? -1))
                case "call":
                    #expect(field(i, 0) == 0x85 && field(i, 1) >> 4 == 1, "\(program.name) call at \(i)")
                    #expect(Int(imm(i)) + i + 1 == relocation.target)
                case "func_ref":
                    #expect(field(i, 0) == 0x18 && field(i, 1) >> 4 == 4, "\(program.name) func_ref at \(i)")
                    #expect(Int(imm(i)) + i + 1 == relocation.target)
                case "kfunc":
                    #expect(field(i, 0) == 0x85 && field(i, 1) >> 4 == 2)
                case "ksym":
                    #expect(field(i, 0) == 0x18)
                case "core":
                    // The loader carries the record for the kernel: insn_off = i * 8.
                    let core = try #require(program.relocations.first { $0.insnIndex == i && { if case .core = $0 { true } else { false } }($0) })
                    guard case .core(_, let typeID, let accessOffset, let kind) = core else { continue }
                    let bytes = [UInt32(i * 8), typeID, accessOffset, kind].flatMap { value in withUnsafeBytes(of: value.littleEndian, Array.init) }
                    #expect(records.contains(bytes), "\(program.name): CO-RE record for insn \(i) is not in the loader")
                default:
                    Issue.record("unexpected kind \(relocation.kind)")
                }
            }
        }
    }

    @Test("readable CO-RE, kconfig and extern details")
    func details() throws {
        let (_, core, _) = try Self.generate("core")
        let paths = Set(core.programs.flatMap(\.relocations).compactMap(\.fieldPath))
        #expect(paths.contains("struct task_struct.real_parent"), "\(paths.sorted())")
        let kinds = Set(core.programs.flatMap(\.relocations).compactMap(\.coreKind))
        #expect(kinds.isSuperset(of: ["field_byte_offset", "field_exists", "type_exists", "enumval_value"]), "\(kinds.sorted())")

        let profile = TargetProfile(kernelRelease: "6.1.0", kconfig: "CONFIG_BPF_SYSCALL=y\nCONFIG_HZ=300\n")
        let (_, kconfig, _) = try Self.generate("kconfig", profile: profile)
        let externs = Dictionary(kconfig.externs.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        #expect(externs["CONFIG_HZ"]?.value == "300" && externs["CONFIG_HZ"]?.resolution == "profile")
        #expect(externs["CONFIG_BPF_SYSCALL"]?.value == "y")
        #expect(externs["CONFIG_LSKEL_NOT_A_REAL_OPTION"]?.resolution == "default")
        #expect(externs["LINUX_KERNEL_VERSION"]?.value == String(0x06_01_00) && externs["LINUX_KERNEL_VERSION"]?.resolution == "libbpf")
        #expect(kconfig.profile.kconfigValues["CONFIG_HZ"] == "300")
        #expect(kconfig.profile.kernelRelease.consumed && kconfig.profile.kconfig.consumed)
        #expect(kconfig.programs.flatMap(\.relocations).contains { $0.kind == "kconfig" && $0.name == "CONFIG_HZ" && $0.value == "300" })

        let (_, maps, _) = try Self.generate("maps", profile: TargetProfile(possibleCPUs: 16))
        let perf = try #require(maps.maps.first { $0.typeName == "perf_event_array" })
        #expect(perf.maxEntries == 16 && perf.maxEntriesSource == "profile")
        #expect(maps.warnings.contains { $0.code == "perf-array-sized-from-profile" })
        #expect(maps.profile.cpus.consumed && maps.profile.cpus.source == "request")

        let (_, ksyms, _) = try Self.generate("ksyms")
        let kfunc = ksyms.externs.first { $0.name == "bpf_rcu_read_lock" }
        #expect(kfunc?.kind == "kfunc" && kfunc?.resolution == "load_time")
        #expect(ksyms.externs.contains { $0.name == "lskel_no_such_kernel_symbol" && $0.weak && $0.typed == false })

        let (_, subprogs, _) = try Self.generate("subprogs")
        #expect(subprogs.programs.contains { !$0.subprograms.isEmpty })
    }

    func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty else { return true }
        return haystack.withUnsafeBufferPointer { ByteSearch.firstIndex(of: needle, in: $0) != nil }
    }
}

/// Every 16 bytes of a loader's data blob at a 4-byte aligned offset: where its
/// `bpf_core_relo` records are. A set, since large objects carry thousands.
struct AlignedRecords {
    struct Record: Hashable {
        var low: UInt64
        var high: UInt64
    }

    let records: Set<Record>

    static func record(_ bytes: ArraySlice<UInt8>) -> Record {
        let base = bytes.startIndex
        func word(_ offset: Int) -> UInt64 {
            (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[base + offset + $1]) << (8 * UInt64($1)) }
        }
        return Record(low: word(0), high: word(8))
    }

    init(_ data: [UInt8]) {
        var records = Set<Record>()
        var offset = 0
        while offset + 16 <= data.count {
            records.insert(Self.record(data[offset ..< offset + 16]))
            offset += 4
        }
        self.records = records
    }

    func contains(_ bytes: [UInt8]) -> Bool {
        bytes.count == 16 && records.contains(Self.record(bytes[...]))
    }
}
