/// A reader of BPF ELF objects that never trusts its input: ELF64 sections,
/// symbols and relocations, BTF and BTF.ext, and BPF instructions.
public enum BPFObjectReader {}
