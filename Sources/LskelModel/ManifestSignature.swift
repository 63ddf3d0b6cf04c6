extension Manifest {
    /// The `signature` section of a signed loader's manifest.
    public struct SignatureRecord: Sendable, Hashable, Codable {
        /// `loader-hash` (Linux 6.18: the loader checks its data) or `kernel-hash` (the kernel does).
        public var scheme: String
        /// The signing key's name (the server's `--signing-key NAME=...`, or the key file's stem).
        public var keyName: String
        public var keyType: String
        /// Whether signing the same bytes again gives the same signature (RSA PKCS#1 v1.5: yes).
        public var deterministic: Bool
        /// SHA-256 over the certificate's DER, and its subject.
        public var certificateSha256: String
        public var certificateSubject: String
        /// The bytes the signature covers: the loader's instructions, then for
        /// `kernel-hash` the data map's value.
        public var signedSize: Int
        public var signedSha256: String
        /// The CMS signature (DER, detached), as `x.sig` holds it.
        public var signatureSize: Int
        public var signatureSha256: String
        /// The data map's `excl_prog_hash`: SHA-256 of the loader's instructions.
        public var exclProgHash: String
        /// The data map's SHA-256 as the kernel computes it (the value padded to 8 bytes);
        /// for `loader-hash` the loader compares it before doing anything.
        public var mapHash: String
        /// Instructions lskel's data check puts before libbpf's loader (0 for `kernel-hash`).
        public var checkInsns: Int
        /// The keyring the loader expects its certificate in, by default: the session keyring.
        public var keyring: String
        public var keyringId: Int

        public init(scheme: String, keyName: String, keyType: String, deterministic: Bool, certificateSha256: String,
                    certificateSubject: String, signedSize: Int, signedSha256: String, signatureSize: Int, signatureSha256: String,
                    exclProgHash: String, mapHash: String, checkInsns: Int, keyring: String = "session", keyringId: Int = -3) {
            self.scheme = scheme
            self.keyName = keyName
            self.keyType = keyType
            self.deterministic = deterministic
            self.certificateSha256 = certificateSha256
            self.certificateSubject = certificateSubject
            self.signedSize = signedSize
            self.signedSha256 = signedSha256
            self.signatureSize = signatureSize
            self.signatureSha256 = signatureSha256
            self.exclProgHash = exclProgHash
            self.mapHash = mapHash
            self.checkInsns = checkInsns
            self.keyring = keyring
            self.keyringId = keyringId
        }
    }
}
