import BPFObject
import CLibbpf

/// The behaviours in which Debian's bpftool 7.1 (whose libbpf is the Linux
/// 6.1.y tree's `tools/lib/bpf`) differs from libbpf-dev 1.1.2, which lskel
/// links, emulated so that the output is bpftool's. The README's "inherited
/// differences" table lists each with its upstream commit; the typed-ksym
/// instruction rewrite lives in ``LoaderFixups``.
///
/// Object-level differences are applied to the private copy of the object
/// that libbpf opens (a light skeleton never embeds the ELF), the rest to the
/// opened object before loading, and the header ones to the declarations
/// libbpf's BTF dumper prints.
enum InheritedDifferences {
    // MARK: before open

    /// The copy of `object` that libbpf 1.1.2 opens into what the 6.1 tree's
    /// libbpf would see:
    /// - `__hidden` global variables keep their global BTF linkage: 1.1.2 makes
    ///   them static (so bpftool pads them out of the header), 6.1 ignores ELF
    ///   visibility of variables ("libbpf: clean up and refactor BTF fixup step");
    /// - a `__weak` function in `.text` whose address is taken (a callback) is a
    ///   subprogram: 1.1.2 takes it for a map relocation and fails ("libbpf: fix
    ///   sym_is_subprog() logic for weak global subprogs", in 6.1.y);
    /// - a zero-filled `.bss.NAME` section is not a map: 6.1 skips it (1.1.2
    ///   made it one in "selftests/bpf: Workaround for llvm nop-4 bug"), and an
    ///   object whose code refers to it fails in bpftool, so it is refused here.
    /// `elf` is the reader's parse of `object` when the caller has one.
    /// The object itself when nothing is to be rewritten (almost always), else a rewritten copy.
    static func prepare(_ object: ObjectBytes, elf parsed: ELFFile? = nil) throws -> ObjectBytes {
        guard let elf = parsed ?? (try? ELFFile(object: object)) else { return object }  // libbpf names what is wrong
        let edits = symbolEdits(elf)
        guard !edits.isEmpty || elf.sections.contains(where: isNamedBSS) else { return object }
        var bytes = Array(object)
        for edit in edits { bytes[edit.offset] = edit.apply(bytes[edit.offset]) }
        try skipNamedBSSSections(elf, &bytes)
        return ObjectBytes(bytes)
    }

    /// One byte of a symbol table entry to rewrite: its offset in the file and the new value.
    private struct SymbolEdit {
        var offset: Int
        var apply: (UInt8) -> UInt8
    }

    /// The symbol table bytes to rewrite: the visibility of each hidden or
    /// internal global variable, the binding of each weak function in `.text`.
    private static func symbolEdits(_ elf: ELFFile) -> [SymbolEdit] {
        guard let symtab = elf.sections.first(where: { $0.type == ELF.SHT_SYMTAB }) else { return [] }
        var edits: [SymbolEdit] = []
        for symbol in elf.symbols where symbol.sectionIndex != 0 && symbol.sectionIndex < 0xff00 {
            guard Int(symbol.sectionIndex) < elf.sections.count else { continue }
            let entry = Int(symtab.offset) + symbol.index * ELF.symbolSize
            let global = symbol.binding == ELF.STB_GLOBAL || symbol.binding == ELF.STB_WEAK
            if symbol.type == ELF.STT_OBJECT, global, symbol.visibility == ELF.STV_HIDDEN
                || symbol.visibility == ELF.STV_INTERNAL {
                edits.append(SymbolEdit(offset: entry + ELF.symbolOtherOffset) { $0 & ~ELF.visibilityMask })
            }
            if symbol.type == ELF.STT_FUNC, symbol.binding == ELF.STB_WEAK,
               elf.sections[Int(symbol.sectionIndex)].name == ".text" {
                let info = ELF.STB_GLOBAL << 4 | symbol.type
                edits.append(SymbolEdit(offset: entry + ELF.symbolInfoOffset) { _ in info })
            }
        }
        return edits
    }

    private static func isNamedBSS(_ section: ELFSection) -> Bool {
        section.type == ELF.SHT_NOBITS && section.name.hasPrefix(".bss.")
    }

    /// Turns each `.bss.NAME` (NOBITS) section into an empty PROGBITS one of
    /// the same size, which 1.1.2 skips as 6.1 does, keeping its size for the
    /// BTF fix-up; refuses the object when code refers to one.
    /// Most zero bytes added for `.bss.NAME` sections.
    static let maxZeroFill = 64 << 20

    private static func skipNamedBSSSections(_ elf: ELFFile, _ bytes: inout [UInt8]) throws {
        let named = elf.sections.filter(isNamedBSS)
        guard !named.isEmpty else { return }
        let indices = Set(named.map(\.index))
        for relocations in elf.relocationSections {
            guard relocations.targetIndex < elf.sections.count, elf.sections[relocations.targetIndex].isExecutable else { continue }
            for entry in relocations.entries where Int(entry.symbolIndex) < elf.symbols.count {
                let symbol = elf.symbols[Int(entry.symbolIndex)]
                if indices.contains(Int(symbol.sectionIndex)) {
                    let section = elf.sections[Int(symbol.sectionIndex)].name
                    throw GenerationError(.namedBSSSection,
                        "'\(symbol.name)' is in section '\(section)', which Debian's bpftool (libbpf of Linux 6.1) does not turn into a map, so its relocation fails there; put the variable in .bss")
                }
            }
        }
        let (total, overflow) = named.reduce((UInt64(0), false)) { sum, section in
            let (next, carry) = sum.0.addingReportingOverflow(section.size)
            return (next, sum.1 || carry)
        }
        guard !overflow, total <= UInt64(maxZeroFill) else {
            throw GenerationError(.invalidObject, "the .bss.* sections hold \(total) bytes, more than \(maxZeroFill)")
        }
        let order = elf.byteOrder
        let sectionTable = Int(read(bytes, at: ELF.sectionTableOffsetField, 8, order))
        let entrySize = Int(read(bytes, at: ELF.sectionEntrySizeField, 2, order))
        for section in named {
            let header = sectionTable + section.index * entrySize
            write(&bytes, at: header + ELF.sectionTypeField, 4, UInt64(ELF.SHT_PROGBITS), order)
            write(&bytes, at: header + ELF.sectionOffsetField, 8, UInt64(bytes.count), order)
            bytes += [UInt8](repeating: 0, count: Int(section.size))
        }
    }

    private static func read(_ bytes: [UInt8], at offset: Int, _ width: Int, _ order: ByteOrder) -> UInt64 {
        (0..<width).reduce(UInt64(0)) { value, index in
            let byte = UInt64(bytes[offset + (order == .little ? width - 1 - index : index)])
            return value << 8 | byte
        }
    }

    private static func write(_ bytes: inout [UInt8], at offset: Int, _ width: Int, _ value: UInt64, _ order: ByteOrder) {
        for index in 0..<width {
            let byte = UInt8(truncatingIfNeeded: value >> (8 * UInt64(index)))
            bytes[offset + (order == .little ? index : width - 1 - index)] = byte
        }
    }

    // MARK: after open

    /// The opened object as the 6.1 tree's libbpf would have it before load:
    /// - every internal map (`.data*`, `.rodata*`, `.bss`, `.kconfig`) is
    ///   mmapable; 1.1.2 leaves out `BPF_F_MMAPABLE` where a section has no
    ///   global variable (a `bpf_printk` string, statics only: "libbpf: only
    ///   add BPF_F_MMAPABLE flag for data maps with global vars"), and bpftool's
    ///   header then has no struct for it;
    /// - a perf event array used as an inner map template without
    ///   `max_entries` gets the CPU count, like a top-level one ("libbpf: Apply
    ///   map_set_def_max_entries() for inner_maps on creation", in 6.1.y);
    ///   the count is the profile's, as for the top-level arrays;
    /// - a lone function in `.text` is a subprogram, not a program ("libbpf:
    ///   never interpret subprogs in .text as entry programs", in 6.1.y): it is
    ///   not loaded (and ``LibbpfObject/programs`` leaves it out).
    static func adjust(_ object: LibbpfObject, possibleCPUs: UInt32) {
        for map in object.maps {
            if bpf_map__is_internal(map) {
                _ = bpf_map__set_map_flags(map, bpf_map__map_flags(map) | UInt32(BPF_F_MMAPABLE))
            }
            if let inner = bpf_map__inner_map(map), bpf_map__type(inner) == BPF_MAP_TYPE_PERF_EVENT_ARRAY,
               bpf_map__max_entries(inner) == 0 {
                _ = bpf_map__set_max_entries(inner, possibleCPUs)
            }
        }
        for program in object.allPrograms where LibbpfObject.isTextSubprogram(program) {
            _ = bpf_program__set_autoload(program, false)
        }
    }

    /// Refuses a kernel config whose value for one of the object's string
    /// externs is a lone `"`: 6.1 rejects it ("libbpf: Fix out-of-bound
    /// read"), 1.1.2 reads past the end of the line.
    /// Only `CONFIG_*` externs count: libbpf reads the config for no other
    /// extern, and skips every line that does not start with `CONFIG_`.
    static func checkKconfig(_ kconfig: String?, externs: [String]) throws {
        let names = Set(externs.filter { $0.hasPrefix(ELFFile.kconfigPrefix) })
        guard let kconfig, !names.isEmpty else { return }
        // Bytes, not Characters: a real config is 10,000 lines, and splitting it
        // as a String was most of a small object's generation.
        var config = kconfig
        try config.withUTF8 { text in try checkKconfig(text, names: names) }
    }

    private static func checkKconfig(_ text: UnsafeBufferPointer<UInt8>, names: Set<String>) throws {
        let newline = UInt8(ascii: "\n"), equals = UInt8(ascii: "="), quote = UInt8(ascii: "\"")
        var lineStart = 0
        for index in 0...text.count where index == text.count || text[index] == newline {
            defer { lineStart = index + 1 }
            // NAME=" and nothing after it, the first '=' of the line being that one.
            guard index - lineStart >= 2, text[index - 1] == quote, text[index - 2] == equals,
                  !text[lineStart..<(index - 2)].contains(equals)
            else { continue }
            let name = String(decoding: text[lineStart..<(index - 2)], as: UTF8.self)
            if names.contains(name) {
                let line = String(decoding: text[lineStart..<index], as: UTF8.self)
                throw GenerationError(.invalidProfile, "kernel config line '\(line)': extern \(name) has an unterminated string value")
            }
        }
    }

    // MARK: header

    /// A declaration as the 6.1 tree's BTF dumper prints it: a prototype
    /// without parameters is `(void)` ("libbpf: Fix no-args func prototype BTF
    /// dumping syntax", in 6.1.y), and an anonymous enum of 1 or 8 bytes has no
    /// `mode` attribute (added in 1.1 by "libbpf: Handle non-standardly sized
    /// enums better in BTF-to-C dumper").
    static func declaration(_ text: String) -> String {
        guard text.includes("()") || text.includes("__attribute__((mode(") else { return text }
        return text.replacingLiteral("()", with: "(void)")
            .replacingLiteral(" __attribute__((mode(byte)))", with: "")
            .replacingLiteral(" __attribute__((mode(word)))", with: "")
    }
}
