import ArgumentParser
import Foundation
import LskelEngine

/// `lskel token NAME [--rate 600/m]`: a new bearer token and the tokens-file
/// line that admits it (the file holds only the hash).
struct TokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Make a bearer token for lskeld --tokens: prints the token, then the line for the tokens file."
    )

    @Argument(help: "A name for the token holder (logged with its requests).")
    var name: String

    @Option(name: .customLong("rate"), help: "Requests allowed per second, minute or hour: N/s, N/m, N/h, or N/10s and the like.")
    var rate = "600/m"

    func validate() throws {
        guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
            throw ValidationError("the name may hold letters, digits, - and _")
        }
        let parts = rate.split(separator: "/")
        guard parts.count == 2, Int(parts[0]).map({ $0 > 0 }) == true, let unit = parts[1].last, "smh".contains(unit),
              parts[1].dropLast().isEmpty || Int(parts[1].dropLast()).map({ $0 > 0 }) == true else {
            throw ValidationError("--rate is N/s, N/m or N/h (or N/10s and the like), not '\(rate)'")
        }
    }

    func run() throws {
        var random = SystemRandomNumberGenerator()
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        let token = "lsk_" + String((0..<40).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] })
        print(token)
        print("\(name) sha256:\(SHA256.hex(Array(token.utf8))) \(rate)")
    }
}
