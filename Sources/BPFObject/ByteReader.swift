/// The byte order of multi-byte fields.
public enum ByteOrder: Sendable, Equatable {
    case little
    case big
}

/// A bounds-checked reader over a window of an object's bytes.
///
/// Offsets passed to the read methods are relative to the start of the
/// window; errors report them that way too, together with `what`, the name
/// of the thing being read. No read ever traps.
public struct ByteReader: Sendable {
    /// The underlying bytes (shared, never copied).
    public let storage: ObjectBytes
    /// Absolute index of the first byte of the window.
    public let base: Int
    /// Number of bytes in the window.
    public let count: Int
    /// Byte order used by the multi-byte reads.
    public var byteOrder: ByteOrder
    /// Name of the data being read, for error messages.
    public var what: String

    /// A reader over all of `storage`.
    public init(_ storage: ObjectBytes, byteOrder: ByteOrder = .little, what: String = "data") {
        self.storage = storage
        self.base = 0
        self.count = storage.count
        self.byteOrder = byteOrder
        self.what = what
    }

    /// A reader over a copy of `bytes`.
    public init(_ bytes: [UInt8], byteOrder: ByteOrder = .little, what: String = "data") {
        self.init(ObjectBytes(bytes), byteOrder: byteOrder, what: what)
    }

    private init(storage: ObjectBytes, base: Int, count: Int, byteOrder: ByteOrder, what: String) {
        self.storage = storage
        self.base = base
        self.count = count
        self.byteOrder = byteOrder
        self.what = what
    }

    /// Throws unless `needed` bytes are available at `offset`.
    public func check(_ offset: Int, _ needed: Int) throws(ObjectReadError) {
        guard offset >= 0, needed >= 0, offset <= count, needed <= count - offset else {
            throw .truncated(what: what, offset: offset, needed: needed, available: max(0, count - max(0, offset)))
        }
    }

    /// A reader over `length` bytes at `offset` of this window.
    public func window(at offset: Int, length: Int, what: String) throws(ObjectReadError) -> ByteReader {
        do { try check(offset, length) } catch {
            throw .truncated(what: what, offset: offset, needed: length, available: max(0, count - max(0, offset)))
        }
        return ByteReader(storage: storage, base: base + offset, count: length, byteOrder: byteOrder, what: what)
    }

    /// The byte at `offset`.
    public func u8(at offset: Int) throws(ObjectReadError) -> UInt8 {
        try check(offset, 1)
        return storage.buffer[base + offset]
    }

    /// The 16-bit value at `offset`.
    public func u16(at offset: Int) throws(ObjectReadError) -> UInt16 {
        UInt16(truncatingIfNeeded: try uint(at: offset, size: 2))
    }

    /// The 32-bit value at `offset`.
    public func u32(at offset: Int) throws(ObjectReadError) -> UInt32 {
        UInt32(truncatingIfNeeded: try uint(at: offset, size: 4))
    }

    /// The signed 32-bit value at `offset`.
    public func i32(at offset: Int) throws(ObjectReadError) -> Int32 {
        Int32(bitPattern: try u32(at: offset))
    }

    /// The 64-bit value at `offset`.
    public func u64(at offset: Int) throws(ObjectReadError) -> UInt64 {
        try uint(at: offset, size: 8)
    }

    /// An unsigned value of `size` (1...8) bytes at `offset` in `byteOrder`.
    public func uint(at offset: Int, size: Int) throws(ObjectReadError) -> UInt64 {
        guard size >= 1, size <= 8 else {
            throw .truncated(what: what, offset: offset, needed: size, available: 0)
        }
        try check(offset, size)
        var value: UInt64 = 0
        let start = base + offset
        switch byteOrder {
        case .little:
            var i = size - 1
            while i >= 0 {
                value = (value << 8) | UInt64(storage.buffer[start + i])
                i -= 1
            }
        case .big:
            for i in 0..<size {
                value = (value << 8) | UInt64(storage.buffer[start + i])
            }
        }
        return value
    }

    /// `length` raw bytes at `offset`.
    public func raw(at offset: Int, length: Int) throws(ObjectReadError) -> [UInt8] {
        try check(offset, length)
        return storage.array((base + offset)..<(base + offset + length))
    }

    /// All bytes of the window (a copy).
    public var all: [UInt8] { storage.array(base..<(base + count)) }

    /// All bytes of the window, in place.
    public var buffer: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(rebasing: storage.buffer[base..<(base + count)]) }

    /// The NUL-terminated string at `offset`; `nil` if `offset` is outside the
    /// window or no NUL follows it. Invalid UTF-8 is repaired.
    public func cString(at offset: Int) -> String? {
        guard let end = cStringEnd(at: offset) else { return nil }
        return String(decoding: UnsafeBufferPointer(rebasing: storage.buffer[(base + offset)..<end]), as: UTF8.self)
    }

    /// Whether ``cString(at:)`` finds a string at `offset`, without making it.
    public func hasCString(at offset: Int) -> Bool {
        cStringEnd(at: offset) != nil
    }

    /// The absolute index of the NUL that ends the string at `offset`.
    private func cStringEnd(at offset: Int) -> Int? {
        guard offset >= 0, offset < count else { return nil }
        let buffer = storage.buffer
        // A window lies inside its bytes; the min keeps the scan there regardless.
        let limit = min(base + count, buffer.count)
        var end = base + offset
        while end < limit, buffer[end] != 0 { end += 1 }
        return end < limit ? end : nil
    }
}
