import LskelModel
import Testing
@testable import LskelEngine

/// The lone-quote check on a kernel config (6.1 refuses a string extern whose
/// value is `"`), read as bytes.
@Suite("Kernel config check")
struct KconfigCheckTests {
    static func refuses(_ config: String, _ externs: [String]) -> Bool {
        (try? InheritedDifferences.checkKconfig(config, externs: externs)) == nil
    }

    @Test("a string extern whose value is a lone quote is refused; other lines are not")
    func loneQuote() {
        #expect(Self.refuses("CONFIG_A=y\nCONFIG_S=\"\n", ["CONFIG_S"]))
        #expect(Self.refuses("CONFIG_S=\"", ["CONFIG_S"]))
        #expect(!Self.refuses("CONFIG_S=\"x\"\n", ["CONFIG_S"]))
        #expect(!Self.refuses("CONFIG_S=\"\"\n", ["CONFIG_S"]))
        #expect(!Self.refuses("CONFIG_T=\"\n", ["CONFIG_S"]))
        #expect(!Self.refuses("CONFIG_S=X=\"\n", ["CONFIG_S"]))
        #expect(!Self.refuses("CONFIG_S=\"\n", []))
        #expect(!Self.refuses("", ["CONFIG_S"]))
        // libbpf reads no config for other externs, and skips lines not starting with CONFIG_.
        #expect(!Self.refuses("LINUX_KERNEL_VERSION=\"\n", ["LINUX_KERNEL_VERSION"]))
        #expect(!Self.refuses("S=\"\nCONFIG_A=y\n", ["S", "CONFIG_A"]))
    }

    /// The check as it was written first, on Strings: the reference.
    static func reference(_ config: String, _ externs: [String]) -> Bool {
        let names = Set(externs)
        for line in config.split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            let value = line[line.index(after: equals)...]
            if names.contains(String(line[..<equals])), value.hasPrefix("\""), value.utf8.count < 2 { return true }
        }
        return false
    }

    @Test("agrees with the String reading on 20,000 random configs")
    func agreesWithReference() {
        var generator = SystemRandomNumberGenerator()
        let pieces = ["CONFIG_S", "CONFIG_T", "=", "\"", "y", "\n", "\n", "#", " ", "1", "=\""]
        for _ in 0..<20_000 {
            let config = (0..<Int.random(in: 0...14, using: &generator)).map { _ in pieces.randomElement(using: &generator)! }.joined()
            #expect(Self.refuses(config, ["CONFIG_S"]) == Self.reference(config, ["CONFIG_S"]), "\(config.debugDescription)")
        }
    }
}
