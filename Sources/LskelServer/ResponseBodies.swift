import Foundation
import LskelCoding
import LskelModel

/// The service's JSON answers as Codable types, encoded one way (sorted,
/// snake_case keys, unescaped slashes). JSON the service already holds (a
/// stored manifest, a loader's answer inside a batch's) is spliced in as it
/// is, never parsed again.
enum ResponseJSON {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    static func encode(_ value: some Encodable) -> [UInt8] {
        (try? encoder.encode(value)).map(Array.init) ?? Array("{}".utf8)
    }

    /// `value`'s JSON object with `raw` members (already JSON) put first.
    static func object(_ value: some Encodable, raw: [(key: String, json: [UInt8])]) -> [UInt8] {
        let encoded = encode(value)
        var out: [UInt8] = [UInt8(ascii: "{")]
        for (index, member) in raw.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out += encode(member.key) + [UInt8(ascii: ":")] + member.json
        }
        let rest = encoded.dropFirst()  // after "{"
        if !raw.isEmpty && rest.first != UInt8(ascii: "}") { out.append(UInt8(ascii: ",")) }
        out += rest
        return out
    }
}

/// `GET /v1/loaders/{key}` and `POST /v1/loaders` as JSON (the manifest is spliced in).
struct LoaderBody: Encodable {
    var key: String
    var name: String
    var cached: Bool
    var sandboxLevel: String
    var insns: String
    var data: String
    var header: String
    var libbpfLog: [String]
    var links: [String: String]
}

/// One member of a batch answer (its result or problem is spliced in).
struct BatchMemberBody: Encodable {
    var object: String
    var status: Int
}

/// `GET /v1/info`: what a client needs to compute a loader's key itself and
/// ask for it before uploading the object.
struct InfoBody: Encodable {
    struct Key: Encodable {
        var algorithm = "sha256"
        var recipe = LoaderKey.recipe
    }

    var generatorVersion: String
    var key = Key()
    var maxUploadBytes: Int
    var maxBatchObjects: Int
    /// The keys `sign=` can name: their certificates, never the keys.
    var signingKeys: [SigningKeyInfo] = []

    struct SigningKeyInfo: Encodable {
        var name: String
        var certificateSha256: String
        var subject: String
        var keyType: String
        var deterministic: Bool
    }
}

/// `/healthz`.
struct HealthBody: Encodable {
    var status = "alive"
}

/// `/readyz`.
struct ReadyBody: Encodable {
    struct Sandbox: Encodable {
        var level: String
        var layers: [String]
        var missing: [String]
        var reason: String
    }

    struct Pool: Encodable {
        var warm: Int
        var busy: Int
        var queued: Int
        var concurrency: Int
        var queueLimit: Int
    }

    /// A kernel `verify` can name.
    struct Kernel: Encodable {
        var series: String
        var version: String
    }

    var status = "ready"
    var sandbox: Sandbox
    var pool: Pool
    /// The kernel matrix (empty without `--kernels`).
    var kernels: [Kernel]
    /// Where loaders are kept and whether that store answers (when it does not,
    /// the service is still ready: it generates every request).
    var store: StoreReport
}
