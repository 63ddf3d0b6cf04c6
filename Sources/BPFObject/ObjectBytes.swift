#if canImport(Glibc)
import Glibc
#endif

/// The bytes of an object file, read-only and at an address that does not
/// move: a copy of an array, a buffer its reader filled and handed over, or
/// the file itself mapped into memory. The reader and the generation read them
/// in place; a 650 KB object read into fresh heap pages cost about 0.3 ms of
/// first touches on a VM where each new page costs 1-2 us, mapped from the
/// page cache 0.04-0.07 ms.
public final class ObjectBytes: RandomAccessCollection, @unchecked Sendable {
    /// The bytes (immutable for the life of the value).
    public let buffer: UnsafeBufferPointer<UInt8>
    private let release: Release

    private enum Release {
        case none
        case keep(ObjectBytes)
        case deallocate(UnsafeMutableRawPointer)
        case unmap(UnsafeMutableRawPointer, Int)
    }

    private init(buffer: UnsafeBufferPointer<UInt8>, release: Release) {
        self.buffer = buffer
        self.release = release
    }

    /// No bytes.
    public static let empty = ObjectBytes([UInt8]())

    /// A copy of `bytes`.
    public convenience init(_ bytes: some Collection<UInt8>) {
        let memory = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: Swift.max(bytes.count, 1))
        let copied = memory.initialize(fromContentsOf: bytes)
        self.init(buffer: UnsafeBufferPointer(rebasing: memory[..<copied]),
                  release: memory.baseAddress.map { Release.deallocate(UnsafeMutableRawPointer($0)) } ?? Release.none)
    }

    /// Takes `memory` (allocated with `UnsafeMutableRawBufferPointer.allocate`)
    /// over, its bytes at `range` being the object's; frees it when released.
    public init(adopting memory: UnsafeMutableRawBufferPointer, range: Range<Int>) {
        precondition(range.lowerBound >= 0 && range.upperBound <= memory.count, "object range outside its buffer")
        let base = memory.baseAddress.map { $0.assumingMemoryBound(to: UInt8.self) + range.lowerBound }
        buffer = UnsafeBufferPointer(start: base, count: range.count)
        release = memory.baseAddress.map { Release.deallocate($0) } ?? Release.none
    }

    /// The bytes at `range` of `whole`, kept alive with them (no copy).
    public convenience init(_ whole: ObjectBytes, range: Range<Int>) {
        precondition(range.lowerBound >= 0 && range.upperBound <= whole.count, "object range outside its buffer")
        self.init(buffer: UnsafeBufferPointer(rebasing: whole.buffer[range]), release: .keep(whole))
    }

    /// The regular file open at `descriptor` (`size` bytes), mapped read-only
    /// and private: its pages are the page cache's, mapped sixteen to a fault,
    /// never copied. Nil when it cannot be mapped (a pipe, a /proc file), for
    /// the caller to read it instead; an empty file is an empty value.
    public static func mapping(descriptor: Int32, size: Int) -> ObjectBytes? {
        guard size > 0 else { return .empty }
        guard let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, descriptor, 0), address != MAP_FAILED else { return nil }
        return ObjectBytes(buffer: UnsafeBufferPointer(start: address.assumingMemoryBound(to: UInt8.self), count: size),
                           release: .unmap(address, size))
    }

    deinit {
        switch release {
        case .none, .keep: break
        case .deallocate(let memory): memory.deallocate()
        case .unmap(let address, let size): munmap(address, size)
        }
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { buffer.count }
    public subscript(position: Int) -> UInt8 { buffer[position] }

    public func withContiguousStorageIfAvailable<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R? {
        try body(buffer)
    }

    /// The bytes as raw memory, for C (libbpf) to read.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(buffer))
    }

    /// `range` of the bytes as an array.
    public func array(_ range: Range<Int>) -> [UInt8] {
        Array(UnsafeBufferPointer(rebasing: buffer[range]))
    }

    /// Whether `other` holds the same bytes.
    public func elementsEqual(_ other: ObjectBytes) -> Bool {
        guard count == other.count else { return false }
        guard let mine = buffer.baseAddress, let theirs = other.buffer.baseAddress else { return true }
        return memcmp(mine, theirs, count) == 0
    }
}
