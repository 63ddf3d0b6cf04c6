import Foundation
import LskelModel

/// The request parameters that choose the skeleton name and the target
/// profile, from the query string or form fields:
/// `name`, `kernel_release`, `cpus`, `kconfig`, `max_entries` (repeatable `MAP=N`), `page_size`.
public struct GenerationParameters: Sendable {
    public var name: String?
    public var profile = TargetProfile()
    /// Kernel series to verify the loader on (`verify=6.1,6.18`, repeatable).
    public var verify: [String] = []
    /// The server's signing key to sign the loader with (`sign=NAME`), and the scheme.
    public var sign: String?
    public var signScheme = "auto"

    public static let names: Set<String> = ["name", "kernel_release", "cpus", "kconfig", "max_entries", "page_size", "format", "filename", "verify", "sign", "sign_scheme"]
    /// Most series one request verifies on.
    public static let maxVerify = 8

    /// Builds the parameters from name/value pairs; throws a 400 problem naming the bad one.
    public init(fields: [(name: String, value: String)]) throws {
        for (field, value) in fields {
            switch field {
            case "name":
                name = try Self.checked { try SkeletonName.validated(value) }
            case "kernel_release":
                profile.kernelRelease = value
            case "cpus":
                guard let cpus = Int(value) else { throw Self.bad(field, value, "a whole number") }
                profile.possibleCPUs = cpus
            case "page_size":
                guard let size = Int(value) else { throw Self.bad(field, value, "a whole number") }
                profile.pageSize = size
            case "kconfig":
                profile.kconfig = value
            case "max_entries":
                let (map, entries) = try Self.checked { try TargetProfile.parseMaxEntries(value) }
                profile.maxEntries[map] = entries
            case "sign":
                guard !value.isEmpty, value.utf8.count <= 64,
                      value.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7a) || $0 == 0x2d || $0 == 0x5f || $0 == 0x2e })
                else { throw Self.bad(field, value, "a signing key's name (letters, digits, '.', '_', '-')") }
                sign = value
            case "sign_scheme":
                guard ["auto", "loader-hash", "kernel-hash"].contains(value) else {
                    throw Problem(.invalidSignScheme, detail: "sign_scheme is auto, loader-hash (Linux 6.18) or kernel-hash (7.3 and later), not '\(value.prefix(32))'")
                }
                signScheme = value
            case "verify":
                for series in value.split(separator: ",", omittingEmptySubsequences: false) {
                    let text = series.trimmingCharacters(in: .whitespaces)
                    guard !text.isEmpty, text.count <= 16, text.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || $0 == UInt8(ascii: ".") }) else {
                        throw Self.bad(field, value, "kernel series such as 6.1,6.18")
                    }
                    if !verify.contains(text) { verify.append(text) }
                }
                guard verify.count <= Self.maxVerify else { throw Self.bad(field, value, "at most \(Self.maxVerify) series") }
            default:
                continue
            }
        }
        try Self.checked { try profile.validate() }
    }

    static func bad(_ field: String, _ value: String, _ expected: String) -> Problem {
        Problem(.invalidParameter, detail: "parameter '\(field)' is '\(value.prefix(64))'; expected \(expected)")
    }

    static func checked<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as GenerationError {
            throw Problem.from(error)
        }
    }

    /// The skeleton name: the `name` parameter, else bpftool's rule on the file name.
    public func skeletonName(fileName: String) throws -> String {
        if let name { return name }
        return try Self.checked { try SkeletonName.fromFileName(fileName) }
    }

}
