#if canImport(Glibc)
import Glibc
#endif
import LskelModel

/// The SHA-256 of the host's kernel config text, remembered by the SHA-256 of
/// the compressed file it was inflated from (`/proc/config.gz`), so that
/// `lskel gen --host` does not inflate 100 KB of config on every run to hash it
/// for the manifest when the object has no externs (a third of a small
/// object's run). Inflating is deterministic, so an entry holds for every file
/// of those bytes; only configs a generation accepts are remembered.
///
/// One file per config in the user's cache directory: `$LSKEL_CACHE_DIR`
/// (empty: no cache), else `$XDG_CACHE_HOME/lskel`, else `$HOME/.cache/lskel`.
/// An entry that is not a digest is ignored and written again.
public struct KconfigDigestCache: Sendable {
    public let directory: String

    public init(directory: String) {
        self.directory = directory
    }

    /// The cache the environment names; nil when it names none.
    public static func standard() -> KconfigDigestCache? {
        func variable(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }
        if let chosen = variable("LSKEL_CACHE_DIR") {
            return chosen.isEmpty ? nil : KconfigDigestCache(directory: chosen)
        }
        if let base = variable("XDG_CACHE_HOME"), base.hasPrefix("/") {
            return KconfigDigestCache(directory: FilePaths.join(base, "lskel"))
        }
        if let home = variable("HOME"), home.hasPrefix("/") {
            return KconfigDigestCache(directory: FilePaths.join(home, ".cache/lskel"))
        }
        return nil
    }

    /// The entry's file for a compressed config of SHA-256 `fileDigest` (hex).
    public func entryPath(fileDigest: String) -> String {
        FilePaths.join(directory, "kconfig-\(fileDigest)")
    }

    /// The text digest remembered for `fileDigest`, if a well-formed one is.
    public func textDigest(fileDigest: String) -> String? {
        let descriptor = open(entryPath(fileDigest: fileDigest), O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: 128)
        let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        guard count == 65, buffer[64] == UInt8(ascii: "\n") else { return nil }
        let digest = String(decoding: buffer[0..<64], as: UTF8.self)
        return SHA256.isHex(digest) ? digest : nil
    }

    /// Remembers `textDigest` for `fileDigest`: written to a file of its own and
    /// renamed into place, so a reader sees a whole entry or none. Failures are
    /// ignored (the next run inflates again).
    public func remember(textDigest: String, fileDigest: String) {
        guard SHA256.isHex(textDigest), FilePaths.makeDirectories(directory) else { return }
        let path = entryPath(fileDigest: fileDigest)
        let staging = path + ".\(getpid()).tmp"
        let descriptor = open(staging, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { return }
        let line = Array((textDigest + "\n").utf8)
        let written = line.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        close(descriptor)
        if written != line.count || rename(staging, path) != 0 { unlink(staging) }
    }
}
