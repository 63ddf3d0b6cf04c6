import Glibc

/// Substring search on bytes: `memchr` to the next candidate first byte, then
/// `memcmp`. Log scanning and the multipart pre-check use it.
public enum ByteSearch {
    /// The offset of the first occurrence of `pattern` in `bytes` at or after `start`.
    ///
    ///     ByteSearch.firstIndex(of: Array("--b".utf8), in: buffer)  // 0 for "--b\r\n..."
    public static func firstIndex(of pattern: UnsafeBufferPointer<UInt8>, in bytes: UnsafeBufferPointer<UInt8>,
                                  from start: Int = 0) -> Int? {
        guard let first = pattern.first else { return start <= bytes.count ? start : nil }
        guard let base = bytes.baseAddress, let patternBase = pattern.baseAddress, start >= 0 else { return nil }
        var index = start
        while index + pattern.count <= bytes.count {
            guard let hit = memchr(base + index, Int32(first), bytes.count - pattern.count + 1 - index) else { return nil }
            index = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
            if memcmp(base + index, patternBase, pattern.count) == 0 { return index }
            index += 1
        }
        return nil
    }

    public static func firstIndex(of pattern: [UInt8], in bytes: UnsafeBufferPointer<UInt8>, from start: Int = 0) -> Int? {
        pattern.withUnsafeBufferPointer { firstIndex(of: $0, in: bytes, from: start) }
    }

    /// Whether every byte is below 0x80, eight at a time.
    public static func isASCII(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var index = 0, seen: UInt64 = 0
        while index + 8 <= bytes.count {
            seen |= bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            index += 8
        }
        while index < bytes.count {
            seen |= UInt64(bytes[index])
            index += 1
        }
        return seen & 0x8080_8080_8080_8080 == 0
    }
}

extension String {
    /// Whether `needle` occurs in the string, compared as UTF-8 bytes. Log scanning uses it: `contains(_:)` on `String` goes
    /// through Unicode-aware generic searching and costs far more per line.
    ///
    ///     "libbpf: map 'jmp': slot [0] points to prog 'tail'".includes("points to prog '")  // true
    public func includes(_ needle: String) -> Bool {
        var haystack = self
        var needle = needle
        return haystack.withUTF8 { hay in
            needle.withUTF8 { ByteSearch.firstIndex(of: $0, in: hay) != nil }
        }
    }

    /// Whether the string holds a NUL byte, by `memchr` over its UTF-8: a kernel config is checked for one
    /// twice per generation, and the generic `utf8.contains(0)` walked its 200 KB a byte at a time.
    public var containsNUL: Bool {
        var text = self
        return text.withUTF8 { bytes in
            guard let base = bytes.baseAddress else { return false }
            return memchr(base, 0, bytes.count) != nil
        }
    }
}
