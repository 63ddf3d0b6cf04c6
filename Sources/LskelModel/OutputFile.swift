#if canImport(Glibc)
import Glibc
#endif

/// Writes an output file (a loader's header, blobs, manifest, signature) the
/// way a compiler writes its outputs: created or replaced in place, mode 0644
/// less the umask, and not synced. Foundation's `Data.write(to:)` syncs every
/// file, which was most of a small `lskel gen`'s wall time (four fsyncs).
///
/// An existing file is overwritten and then cut to the new length rather than
/// opened with `O_TRUNC`: ext4 (`auto_da_alloc`) starts writing back a file
/// truncated to zero when it is closed, and that was a tenth of regenerating
/// a small object's loader over its previous outputs.
public enum OutputFile {
    public struct WriteError: Error, CustomStringConvertible {
        public var path: String
        public var reason: String
        public var description: String { "cannot write \(path): \(reason)" }
    }

    /// Writes `text`'s UTF-8 where the string keeps it (no copy into an array).
    public static func write(_ text: String, to path: String) throws {
        var text = text
        try text.withUTF8 { try write(UnsafeRawBufferPointer($0), to: path) }
    }

    public static func write(_ bytes: [UInt8], to path: String) throws {
        try bytes.withUnsafeBytes { try write($0, to: path) }
    }

    public static func write(_ buffer: UnsafeRawBufferPointer, to path: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw WriteError(path: path, reason: String(cString: strerror(errno))) }
        var failure: Int32 = 0
        var offset = 0
        while offset < buffer.count, let base = buffer.baseAddress {
            let count = Glibc.write(descriptor, base + offset, buffer.count - offset)
            if count < 0 {
                if errno == EINTR { continue }
                failure = errno
                break
            }
            offset += count
        }
        if failure == 0 && ftruncate(descriptor, off_t(buffer.count)) != 0 { failure = errno }
        if close(descriptor) != 0 && failure == 0 { failure = errno }
        if failure != 0 { throw WriteError(path: path, reason: String(cString: strerror(failure))) }
    }
}
