import ArgumentParser
import BPFObject
import Foundation
import LskelEngine

/// `lskel inspect OBJECT [--json]`: what the object says, read with our own
/// reader only; nothing is generated and libbpf is not involved.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Print an object's programs, maps and relocations without generating anything."
    )

    @Argument(help: "A BPF ELF object.")
    var object: String

    @Flag(name: .customLong("json"), help: "Print JSON instead of tables.")
    var json = false

    func run() throws {
        guard let bytes = FileManager.default.contents(atPath: object) else {
            throw ValidationError("cannot read \(object)")
        }
        let report: InspectReport
        do {
            report = InspectReport(summary: try ObjectReader.summary([UInt8](bytes)), name: (object as NSString).lastPathComponent)
        } catch let error as GenerationError {
            FileHandle.standardError.write(Data("lskel: \(object): \(error.detail) [\(error.kind.rawValue)]\n".utf8))
            throw ExitCode(1)
        }
        if json {
            let encoder = JSONEncoder()
            encoder.keyEncodingStrategy = .convertToSnakeCase
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
            FileHandle.standardOutput.write(try encoder.encode(report) + Data("\n".utf8))
        } else {
            print(report.text, terminator: "")
        }
    }
}

/// The object-level view `lskel inspect` prints.
struct InspectReport: Codable {
    struct Program: Codable {
        var name: String, section: String, offset: UInt64, insnCount: UInt64, global: Bool
    }
    struct Map: Codable {
        var name: String, type: String, keySize: UInt64?, valueSize: UInt64?, maxEntries: UInt32?, flags: UInt32?, pinning: UInt32?
    }
    struct Relocation: Codable {
        var section: String, insn: Int, kind: String, target: String
    }

    var object: String
    var license: String?
    var btfTypes: Int
    var programs: [Program]
    var maps: [Map]
    var relocations: [Relocation]

    init(summary: ObjectSummary, name: String) {
        object = name
        license = summary.license
        btfTypes = summary.btf?.typeCount ?? 0
        programs = summary.programs.map {
            Program(name: $0.name, section: $0.sectionName, offset: $0.offset, insnCount: $0.instructionCount, global: $0.isGlobal)
        }
        maps = summary.maps.map {
            Map(name: $0.name, type: $0.typeName ?? "\($0.type ?? 0)", keySize: $0.keySize, valueSize: $0.valueSize,
                maxEntries: $0.maxEntries, flags: $0.mapFlags, pinning: $0.pinning)
        }
        var relocations: [Relocation] = []
        let elf = summary.elf
        var callees: [String: String] = [:]
        for site in summary.callSites {
            if case .subprogram(let section, let offset, let name) = site.target {
                callees["\(site.sectionName)+\(site.index)"] = name ?? "\(section)+\(offset.map(String.init) ?? "?")"
            }
        }
        for section in elf.sections where section.isExecutable {
            let code = (try? elf.data(of: section)) ?? []
            for entry in elf.relocations(for: section.index) {
                let symbol = Int(entry.symbolIndex) < elf.symbols.count ? elf.symbols[Int(entry.symbolIndex)] : nil
                let symbolSection = symbol.map { Int($0.sectionIndex) }.flatMap { $0 > 0 && $0 < elf.sections.count ? elf.sections[$0].name : nil }
                let kind: String
                switch symbolSection {
                case nil: kind = "extern"
                case ".maps"?: kind = "map"
                case let name? where elf.sections.first(where: { $0.name == name })?.isExecutable == true:
                    // A call, or a callback's address loaded with ld_imm64 (BPF_PSEUDO_FUNC once libbpf relocates it).
                    let opcode = entry.offset < UInt64(code.count) ? code[Int(entry.offset)] : 0
                    kind = opcode == Instruction.Opcode.ldImm64 ? "func_ref" : "call"
                default: kind = "global_data"
                }
                let callee = kind == "call" || kind == "func_ref" ? callees["\(section.name)+\(entry.offset / 8)"] : nil
                let target = callee ?? symbol.map { $0.name.isEmpty ? (symbolSection ?? "?") : $0.name } ?? "?"
                relocations.append(Relocation(section: section.name, insn: Int(entry.offset / 8), kind: kind, target: target))
            }
        }
        if let btf = summary.btf, let ext = summary.btfExt {
            for section in ext.coreRelos {
                for record in section.records {
                    let path = (try? btf.fieldPath(rootTypeID: record.typeID, accessString: record.accessString, kind: record.kind))
                        ?? btf.cDeclaration(of: record.typeID)
                    relocations.append(Relocation(section: section.sectionName, insn: Int(record.instructionOffset / 8),
                                                  kind: "core " + (record.kind?.libbpfName ?? "\(record.rawKind)"), target: path))
                }
            }
        }
        self.relocations = relocations.sorted { ($0.section, $0.insn, $0.kind) < ($1.section, $1.insn, $1.kind) }
    }

    var text: String {
        var out = "object \(object)  license \(license ?? "-")  BTF types \(btfTypes)\n\n"
        out += Table(["PROGRAM", "SECTION", "OFFSET", "INSNS", "LINKAGE"],
                     programs.map { [$0.name, $0.section, String($0.offset), String($0.insnCount), $0.global ? "global" : "static"] }).text
        out += "\n"
        out += Table(["MAP", "TYPE", "KEY", "VALUE", "MAX_ENTRIES", "FLAGS", "PINNING"],
                     maps.map { [$0.name, $0.type, $0.keySize.map(String.init) ?? "-", $0.valueSize.map(String.init) ?? "-",
                                 $0.maxEntries.map(String.init) ?? "-", $0.flags.map(String.init) ?? "0", $0.pinning.map(String.init) ?? "0"] }).text
        out += "\n"
        out += Table(["SECTION", "INSN", "RELOCATION", "TARGET"],
                     relocations.map { [$0.section, String($0.insn), $0.kind, $0.target] }).text
        return out
    }
}

/// A plain text table with columns padded to their widest cell.
struct Table {
    var header: [String]
    var rows: [[String]]

    init(_ header: [String], _ rows: [[String]]) {
        self.header = header
        self.rows = rows
    }

    var text: String {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0.indices.contains(column) ? $0[column].count : 0 }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }
}
