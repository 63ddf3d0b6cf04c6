import CLskelSystem

/// An SHA-256 computed as its input arrives (an upload, fragment by fragment),
/// the same digest as ``SHA256/digest(_:)`` of the whole.
public final class SHA256Stream: @unchecked Sendable {
    /// libcrypto's context; nil once finished.
    private var context: UnsafeMutableRawPointer?

    public init() {
        context = lskel_sha256_begin()
        precondition(context != nil, "libcrypto failed to start SHA-256")
    }

    /// Hashes `bytes` after what came before.
    public func update(_ bytes: UnsafeRawBufferPointer) {
        guard let context, let base = bytes.baseAddress, !bytes.isEmpty else { return }
        precondition(lskel_sha256_update(context, base, bytes.count) == 0, "libcrypto failed to compute SHA-256")
    }

    /// The 32 bytes of the digest; the stream takes no more input after this.
    public func finish() -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 32)
        let status = digest.withUnsafeMutableBufferPointer { lskel_sha256_end(context, $0.baseAddress) }
        context = nil
        precondition(status == 0, "libcrypto failed to compute SHA-256")
        return digest
    }

    deinit {
        if let context { lskel_sha256_free(context) }
    }
}
