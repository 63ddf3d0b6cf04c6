/// The versions every content key, manifest and report names: one definition.
public enum LskelVersion {
    /// lskel's own version. Part of every content key: bump it whenever the same
    /// object, name and profile can give other bytes, so a store never answers
    /// with an older generator's result.
    public static let lskel = "0.2.0"
    /// The libbpf lskel links (Debian's libbpf-dev).
    public static let libbpf = "1.1.2"
    /// What lskel's output is held to.
    public static let reference = "bpftool 7.1 gen skeleton -L (Debian, Linux 6.1 libbpf)"
    /// The generator, as content keys name it.
    public static let generator = "lskeld \(lskel); libbpf \(libbpf)"
}
