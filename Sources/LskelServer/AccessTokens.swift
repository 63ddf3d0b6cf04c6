import Foundation
import LskelModel

/// Bearer tokens the service accepts, read from a tokens file. The file holds
/// hashes, never tokens:
///
/// ```
/// # name      sha256 of the token                                               rate
/// build-farm  sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08  600/m
/// ci          sha256:60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752  20/s  sign=release,nightly
/// ```
///
/// A token signs only with the server's signing keys its `sign=` names.
///
/// `lskel token` prints a new token and its line.
public struct AccessTokens: Sendable {
    public struct Entry: Sendable, Equatable {
        public var name: String
        public var sha256: String
        /// Requests allowed per `period` seconds (and the burst size).
        public var rate: Int
        public var period: Double
        /// The signing keys (lskeld --signing-key NAME=...) this token may sign with.
        public var signingKeys: Set<String> = []
    }

    public var entries: [Entry]

    /// Parses a tokens file; throws a message naming the line.
    public init(text: String) throws {
        var entries: [Entry] = []
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            if fields.isEmpty { continue }
            var signing: Set<String> = []
            if fields.count == 4, fields[3].hasPrefix("sign="), fields[3].count > 5 {
                signing = Set(fields[3].dropFirst(5).split(separator: ",", omittingEmptySubsequences: false).map(String.init))
                guard !signing.contains("") else {
                    throw AccessTokensError(line: number + 1, detail: "sign= lists key names separated by commas")
                }
            }
            guard fields.count == 3 || (fields.count == 4 && !signing.isEmpty), fields[1].hasPrefix("sha256:"), fields[1].count == 71,
                  fields[1].dropFirst(7).allSatisfy({ $0.isHexDigit }),
                  let (rate, period) = Self.parseRate(fields[2])
            else {
                throw AccessTokensError(line: number + 1, detail: "expected 'NAME sha256:<64 hex digits> RATE/[N]s|m|h [sign=KEY[,KEY]]'")
            }
            guard !entries.contains(where: { $0.name == fields[0] }) else {
                throw AccessTokensError(line: number + 1, detail: "token name '\(fields[0])' appears twice")
            }
            entries.append(Entry(name: fields[0], sha256: String(fields[1].dropFirst(7)).lowercased(), rate: rate, period: period,
                                 signingKeys: signing))
        }
        guard !entries.isEmpty else { throw AccessTokensError(line: 0, detail: "the file names no token") }
        self.entries = entries
    }

    /// `N/s`, `N/m`, `N/h`, or with a count of units: `N/10s`, `N/5m`.
    static func parseRate(_ text: String) -> (Int, Double)? {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let rate = Int(parts[0]), rate > 0, let unit = parts[1].last else { return nil }
        let countText = parts[1].dropLast()
        guard let count = countText.isEmpty ? 1 : Int(countText), count > 0, count <= 1_000_000 else { return nil }
        switch unit {
        case "s": return (rate, Double(count))
        case "m": return (rate, Double(count) * 60)
        case "h": return (rate, Double(count) * 3600)
        default: return nil
        }
    }

    /// What an `Authorization` header value earns: the one place the service
    /// decides it, at the request head (before any body is read) and in the
    /// API's middleware.
    public enum Decision: Equatable {
        case missing
        case rejected
        case admitted(Entry)
    }

    public func decide(authorization: String?) -> Decision {
        guard let header = authorization, header.utf8.count > 7,
              header.prefix(7).lowercased() == "bearer " else { return .missing }
        let token = header.dropFirst(7).trimmingCharacters(in: .whitespaces)
        return entry(for: token).map(Decision.admitted) ?? .rejected
    }

    /// The entry whose hash matches `token`, compared in constant time.
    public func entry(for token: String) -> Entry? {
        let digest = Array(SHA256.hex(Array(token.utf8)).utf8)
        var found: Entry? = nil
        for entry in entries {
            let expected = Array(entry.sha256.utf8)
            var difference: UInt8 = expected.count == digest.count ? 0 : 1
            for (a, b) in zip(expected, digest) { difference |= a ^ b }
            if difference == 0 { found = entry }
        }
        return found
    }
}

public struct AccessTokensError: Error, CustomStringConvertible {
    public var line: Int
    public var detail: String
    public var description: String { line > 0 ? "tokens file line \(line): \(detail)" : "tokens file: \(detail)" }
}
