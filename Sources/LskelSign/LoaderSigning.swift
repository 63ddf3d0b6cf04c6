import LskelModel

/// A loader signed with a key: the files a signed skeleton ships.
public struct SignedLoaderFiles: Sendable {
    public var header: String
    /// The final instructions (with the data check for `loader-hash`).
    public var insns: [UInt8]
    public var data: [UInt8]
    /// The CMS signature, DER: `x.sig`.
    public var signature: [UInt8]
    public var record: Manifest.SignatureRecord
}

public enum LoaderSigning {
    /// Signs an unsigned loader (its bpftool-identical header and blobs) with `key` under `scheme`.
    public static func sign(header: String, name: String, insns: [UInt8], data: [UInt8], scheme: SignatureScheme,
                            key: SigningKey) throws -> SignedLoaderFiles {
        let loader = SignableLoader(insns: insns, data: data, scheme: scheme)
        let signature = try key.sign(loader.signedBytes)
        let signedHeader = try SignedHeader.render(unsigned: header, name: name, loader: loader, signature: signature)
        let record = Manifest.SignatureRecord(
            scheme: scheme.rawValue, keyName: key.name, keyType: key.keyType, deterministic: key.deterministic,
            certificateSha256: key.certificateSHA256, certificateSubject: key.subject,
            signedSize: loader.signedBytes.count, signedSha256: SHA256.hex(loader.signedBytes),
            signatureSize: signature.count, signatureSha256: SHA256.hex(signature),
            exclProgHash: SHA256.hex(digest: loader.exclProgHash), mapHash: SHA256.hex(digest: loader.mapHash),
            checkInsns: loader.prologueCount)
        return SignedLoaderFiles(header: signedHeader, insns: loader.insns, data: data, signature: signature, record: record)
    }

    /// The manifest of the signed loader: the loader section describes the final
    /// instructions, and the signature section says what was signed.
    public static func manifest(_ manifest: Manifest, signed: SignedLoaderFiles) -> Manifest {
        var out = manifest
        out.loader.insnsSize = signed.insns.count
        out.loader.insnsSha256 = SHA256.hex(signed.insns)
        out.signature = signed.record
        return out
    }
}
