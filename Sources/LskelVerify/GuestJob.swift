/// One loader to run in a guest, with the object it was generated from (for
/// plain libbpf's result beside it).
public struct GuestJob: Sendable {
    /// What the agent does; anything but `.run` is for tests.
    public enum Action: UInt32, Sendable {
        case run = 0
        case spin = 1
        case panic = 2
    }

    public var insns: [UInt8]
    public var data: [UInt8]
    /// The skeleton context's size (`skel->ctx.sz`, the manifest's `loader.ctx_size`).
    public var contextSize: Int
    public var object: [UInt8]
    /// The kernel's config, for plain libbpf's `CONFIG_*` externs (the guest has no config file).
    public var kconfig: String
    public var action: Action
    /// Set for a signed loader: loaded with the signed runtime, its certificate in the job's session keyring.
    public var signing: Signing?

    /// What a signed loader's job carries.
    public struct Signing: Sendable {
        /// The CMS signature (DER).
        public var signature: [UInt8]
        /// The certificate to put in the keyring (DER); empty for none.
        public var certificate: [UInt8]
        /// The data map's `excl_prog_hash`.
        public var exclProgHash: [UInt8]
        /// The `kernel-hash` scheme (else `loader-hash`).
        public var kernelChecksData: Bool

        public init(signature: [UInt8], certificate: [UInt8], exclProgHash: [UInt8], kernelChecksData: Bool) {
            self.signature = signature
            self.certificate = certificate
            self.exclProgHash = exclProgHash
            self.kernelChecksData = kernelChecksData
        }
    }

    public init(insns: [UInt8], data: [UInt8], contextSize: Int, object: [UInt8], kconfig: String = "", action: Action = .run) {
        self.insns = insns
        self.data = data
        self.contextSize = contextSize
        self.object = object
        self.kconfig = kconfig
        self.action = action
    }

    /// The job frame: "LSKJ", length, then action, ctx size, the lengths, the scheme flag and the bytes.
    var frame: [UInt8] {
        let config = Array(kconfig.utf8)
        var body: [UInt8] = []
        let signed = signing ?? Signing(signature: [], certificate: [], exclProgHash: [], kernelChecksData: false)
        for value in [action.rawValue, UInt32(contextSize), UInt32(insns.count), UInt32(data.count), UInt32(object.count), UInt32(config.count),
                      UInt32(signed.signature.count), UInt32(signed.certificate.count), UInt32(signed.exclProgHash.count),
                      signed.kernelChecksData ? 1 : 0] {
            withUnsafeBytes(of: value.littleEndian) { body += $0 }
        }
        body += insns
        body += data
        body += object
        body += config
        body += signed.signature
        body += signed.certificate
        body += signed.exclProgHash
        var out = Array("LSKJ".utf8)
        withUnsafeBytes(of: UInt32(body.count).littleEndian) { out += $0 }
        return out + body
    }
}

/// What the agent saw: the loader's result and plain libbpf's, with the
/// kernel's own words where it refused.
public struct GuestAnswer: Sendable, Codable, Hashable {
    public var loader: String
    public var loaderErrno: Int
    public var loaderError: String
    public var loaderLog: String
    public var libbpf: String
    public var libbpfErrno: Int
    public var libbpfLog: String

    public var loaderLoads: Bool { loader == "loads" }
    public var libbpfLoads: Bool { libbpf == "loads" }

    /// One line that says why plain libbpf failed: its first error other than the closing summary.
    public var libbpfReason: String {
        if libbpfLoads { return "" }
        let lines = libbpfLog.split(separator: "\n").map(String.init)
        let errors = lines.filter { $0.contains("failed") || $0.contains("rror") || $0.contains("invalid") }
        return errors.first { !$0.contains("failed to load object") } ?? errors.first ?? lines.last ?? "errno \(libbpfErrno)"
    }

    /// One line that says why the loader was refused: the verifier's last
    /// meaningful line, else the loader's own error and errno.
    public var reason: String {
        if loaderLoads { return "" }
        let lines = loaderLog.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let interesting = lines.last { !$0.hasPrefix("processed ") && !$0.hasPrefix("verification time") && !$0.hasPrefix("stack depth") }
        let errno = loaderErrno > 0 ? " (errno \(loaderErrno))" : ""
        return (interesting.map { "\($0); " } ?? "") + (loaderError.isEmpty ? "refused" : loaderError) + errno
    }
}
