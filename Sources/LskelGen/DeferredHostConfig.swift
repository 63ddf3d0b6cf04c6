import LskelEngine
import LskelModel

/// `lskel gen --host`'s kernel config, read, checked and hashed on a thread
/// of its own while the objects are read and generated: libbpf needs the text
/// only for an object with externs, the manifest only its digest, and reading
/// `/proc/config.gz` (inflate, CRC, SHA-256 of 100 KB) was a sixth of a small
/// object's run.
public final class DeferredHostConfig: Sendable {
    /// The config and its digest, or why the calling thread has to read it.
    enum Read: Sendable {
        case text(String, digest: String)
        case none
        case needsStreaming
    }

    private let read: Background<Read>
    private let release: String

    /// Starts reading the config of `release` from where bpftool's libbpf reads it.
    public init(release: String) {
        self.release = release
        read = Background {
            switch HostProfile.readConfigInOnePass(release: release) {
            case .text(let text): .text(text, digest: SHA256.hex(text.utf8))
            case .none: .none
            case .needsStreaming: .needsStreaming
            }
        }
    }

    /// The config text (nil when the host has none) and its SHA-256, as
    /// ``HostProfile/read()`` would have read it. Only while no generation runs.
    public func resolve() -> (text: String?, digest: String?) {
        switch read.join() {
        case .text(let text, let digest): (text, digest)
        case .none: (nil, nil)
        case .needsStreaming: HostProfile.readConfig(release: release).map { ($0, SHA256.hex($0.utf8)) } ?? (nil, nil)
        }
    }
}
