import Glibc

/// One message libbpf printed during a generation.
public struct LibbpfMessage: Sendable, Hashable, Codable {
    public enum Level: String, Sendable, Codable {
        case warn, info, debug
    }

    public var level: Level
    /// The message as libbpf printed it (`libbpf: ...`), without the newline.
    public var text: String

    public init(level: Level, text: String) {
        self.level = level
        self.text = text
    }

    /// Parses the capture buffer's `W|I|D <text>` lines.
    public static func parse(_ captured: String) -> [LibbpfMessage] {
        var text = captured
        return text.withUTF8 { parse(bytes: UnsafeRawBufferPointer($0)) }
    }

    /// Parses the capture buffer's `W|I|D <text>` lines from its bytes,
    /// splitting on the bytes rather than on `Character`s (the debug log of
    /// one generation runs to hundreds of lines).
    public static func parse(bytes: UnsafeRawBufferPointer) -> [LibbpfMessage] {
        var messages: [LibbpfMessage] = []
        var start = 0
        let newline = UInt8(ascii: "\n")
        while start < bytes.count {
            var end = bytes.count
            if let base = bytes.baseAddress, let found = memchr(base + start, Int32(newline), bytes.count - start) {
                end = base.distance(to: UnsafeRawPointer(found))
            }
            if end > start {
                let level: Level
                switch bytes[start] {
                case UInt8(ascii: "W"): level = .warn
                case UInt8(ascii: "I"): level = .info
                default: level = .debug
                }
                let textStart = min(start + 2, end)
                let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[textStart..<end]), as: UTF8.self)
                messages.append(LibbpfMessage(level: level, text: text))
            }
            start = end + 1
        }
        return messages
    }
}

extension [LibbpfMessage] {
    /// The texts of the warnings, the lines that explain a failure.
    public var warnings: [String] { filter { $0.level == .warn }.map(\.text) }
    public var texts: [String] { map(\.text) }
}
