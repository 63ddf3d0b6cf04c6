/// A map as the loader creates it, in skeleton order.
public struct LoaderMap: Sendable, Hashable, Codable {
    /// libbpf's map name (internal maps: `<obj>.data` and so on).
    public var name: String
    /// The identifier the `.lskel.h` uses (`skel->maps.<ident>`), when it has one.
    public var ident: String?
    public var type: UInt32
    /// libbpf's name of the map type (`hash`, `perf_event_array`, ...).
    public var typeName: String
    public var keySize: UInt32
    public var valueSize: UInt32
    public var maxEntries: UInt32
    public var flags: UInt32
    public var isInternal: Bool
    /// Whether the header memory-maps it (`skel-><ident>` points at its data).
    public var isMmapped: Bool
    /// Name of the inner map of a map-in-map.
    public var innerMap: String?
    /// Initial contents of an internal (global data) map as the loader sets them.
    public var initialData: [UInt8]
}

/// A program the loader loads, in skeleton order.
public struct LoaderProgram: Sendable, Hashable, Codable {
    public var name: String
    public var section: String
    public var type: UInt32
    public var typeName: String
    public var expectedAttachType: UInt32
    public var expectedAttachTypeName: String
    /// Instruction count after libbpf's relocation (subprograms appended).
    public var instructionCount: Int
    /// The kernel function, tracepoint or hook the loader looks up for attaching, if any.
    public var attachTarget: String?
    public var funcInfoCount: Int
    public var lineInfoCount: Int
    /// `kern_version` in the program's load attributes.
    public var kernVersion: UInt32
    /// The program's final instructions as the loader loads them (before the
    /// loader patches in what it resolves at load time).
    public var instructions: [UInt8]
    /// CO-RE, ksym and kfunc relocations the loader applies, in instruction order.
    public var relocations: [LoaderRelocation]
    /// Whether the loader loads it (false for `SEC("?...")` programs).
    public var autoload: Bool
}

/// What one generation produced.
public struct GeneratedLoader: Sendable {
    /// Skeleton name used for the header and libbpf's object name.
    public var name: String
    /// Loader program instructions (`opts.insns`).
    public var insns: [UInt8]
    /// Loader data blob (`opts.data`).
    public var data: [UInt8]
    /// The `.lskel.h` text.
    public var header: String
    public var maps: [LoaderMap]
    public var programs: [LoaderProgram]
    /// Programs as libbpf counted them for the loader (subprograms included).
    public var libbpfProgramCount: Int
    /// Size of the context a `.lskel.h` user passes (`skel->ctx.sz`).
    public var contextSize: Int
    /// Everything libbpf printed, debug messages included.
    public var libbpfLog: [LibbpfMessage]
    /// Profile values this object consumed, by profile field name.
    public var consumedProfile: Set<String>
    /// The `.kconfig` variables at the offsets libbpf gave them in the kconfig map.
    public var kconfigLayout: [DataSectionVariable]
}

/// A variable of a data section as libbpf laid it out.
public struct DataSectionVariable: Sendable, Hashable, Codable {
    public var name: String
    public var offset: Int
    public var size: Int
    /// BTF type ID of the variable's type in the object's BTF.
    public var typeID: UInt32
}
