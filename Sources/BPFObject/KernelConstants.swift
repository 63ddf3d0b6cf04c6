/// The kernel's and ELF's numbers, named as they spell them: one definition
/// of each, for the reader, the engine and the manifest.

/// `BTF_KIND_*` (include/uapi/linux/btf.h).
public enum BTFKind: UInt8, Sendable {
    case unknown = 0, int = 1, pointer = 2, array = 3, structure = 4, union = 5, enumeration = 6, forward = 7
    case typedef = 8, volatile = 9, const = 10, restrict = 11, function = 12, functionProto = 13, variable = 14
    case dataSection = 15, float = 16, declTag = 17, typeTag = 18, enumeration64 = 19
}

/// `BTF_INT_*` encoding bits and the layout of a BTF_KIND_INT's extra word.
public enum BTFInt {
    public static let signed: UInt8 = 1 << 0
    public static let char: UInt8 = 1 << 1
    public static let bool: UInt8 = 1 << 2
    /// Bits of the extra word that must be zero: between `BTF_INT_BITS` (0-7) and `BTF_INT_OFFSET` (16-23).
    public static let reservedBits: UInt32 = 0x0000_ff00
}

/// `BTF_VAR_*` linkage of a BTF_KIND_VAR.
public enum BTFVarLinkage: UInt32, Sendable {
    case `static` = 0, globalAllocated = 1, globalExtern = 2
}

/// `enum bpf_map_type` (include/uapi/linux/bpf.h).
public enum BPFMapType: UInt32, Sendable {
    case unspec = 0, hash, array, progArray, perfEventArray, percpuHash, percpuArray, stackTrace, cgroupArray
    case lruHash, lruPercpuHash, lpmTrie, arrayOfMaps, hashOfMaps, devmap, sockmap, cpumap, xskmap, sockhash
    case cgroupStorage, reuseportSockarray, percpuCgroupStorage, queue, stack, skStorage, devmapHash, structOps
    case ringbuf, inodeStorage, taskStorage, bloomFilter, userRingbuf, cgrpStorage, arena
}

/// `BPF_F_*` map flags.
public enum BPFMapFlag {
    public static let noPrealloc: UInt32 = 1 << 0
    public static let rdonlyProg: UInt32 = 1 << 7
    public static let wronlyProg: UInt32 = 1 << 8
    public static let mmapable: UInt32 = 1 << 10
}

/// `BPF_PSEUDO_*`: what the source register of a call means.
public enum BPFPseudoCall {
    /// A bpf-to-bpf call (imm is the relative instruction offset).
    public static let call: UInt8 = 1
    /// A kfunc call (imm is a kernel BTF id).
    public static let kfuncCall: UInt8 = 2
}

/// ELF symbol types (`STT_*`), bindings (`STB_*`) and visibilities (`STV_*`), and section types (`SHT_*`).
public enum ELF {
    public static let STT_NOTYPE: UInt8 = 0
    public static let STT_OBJECT: UInt8 = 1
    public static let STT_FUNC: UInt8 = 2
    public static let STT_SECTION: UInt8 = 3
    public static let STB_LOCAL: UInt8 = 0
    public static let STB_GLOBAL: UInt8 = 1
    public static let STB_WEAK: UInt8 = 2
    public static let STV_DEFAULT: UInt8 = 0
    public static let STV_INTERNAL: UInt8 = 1
    public static let STV_HIDDEN: UInt8 = 2
    /// `st_shndx` of a symbol defined elsewhere (an extern).
    public static let SHN_UNDEF: UInt16 = 0
    public static let SHT_PROGBITS: UInt32 = 1
    public static let EM_BPF: UInt16 = 247
    public static let SHT_SYMTAB: UInt32 = 2
    public static let SHT_STRTAB: UInt32 = 3
    public static let SHT_RELA: UInt32 = 4
    public static let SHT_NOBITS: UInt32 = 8
    public static let SHT_REL: UInt32 = 9
    public static let SHF_EXECINSTR: UInt64 = 0x4
    /// `Elf64_Sym`: 24 bytes, `st_info` at 4, `st_other` (visibility in its low 2 bits) at 5.
    public static let symbolSize = 24
    public static let symbolInfoOffset = 4
    public static let symbolOtherOffset = 5
    public static let visibilityMask: UInt8 = 0x3
    /// `Elf64_Ehdr`: `e_shoff` at 40, `e_shentsize` at 58; `Elf64_Shdr`: `sh_type` at 4, `sh_offset` at 24.
    public static let sectionTableOffsetField = 40
    public static let sectionEntrySizeField = 58
    public static let sectionTypeField = 4
    public static let sectionOffsetField = 24
}
