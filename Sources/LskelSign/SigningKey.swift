import CLskelSign
import Foundation
import Glibc
import LskelModel

/// A signing key and its certificate, read once and checked: they parse, they
/// belong together, the certificate names its key (a subject key identifier),
/// and the key file is readable by its owner only. The key's bytes stay in this
/// value: nothing here logs or prints them.
public struct SigningKey: Sendable, CustomStringConvertible {
    public let name: String
    let keyPEM: [UInt8]
    /// The certificate as DER.
    public let certificate: [UInt8]
    /// SHA-256 over the certificate's DER, hex.
    public let certificateSHA256: String
    /// The certificate's subject (RFC 2253).
    public let subject: String
    /// `rsa`, `ec`, ...
    public let keyType: String
    /// Whether the same data always gets the same signature (RSA PKCS#1 v1.5 does; ECDSA does not).
    public let deterministic: Bool

    /// Reads `keyPath` (PEM) and `certificatePath` (PEM or DER).
    public init(name: String, keyPath: String, certificatePath: String) throws(SigningKeyError) {
        let key = try Self.read(keyPath, name: name, secret: true)
        let certificate = try Self.read(certificatePath, name: name, secret: false)
        try self.init(name: name, key: key, certificate: certificate)
    }

    /// From the files' bytes (checks all but the key file's permissions).
    public init(name: String, key: [UInt8], certificate: [UInt8]) throws(SigningKeyError) {
        var err = [CChar](repeating: 0, count: 256)
        var type = [CChar](repeating: 0, count: 16)
        var deterministic: Int32 = 0
        let checked = key.withUnsafeBufferPointer { k in
            certificate.withUnsafeBufferPointer { c in
                lskel_sign_check(k.baseAddress, k.count, c.baseAddress, c.count, &type, type.count, &deterministic, &err, err.count)
            }
        }
        guard checked == 0 else { throw .invalid(name: name, reason: String(cString: err)) }
        var sha = [UInt8](repeating: 0, count: 32)
        var subject = [CChar](repeating: 0, count: 512)
        var der: UnsafeMutablePointer<UInt8>? = nil
        var derLength = 0
        let described = certificate.withUnsafeBufferPointer { c in
            lskel_cert_info(c.baseAddress, c.count, &sha, &subject, subject.count, &der, &derLength, &err, err.count)
        }
        guard described == 0, let der else { throw .invalid(name: name, reason: String(cString: err)) }
        defer { free(der) }
        self.name = name
        keyPEM = key
        self.certificate = Array(UnsafeBufferPointer(start: der, count: derLength))
        certificateSHA256 = SHA256.hex(digest: sha)
        self.subject = String(cString: subject)
        keyType = String(cString: type)
        self.deterministic = deterministic != 0
    }

    /// The key's name and certificate, never the key.
    public var description: String { "signing key \(name) (\(keyType), \(subject), certificate sha256 \(certificateSHA256))" }

    /// A detached CMS signature (DER) over `data`, as the kernel checks BPF programs.
    public func sign(_ data: [UInt8]) throws(SigningKeyError) -> [UInt8] {
        var err = [CChar](repeating: 0, count: 256)
        var signature: UnsafeMutablePointer<UInt8>? = nil
        var length = 0
        let status = keyPEM.withUnsafeBufferPointer { k in
            certificate.withUnsafeBufferPointer { c in
                data.withUnsafeBufferPointer { d in
                    lskel_cms_sign(k.baseAddress, k.count, c.baseAddress, c.count, d.baseAddress, d.count, &signature, &length, &err, err.count)
                }
            }
        }
        guard status == 0, let signature else { throw .signing(name: name, reason: String(cString: err)) }
        defer { free(signature) }
        return Array(UnsafeBufferPointer(start: signature, count: length))
    }

    /// A new RSA-2048 key and a self-signed code-signing certificate, both PEM.
    public static func makeKeypair(commonName: String, days: UInt32 = 3650) throws(SigningKeyError) -> (key: String, certificate: String) {
        var err = [CChar](repeating: 0, count: 256)
        var key: UnsafeMutablePointer<CChar>? = nil, certificate: UnsafeMutablePointer<CChar>? = nil
        var keyLength = 0, certificateLength = 0
        guard lskel_keypair(commonName, days, &key, &keyLength, &certificate, &certificateLength, &err, err.count) == 0,
              let key, let certificate else {
            throw .invalid(name: commonName, reason: String(cString: err))
        }
        defer {
            // The key's PEM is wiped before its memory goes back.
            memset(key, 0, keyLength)
            free(key)
            free(certificate)
        }
        return (String(cString: key), String(cString: certificate))
    }

    static func read(_ path: String, name: String, secret: Bool) throws(SigningKeyError) -> [UInt8] {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw errno == ENOENT ? .missing(name: name, path: path) : .unreadable(name: name, path: path, reason: String(cString: strerror(errno)))
        }
        if secret && info.st_mode & 0o077 != 0 {
            throw .tooOpen(name: name, path: path, mode: info.st_mode & 0o777)
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .unreadable(name: name, path: path, reason: "cannot read it")
        }
        return [UInt8](data)
    }
}

/// Why a signing key cannot be used: each names the key and the file.
public enum SigningKeyError: Error, CustomStringConvertible, Equatable {
    case missing(name: String, path: String)
    case unreadable(name: String, path: String, reason: String)
    /// The key file is readable by its group or by everyone.
    case tooOpen(name: String, path: String, mode: mode_t)
    /// A key or certificate that does not parse, or that do not belong together.
    case invalid(name: String, reason: String)
    case signing(name: String, reason: String)

    public var description: String {
        switch self {
        case .missing(let name, let path): "signing key \(name): \(path) does not exist"
        case .unreadable(let name, let path, let reason): "signing key \(name): cannot read \(path): \(reason)"
        case .tooOpen(let name, let path, let mode):
            "signing key \(name): \(path) is readable by its group or others (mode \(String(mode, radix: 8))); chmod 600 it"
        case .invalid(let name, let reason): "signing key \(name): \(reason)"
        case .signing(let name, let reason): "signing key \(name): cannot sign: \(reason)"
        }
    }
}
