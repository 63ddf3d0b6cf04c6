import LskelEngine
import LskelModel

/// `lskel gen --host`'s kernel config, read, checked and hashed on a thread
/// of its own while the objects are read and generated: libbpf needs the text
/// only for an object with `CONFIG_*` externs, the manifest only its digest, and reading
/// `/proc/config.gz` (inflate, CRC, SHA-256 of 100 KB) was a sixth of a small
/// object's run. A compressed config whose digest the cache remembers is not
/// inflated at all unless an object needs its text.
public final class DeferredHostConfig: @unchecked Sendable {
    /// The config and its digest, or why the calling thread has to read it.
    enum Read: Sendable {
        case text(String, digest: String)
        case needsStreaming
    }

    /// The text's digest, as the cache remembers it for the file's bytes.
    public let rememberedDigest: String?
    private let file: ConfigFile?
    private let read: Background<Read>?
    private let release: String

    /// Starts reading the config of `release` from where bpftool's libbpf reads it.
    public init(release: String, cache: KconfigDigestCache? = KconfigDigestCache.standard()) {
        self.release = release
        let file = HostProfile.openConfig(release: release)
        self.file = file
        guard let file else {
            rememberedDigest = nil
            read = nil
            return
        }
        // The compressed bytes are a quarter of the text and hash in a fraction of its inflating.
        let fileDigest = file.isCompressed && cache != nil ? SHA256.hex(file.bytes) : nil
        if let fileDigest, let remembered = cache?.textDigest(fileDigest: fileDigest) {
            rememberedDigest = remembered
            read = nil
            return
        }
        rememberedDigest = nil
        read = Background {
            guard let text = file.text() else { return .needsStreaming }
            let digest = SHA256.hex(text.utf8)
            if let fileDigest, !text.containsNUL { cache?.remember(textDigest: digest, fileDigest: fileDigest) }
            return .text(text, digest: digest)
        }
    }

    /// The config text (nil when the host has none) and its SHA-256, as
    /// ``HostProfile/read()`` would have read it. Only while no generation runs.
    public func resolve() -> (text: String?, digest: String?) {
        // No thread: the host has no config, or its digest was remembered and the text is read now.
        guard let file else { return (nil, nil) }
        let read = read?.join() ?? file.text().map { .text($0, digest: SHA256.hex($0.utf8)) } ?? .needsStreaming
        switch read {
        case .text(let text, let digest): return (text, digest)
        case .needsStreaming: return HostProfile.readConfig(release: release).map { ($0, SHA256.hex($0.utf8)) } ?? (nil, nil)
        }
    }
}
