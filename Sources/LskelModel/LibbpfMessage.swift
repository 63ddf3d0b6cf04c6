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
        captured.split(separator: "\n").map { line in
            let level: Level
            switch line.first {
            case "W": level = .warn
            case "I": level = .info
            default: level = .debug
            }
            return LibbpfMessage(level: level, text: String(line.dropFirst(2)))
        }
    }
}

extension [LibbpfMessage] {
    /// The texts of the warnings, the lines that explain a failure.
    public var warnings: [String] { filter { $0.level == .warn }.map(\.text) }
    public var texts: [String] { map(\.text) }
}
