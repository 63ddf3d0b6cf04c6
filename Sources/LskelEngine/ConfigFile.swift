import CLskelHost
import Glibc

/// A kernel config file's bytes as read from disk, before any inflating: plain
/// text (`/boot/config-RELEASE`) or one gzip member (`/proc/config.gz`). Its
/// text is made from these bytes only, so what is known of the bytes (their
/// digest) holds for the text.
public final class ConfigFile: @unchecked Sendable {
    /// Why a file could not be read: an errno.
    public struct OpenError: Error {
        public var code: Int32
    }

    private var raw: lskel_text

    private init(raw: lskel_text) {
        self.raw = raw
    }

    /// Reads `path` whole (at most `maxBytes` of it, and of its text).
    public static func open(_ path: String, maxBytes: Int) -> Result<ConfigFile, OpenError> {
        var raw = lskel_text()
        let opened = lskel_text_open(path, maxBytes, &raw)
        guard opened == 0 else {
            lskel_text_close(&raw)
            return .failure(OpenError(code: -opened))
        }
        return .success(ConfigFile(raw: raw))
    }

    /// Whether the bytes are gzip-compressed.
    public var isCompressed: Bool { raw.gz != 0 }

    /// The bytes as they are on disk.
    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: raw.raw, count: raw.raw_len) }

    /// The text: the bytes themselves, or inflated in one call straight into the
    /// String's storage. nil when a gzip file is not one member of the size its
    /// trailer gives (``HostProfile/readConfig(release:)`` streams those).
    public func text() -> String? {
        let size = raw.size
        var filled: Int32 = 0
        let whole = String(unsafeUninitializedCapacity: size) { buffer in
            guard let base = buffer.baseAddress else { return 0 }
            filled = base.withMemoryRebound(to: CChar.self, capacity: size) { lskel_text_fill(&raw, $0) }
            return filled == 0 ? size : 0
        }
        return filled == 0 ? whole : nil
    }

    deinit {
        lskel_text_close(&raw)
    }
}
