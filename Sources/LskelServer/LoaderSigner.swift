import Foundation
import LskelCoding
import LskelModel
import LskelSign
import Synchronization

/// Signs stored loaders with the server's keys (`lskeld --signing-key`), on
/// request (`sign=NAME`, `sign_scheme=`): the loader is stored unsigned under
/// its content key, and each signed form is made from it (and kept in a small
/// cache), so a GET by key can ask for it too. Keys never leave this process;
/// the worker never sees them.
public final class LoaderSigner: Sendable {
    public let keys: [String: SigningKey]
    /// Without `--tokens`, whether anyone may sign (lskeld bound to loopback only).
    let anonymousMaySign: Bool
    private let cache = Mutex<(entries: [String: StoredLoader], order: [String])>(([:], []))
    static let cacheEntries = 256

    public init(keys: [String: SigningKey], anonymousMaySign: Bool) {
        self.keys = keys
        self.anonymousMaySign = anonymousMaySign
    }

    /// The key and scheme `parameters` ask for, checked: the key exists, the token may
    /// use it, and the kernel release can take the scheme. Run before generating, so a
    /// request that cannot be signed is refused without a generation.
    func check(_ parameters: GenerationParameters, release: String?, token: AccessTokens.Entry?,
               tokensRequired: Bool) throws -> (key: SigningKey, scheme: SignatureScheme)? {
        guard let name = parameters.sign else { return nil }
        guard let key = keys[name] else {
            throw Problem(.unknownSigningKey, detail: keys.isEmpty
                ? "this server holds no signing keys (lskeld --signing-key NAME=KEY.pem,CERT)"
                : "no signing key '\(name)' here; the keys are \(keys.keys.sorted().joined(separator: ", "))")
        }
        if tokensRequired {
            guard let token, token.signingKeys.contains(name) else {
                throw Problem(.signingForbidden, detail: "token '\(token?.name ?? "")' may not sign with '\(name)' (its tokens file line has no sign=\(name))")
            }
        } else if !anonymousMaySign {
            throw Problem(.signingForbidden, detail: "signing needs a token naming the key (lskeld --tokens) when lskeld serves more than loopback")
        }
        do {
            if let named = SignatureScheme(rawValue: parameters.signScheme) {
                try SchemeChoice.check(named, release: release)
                return (key, named)
            }
            return (key, try SchemeChoice.scheme(forRelease: release))
        } catch {
            throw Problem(.signingRefused, detail: error.description)
        }
    }

    /// `loader` signed as `parameters` ask, or `loader` itself when they do not. Throws a ``Problem``.
    func sign(_ loader: StoredLoader, parameters: GenerationParameters, token: AccessTokens.Entry?, tokensRequired: Bool) throws -> StoredLoader {
        guard parameters.sign != nil else { return loader }
        guard let manifest = try? ManifestJSON.decode(loader.manifest) else {
            throw Problem(.workerFailed, detail: "the stored manifest cannot be read back to sign the loader")
        }
        guard let (key, scheme) = try check(parameters, release: manifest.profile.kernelRelease.value, token: token,
                                            tokensRequired: tokensRequired) else { return loader }
        let name = key.name
        let variant = "sign=\(name)&sign_scheme=\(scheme.rawValue)"
        let cacheKey = loader.key + "?" + variant + "#" + key.certificateSHA256
        if let cached = cache.withLock({ $0.entries[cacheKey] }) { return cached }
        let signed: SignedLoaderFiles
        do {
            signed = try LoaderSigning.sign(header: String(decoding: loader.header, as: UTF8.self), name: loader.name,
                                            insns: loader.insns, data: loader.data, scheme: scheme, key: key)
        } catch {
            throw Problem(.internalError, detail: "signing failed: \(error)")
        }
        guard let manifestBytes = try? ManifestJSON.encode(LoaderSigning.manifest(manifest, signed: signed)) else {
            throw Problem(.internalError, detail: "cannot write the signed loader's manifest")
        }
        var result = StoredLoader(key: loader.key, name: loader.name, stem: loader.stem, header: Array(signed.header.utf8),
                                  insns: signed.insns, data: signed.data, manifest: manifestBytes, sandboxLevel: loader.sandboxLevel,
                                  libbpfLog: loader.libbpfLog, signature: signed.signature)
        result.variant = variant
        cache.withLock { cache in
            if cache.entries[cacheKey] == nil {
                cache.entries[cacheKey] = result
                cache.order.append(cacheKey)
                if cache.order.count > Self.cacheEntries { cache.entries[cache.order.removeFirst()] = nil }
            }
        }
        return result
    }

    /// What `/v1/info` says of the keys: names and certificates, never keys.
    var info: [InfoBody.SigningKeyInfo] {
        keys.values.sorted { $0.name < $1.name }.map {
            .init(name: $0.name, certificateSha256: $0.certificateSHA256, subject: $0.subject, keyType: $0.keyType, deterministic: $0.deterministic)
        }
    }
}
