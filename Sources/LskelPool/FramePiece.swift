import NIOCore

/// A run of a request frame as it is written to a job's stdin: an array (the
/// frame's head, an object that arrived whole) or a received buffer, so an
/// upload that came in fragments reaches the job without being joined first.
public enum FramePiece: Sendable {
    case bytes([UInt8])
    case buffer(ByteBuffer)

    public var count: Int {
        switch self {
        case .bytes(let bytes): bytes.count
        case .buffer(let buffer): buffer.readableBytes
        }
    }

    /// Calls `body` with the piece's bytes from `offset` on.
    func withBytes<Result>(from offset: Int, _ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        switch self {
        case .bytes(let bytes):
            bytes.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[offset...])) }
        case .buffer(let buffer):
            buffer.withUnsafeReadableBytes { body(UnsafeRawBufferPointer(rebasing: $0[offset...])) }
        }
    }
}
