/// Why an object did not become a loader. Every failure names its cause; the
/// ``kind`` is stable and machine-readable, ``detail`` is for people and
/// ``libbpfLog`` holds libbpf's own lines that explain it.
public struct GenerationError: Error, Sendable, Hashable, Codable, CustomStringConvertible {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// The bytes are not a BPF ELF object libbpf can open.
        case invalidObject = "invalid-object"
        /// The target profile or an option is malformed.
        case invalidProfile = "invalid-profile"
        /// The requested skeleton name is not a C identifier.
        case invalidName = "invalid-name"
        /// More programs than libbpf 1.1's loader keeps (32), counting subprograms as libbpf does.
        case tooManyPrograms = "too-many-programs"
        /// A `BPF_MAP_TYPE_PROG_ARRAY` initialised in the object (`.values = { ... }`).
        case progArrayInit = "prog-array-init"
        /// `struct_ops` maps or programs.
        case structOps = "struct-ops"
        /// A map with `pinning` set.
        case pinnedMap = "pinned-map"
        /// An arena map (`BPF_MAP_TYPE_ARENA`).
        case arenaMap = "arena-map"
        /// A map type libbpf 1.1 does not know.
        case unknownMapType = "unknown-map-type"
        /// Old-style map definitions in the `maps` section.
        case legacyMapsSection = "legacy-maps-section"
        /// Code refers to a variable in a `.bss.NAME` section, which Debian's bpftool does not turn into a map.
        case namedBSSSection = "named-bss-section"
        /// A program not loaded by default (`SEC("?...")`) before one that is: the loader would give the later program's fd to it.
        case autoloadGap = "autoload-gap"
        /// A program in a section whose name libbpf does not know.
        case unknownSection = "unknown-section"
        /// An extern (kconfig, ksym) that no input resolves.
        case unresolvedExtern = "unresolved-extern"
        /// A `max_entries` override names no map of the object.
        case unknownMap = "unknown-map"
        /// libbpf failed while generating for a reason not listed above.
        case generationFailed = "generation-failed"
    }

    public var kind: Kind
    public var detail: String
    public var libbpfLog: [String]

    public init(_ kind: Kind, _ detail: String, libbpfLog: [String] = []) {
        self.kind = kind
        self.detail = detail
        self.libbpfLog = libbpfLog
    }

    /// True when the input is at fault (a request error), false for a fault of the service.
    public var isInputFault: Bool { kind != .generationFailed }

    public var description: String { "\(kind.rawValue): \(detail)" }
}
