import BPFObject
import CLibbpf

/// The features libbpf 1.1's gen-loader mode cannot turn into a working
/// loader. Each is refused before generation with an error naming it, rather
/// than crashing libbpf or emitting a loader the kernel then rejects.
enum ObjectPolicy {
    /// libbpf 1.1's loader keeps the fds of at most this many programs.
    static let maxLoaderPrograms = 32

    /// Checks made on the opened object, before libbpf generates anything.
    static func checkOpened(_ object: LibbpfObject, log: [LibbpfMessage]) throws {
        let log = log.texts
        if let line = log.first(where: { $0.includes(" points to prog '") && $0.includes(".maps relo #") }) {
            let map = quoted(after: "map '", in: line) ?? "?"
            let prog = quoted(after: "prog '", in: line) ?? "?"
            throw GenerationError(.progArrayInit,
                "map '\(map)' is a program array initialised in the object (slot points to program '\(prog)'); libbpf 1.1 cannot initialise program arrays from a light skeleton loader: fill it from user space after loading",
                libbpfLog: [line])
        }
        for map in object.maps {
            let name = MapInfo.name(map)
            let type = bpf_map__type(map).rawValue
            if type == BPF_MAP_TYPE_STRUCT_OPS.rawValue {
                throw GenerationError(.structOps,
                    "map '\(name)' is a struct_ops map; libbpf 1.1's light skeleton loader does not support struct_ops")
            }
            if type == BPFMapType.arena.rawValue {
                throw GenerationError(.arenaMap,
                    "map '\(name)' is an arena map (BPF_MAP_TYPE_ARENA), which libbpf 1.1 does not support")
            }
            if libbpf_bpf_map_type_str(bpf_map_type(rawValue: type)) == nil {
                throw GenerationError(.unknownMapType,
                    "map '\(name)' has map type \(type), which libbpf 1.1 does not know")
            }
            if let pin = String(optionalCString: bpf_map__pin_path(map)) {
                throw GenerationError(.pinnedMap,
                    "map '\(name)' is pinned (pinning path \(pin)); a light skeleton loader cannot pin or reuse pinned maps: remove the pinning attribute and pin from user space")
            }
        }
        for prog in object.programs {
            let name = String(optionalCString: bpf_program__name(prog)) ?? ""
            let section = String(optionalCString: bpf_program__section_name(prog)) ?? ""
            let type = bpf_program__type(prog)
            if type == BPF_PROG_TYPE_UNSPEC {
                throw GenerationError(.unknownSection,
                    "program '\(name)' is in section '\(section)', whose name libbpf 1.1 does not know, so it has no program type",
                    libbpfLog: log.filter { $0.includes("'\(section)'") })
            }
            if type == BPF_PROG_TYPE_STRUCT_OPS {
                throw GenerationError(.structOps,
                    "program '\(name)' (section '\(section)') is a struct_ops program; libbpf 1.1's light skeleton loader does not support struct_ops")
            }
        }
    }

    /// A light-skeleton loader stores the fd of each program it loads in the
    /// next program descriptor, and loads nothing for a program not loaded by
    /// default (`SEC("?...")`): a loaded program after such a one would get
    /// its fd in the wrong descriptor. bpftool 7.1 emits that loader anyway.
    static func checkAutoloadOrder(_ object: LibbpfObject) throws {
        var skipped: String? = nil
        for program in object.programs {
            let name = String(optionalCString: bpf_program__name(program)) ?? ""
            if !bpf_program__autoload(program) {
                if skipped == nil { skipped = name }
            } else if let skipped {
                throw GenerationError(.autoloadGap,
                    "program '\(skipped)' is not loaded by default (SEC(\"?...\")) and comes before '\(name)', which is: a light-skeleton loader stores the fds of the programs it loads one after another, so '\(name)''s fd would land in '\(skipped)''s descriptor; put SEC(\"?...\") programs after the others, or drop the '?'")
            }
        }
    }

    /// Checks made on what libbpf handed the loader generator.
    static func checkGenerated(programCount: Int) throws {
        if programCount > maxLoaderPrograms {
            throw GenerationError(.tooManyPrograms,
                "the object has \(programCount) programs counting subprograms as libbpf does; libbpf 1.1's loader keeps at most \(maxLoaderPrograms) and would emit a loader the verifier rejects")
        }
    }

    /// Maps a failed `bpf_object__open_mem` to an error.
    static func openFailure(errno code: Int32, log: [LibbpfMessage]) -> GenerationError {
        let warnings = log.warnings
        if let line = warnings.first(where: { $0.includes("legacy map definitions in 'maps' section") }) {
            return GenerationError(.legacyMapsSection,
                "the object defines maps in the legacy 'maps' section, which libbpf 1.0 and later reject: use BTF-defined maps in the '.maps' section",
                libbpfLog: [line])
        }
        let reason = warnings.last ?? "libbpf error \(code)"
        return GenerationError(.invalidObject, "libbpf could not open the object: \(reason)", libbpfLog: warnings)
    }

    /// Maps a failed `bpf_object__load` in gen-loader mode to an error.
    static func loadFailure(errno code: Int32, log: [LibbpfMessage]) -> GenerationError {
        let warnings = log.warnings
        for line in warnings {
            if line.includes("extern") && (line.includes("not resolved") || line.includes("unrecognized virtual extern") || line.includes("failed to get kernel version")) {
                let name = quoted(after: "'", in: line) ?? "?"
                let hint: String
                if name == "LINUX_KERNEL_VERSION" {
                    hint = "set the target's kernel release (kernel_release / --kernel-release)"
                } else if name.hasPrefix("CONFIG_") {
                    hint = "add it to the target's kernel config (kconfig / --kconfig) or declare it __weak"
                } else if name.hasPrefix("LINUX_") {
                    hint = "libbpf 1.1 does not know this virtual extern; declare it __weak to default it to 0"
                } else {
                    hint = "declare it __weak or provide it in the target profile"
                }
                return GenerationError(.unresolvedExtern, "extern '\(name)' has no value for this target: \(hint)", libbpfLog: warnings)
            }
            if line.includes("Total maps exceeds") {
                return GenerationError(.generationFailed, "the object has more maps than libbpf 1.1's loader supports (64)", libbpfLog: warnings)
            }
        }
        let reason = warnings.last ?? "libbpf error \(code)"
        return GenerationError(.generationFailed, "libbpf could not generate the loader: \(reason)", libbpfLog: warnings)
    }

    /// The text between `prefix` and the next `'` in `line`.
    static func quoted(after prefix: String, in line: String) -> String? {
        guard let start = line.range(ofLiteral: prefix)?.upperBound else { return nil }
        let rest = line[start...]
        guard let end = rest.firstIndex(of: "'") else { return nil }
        return String(rest[..<end])
    }
}
