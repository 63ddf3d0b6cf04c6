import CLskelSystem

/// SHA-256 digests (OpenSSL's libcrypto).
public enum SHA256 {
    /// Lower-case hex digest of `bytes`.
    public static func hex(_ bytes: some Collection<UInt8>) -> String {
        hex(digest: digest(bytes))
    }

    /// The 32 bytes of the digest of `bytes`.
    public static func digest(_ bytes: some Collection<UInt8>) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 32)
        func hash(_ raw: UnsafeRawBufferPointer) -> Int32 {
            digest.withUnsafeMutableBufferPointer { lskel_digest_sha256(raw.baseAddress, raw.count, $0.baseAddress) }
        }
        // Bytes that lie together (an array, a native string's UTF-8) are hashed where they are.
        let status = bytes.withContiguousStorageIfAvailable { hash(UnsafeRawBufferPointer($0)) }
            ?? Array(bytes).withUnsafeBytes { hash($0) }
        precondition(status == 0, "libcrypto failed to compute SHA-256")
        return digest
    }

    /// Lower-case hex digest of `parts` one after another, without joining them first.
    public static func hex(parts: [[UInt8]]) -> String {
        var digest = [UInt8](repeating: 0, count: 32)
        var pointers: [UnsafeRawPointer?] = []
        var lengths: [Int] = []
        func digestParts(_ index: Int) -> Int32 {
            guard index < parts.count else {
                return pointers.withUnsafeBufferPointer { data in
                    lengths.withUnsafeBufferPointer { lens in
                        digest.withUnsafeMutableBufferPointer {
                            lskel_digest_sha256_parts(data.baseAddress, lens.baseAddress, Int32(parts.count), $0.baseAddress)
                        }
                    }
                }
            }
            return parts[index].withUnsafeBytes { raw in
                pointers.append(raw.baseAddress ?? UnsafeRawPointer(bitPattern: 1))
                lengths.append(raw.count)
                return digestParts(index + 1)
            }
        }
        precondition(digestParts(0) == 0, "libcrypto failed to compute SHA-256")
        return hex(digest: digest)
    }

    /// Whether `text` has the form of a digest in ``hex(digest:)``'s form: 64 lowercase hex digits.
    public static func isHex(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
    }

    public static func hex(digest: [UInt8]) -> String {
        let hexDigits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(64)
        for byte in digest {
            text.append(hexDigits[Int(byte >> 4)])
            text.append(hexDigits[Int(byte & 0xf)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
