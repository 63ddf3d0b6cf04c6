import LskelModel
import Testing

@Suite("libbpf's captured log")
struct LibbpfMessageTests {
    @Test("lines of the capture buffer become messages with their level; empty lines and a missing last newline are fine")
    func parse() {
        let captured = "W libbpf: a warning\nI libbpf: info\n\nD libbpf: debug: 'x'\nD\nX unknown level\nD libbpf: last"
        let messages = LibbpfMessage.parse(captured)
        #expect(messages == [
            LibbpfMessage(level: .warn, text: "libbpf: a warning"),
            LibbpfMessage(level: .info, text: "libbpf: info"),
            LibbpfMessage(level: .debug, text: "libbpf: debug: 'x'"),
            LibbpfMessage(level: .debug, text: ""),
            LibbpfMessage(level: .debug, text: "unknown level"),
            LibbpfMessage(level: .debug, text: "libbpf: last"),
        ])
        #expect(LibbpfMessage.parse("").isEmpty && LibbpfMessage.parse("\n\n").isEmpty)
        #expect(messages.warnings == ["libbpf: a warning"])
    }
}
