import Glibc
import NIOCore
import Synchronization

/// An uploaded object's bytes as they arrived: the request body's fragments, joined
/// into one array only when something needs them whole (a generation, a
/// verification, a memo miss). A repeated upload that ``UploadKeyMemo`` recognises is
/// compared fragment by fragment and never copied: joining each 650 KB upload was a
/// tenth of the server's CPU for cached POSTs.
public final class UploadBody: Sendable {
    /// The fragments as received (empty when made from bytes).
    let fragments: [ByteBuffer]
    /// How many bytes the object has.
    public let count: Int
    /// The object's SHA-256 when it was hashed as it arrived (see ``Upload/read``).
    let digest: [UInt8]?
    private let joined: Mutex<[UInt8]?>

    init(fragments: [ByteBuffer], digest: [UInt8]? = nil) {
        self.fragments = fragments
        self.digest = digest
        count = fragments.reduce(0) { $0 + $1.readableBytes }
        joined = Mutex(fragments.isEmpty ? [] : nil)
    }

    public init(bytes: [UInt8]) {
        fragments = []
        digest = nil
        count = bytes.count
        joined = Mutex(bytes)
    }

    /// The whole object, joined once on first use.
    public var bytes: [UInt8] {
        joined.withLock { joined in
            if let joined { return joined }
            var whole: [UInt8] = []
            whole.reserveCapacity(count)
            for fragment in fragments { whole.append(contentsOf: fragment.readableBytesView) }
            joined = whole
            return whole
        }
    }

    /// The fragments, when the object has not been joined: what a generation
    /// writes to its job piece by piece instead of joining them.
    var unjoinedFragments: [ByteBuffer]? {
        guard !fragments.isEmpty, joined.withLock({ $0 == nil }) else { return nil }
        return fragments
    }

    /// The memory that keeping this body holds: the storage of every fragment
    /// (a received buffer can be larger than its bytes), or the joined array.
    var retainedBytes: Int {
        guard unjoinedFragments != nil else { return count }
        return fragments.reduce(0) { $0 + $1.storageCapacity }
    }

    /// Calls `body` with each run of contiguous bytes in `range`, in order.
    func forEachRun(in range: Range<Int>, _ body: (UnsafeRawBufferPointer) -> Void) {
        if let whole = joined.withLock({ $0 }) {
            whole.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[range])) }
            return
        }
        var offset = 0
        for fragment in fragments {
            let fragmentRange = offset..<(offset + fragment.readableBytes)
            offset = fragmentRange.upperBound
            let overlap = fragmentRange.clamped(to: range)
            guard !overlap.isEmpty else { continue }
            fragment.withUnsafeReadableBytes { bytes in
                body(UnsafeRawBufferPointer(rebasing: bytes[(overlap.lowerBound - fragmentRange.lowerBound)..<(overlap.upperBound - fragmentRange.lowerBound)]))
            }
            if offset >= range.upperBound { break }
        }
    }

    /// Whether the object is exactly `other`'s, compared run by run.
    func equals(_ other: UploadBody) -> Bool {
        guard other.count == count else { return false }
        if let whole = other.joined.withLock({ $0 }) { return equals(whole) }
        var offset = 0, same = true
        forEachRun(in: 0..<count) { run in
            guard same, let start = run.baseAddress else { return }
            var compared = 0
            other.forEachRun(in: offset..<(offset + run.count)) { otherRun in
                guard same, let otherStart = otherRun.baseAddress else { return }
                same = memcmp(start + compared, otherStart, otherRun.count) == 0
                compared += otherRun.count
            }
            offset += run.count
        }
        return same
    }

    /// Whether the object is exactly `other`, compared fragment by fragment.
    func equals(_ other: [UInt8]) -> Bool {
        guard other.count == count else { return false }
        return other.withUnsafeBytes { other in
            guard let base = other.baseAddress else { return true }
            var offset = 0, same = true
            forEachRun(in: 0..<count) { run in
                guard same, let start = run.baseAddress else { return }
                same = memcmp(start, base + offset, run.count) == 0
                offset += run.count
            }
            return same
        }
    }
}
