/// A minimal ustar writer: regular files only, mode 0644, mtime 0, so the
/// same files always give the same bytes.
public struct TarWriter: Sendable {
    private var out: [UInt8] = []

    public init() {}

    public mutating func add(name: String, bytes: [UInt8]) {
        var header = [UInt8](repeating: 0, count: 512)
        func put(_ text: String, at offset: Int, width: Int) {
            for (index, byte) in text.utf8.prefix(width).enumerated() { header[offset + index] = byte }
        }
        func octal(_ value: Int, at offset: Int, width: Int) {
            put(String(String(value, radix: 8).suffix(width - 1)).leftPadded(to: width - 1), at: offset, width: width - 1)
        }
        put(name, at: 0, width: 100)
        octal(0o644, at: 100, width: 8)
        octal(0, at: 108, width: 8)
        octal(0, at: 116, width: 8)
        octal(bytes.count, at: 124, width: 12)
        octal(0, at: 136, width: 12)
        put("        ", at: 148, width: 8)
        header[156] = UInt8(ascii: "0")
        put("ustar", at: 257, width: 6)
        put("00", at: 263, width: 2)
        let checksum = header.reduce(0) { $0 + Int($1) }
        put(String(checksum, radix: 8).leftPadded(to: 6), at: 148, width: 6)
        header[154] = 0
        header[155] = UInt8(ascii: " ")
        out.append(contentsOf: header)
        out.append(contentsOf: bytes)
        out.append(contentsOf: [UInt8](repeating: 0, count: (512 - bytes.count % 512) % 512))
    }

    public mutating func finish() -> [UInt8] {
        out.append(contentsOf: [UInt8](repeating: 0, count: 1024))
        return out
    }
}

/// Reads the regular files of a ustar/GNU tar archive, bounded and checked.
public enum TarReader {
    public struct Entry: Sendable {
        public var name: String
        public var bytes: [UInt8]
    }

    public enum Failure: Error, CustomStringConvertible {
        case truncated(offset: Int)
        case badChecksum(offset: Int)
        case badSize(offset: Int)
        case tooManyEntries(limit: Int)

        public var description: String {
            switch self {
            case .truncated(let offset): "the tar archive is truncated at byte \(offset)"
            case .badChecksum(let offset): "the tar header at byte \(offset) has a bad checksum"
            case .badSize(let offset): "the tar header at byte \(offset) has a bad size"
            case .tooManyEntries(let limit): "the tar archive has more than \(limit) files"
            }
        }
    }

    public static func entries(_ bytes: [UInt8], limit: Int) throws -> [Entry] {
        var entries: [Entry] = []
        var offset = 0
        while offset + 512 <= bytes.count {
            let header = Array(bytes[offset ..< offset + 512])
            if header.allSatisfy({ $0 == 0 }) { break }
            let stored = Int(field(header, 148, 8).trimmingCharacters(), radix: 8)
            var sum = header
            for index in 148..<156 { sum[index] = UInt8(ascii: " ") }
            guard stored == sum.reduce(0, { $0 + Int($1) }) else { throw Failure.badChecksum(offset: offset) }
            guard let size = Int(field(header, 124, 12).trimmingCharacters(), radix: 8), size >= 0 else {
                throw Failure.badSize(offset: offset)
            }
            let dataStart = offset + 512
            guard dataStart + size <= bytes.count else { throw Failure.truncated(offset: offset) }
            let type = header[156]
            if type == UInt8(ascii: "0") || type == 0 {
                var name = field(header, 0, 100)
                let prefix = field(header, 345, 155)
                if !prefix.isEmpty { name = prefix + "/" + name }
                guard entries.count < limit else { throw Failure.tooManyEntries(limit: limit) }
                entries.append(Entry(name: name, bytes: Array(bytes[dataStart ..< dataStart + size])))
            }
            offset = dataStart + (size + 511) / 512 * 512
        }
        return entries
    }

    static func field(_ header: [UInt8], _ offset: Int, _ width: Int) -> String {
        String(decoding: header[offset ..< offset + width].prefix { $0 != 0 }, as: UTF8.self)
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }

    func trimmingCharacters() -> String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " || $0 == "\0" }.reversed())
    }
}
