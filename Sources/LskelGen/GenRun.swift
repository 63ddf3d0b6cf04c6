#if canImport(Glibc)
import Glibc
#endif
import LskelEngine
import LskelModel

/// `lskel gen`: each object's loader generated in process and written as
/// `x.lskel.h`, `x.insns.bin`, `x.data.bin` and `x.manifest.json`.
public enum GenRun {
    /// A failure of the command line rather than of an object: an object that
    /// cannot be read, an output directory that cannot be made.
    public struct UsageFailure: Error, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// What signing makes of a loader: the header, instructions and manifest
    /// to write in place of the unsigned ones, and the signature (`x.sig`).
    public struct Signed {
        public var header: String
        public var insns: [UInt8]
        public var manifest: Manifest
        public var signature: [UInt8]

        public init(header: String, insns: [UInt8], manifest: Manifest, signature: [UInt8]) {
            self.header = header
            self.insns = insns
            self.manifest = manifest
            self.signature = signature
        }
    }

    public typealias Signer = (_ loader: GeneratedLoader, _ manifest: Manifest) throws -> Signed

    /// The host's kernel config, read on another thread, is not one a generation
    /// accepts (it contains a NUL byte): the full tool reports that.
    public struct HostConfigRefused: Error {
        public var error: GenerationError
    }

    /// Objects at least this large are hashed on a thread of their own.
    static let backgroundDigestBytes = 256 << 10

    /// Generates every object's outputs. An object libbpf or the reader refuses
    /// is reported on stderr (`lskel: PATH: detail [kind]` and the end of
    /// libbpf's log) and the others go on; returns whether one was refused.
    /// With `hostConfig` the profile's kernel config comes from it: waited for
    /// before libbpf runs on an object with a `CONFIG_*` extern (the only kind
    /// libbpf reads the config for), else before the manifest
    /// (a large object's SHA-256 is computed on a thread of its own meanwhile),
    /// which takes a digest the cache remembered without the text.
    /// Throws ``UsageFailure``, ``HostConfigRefused``, an ``OutputFile/WriteError``
    /// or the signer's error.
    public static func run(_ settings: GenSettings, profile: TargetProfile, hostConfig: DeferredHostConfig? = nil,
                           signer: Signer? = nil) throws -> Bool {
        guard FilePaths.makeDirectories(settings.outDir) else {
            throw UsageFailure(message: "cannot create \(settings.outDir): \(String(cString: strerror(errno)))")
        }
        var profile = profile
        var pendingConfig = hostConfig
        var kconfigDigest: String?
        func settleHostConfig() throws {
            guard let config = pendingConfig else { return }
            pendingConfig = nil
            (profile.kconfig, kconfigDigest) = config.resolve()
            do { try profile.validate() } catch let error as GenerationError { throw HostConfigRefused(error: error) }
        }
        var rejected = false
        let writesManifest = signer != nil || settings.format.files.contains(.manifest)
        for path in settings.objects {
            guard let bytes = FilePaths.object(path) else { throw UsageFailure(message: "cannot read \(path)") }
            // The object's digest is the manifest's: a run that writes none (and signs nothing)
            // does not hash. A small object is hashed here: a thread costs more than its digest.
            let objectDigest = writesManifest && bytes.count >= Self.backgroundDigestBytes ? Background { SHA256.hex(bytes) } : nil
            do {
                let skeletonName = try settings.name.map(SkeletonName.validated) ?? SkeletonName.fromFileName(path)
                // Our reader first, so that malformed input is refused before libbpf sees it.
                let summary = try ObjectReader.summary(bytes)
                if summary.elf.readsKernelConfig { try settleHostConfig() }
                let loader = try LoaderGenerator.generate(object: bytes, name: skeletonName, profile: profile, elf: summary.elf)
                // The manifest needs only the config's digest: a remembered one spares the inflating.
                // (Settled here with or without a manifest, so a refused config stops every format alike.)
                if let remembered = pendingConfig?.rememberedDigest { kconfigDigest = remembered } else { try settleHostConfig() }
                var manifest: Manifest?
                if writesManifest {
                    manifest = try ManifestBuilder.build(
                        objectName: FilePaths.lastComponent(path), object: bytes, loader: loader, profile: profile,
                        summary: summary, objectDigest: objectDigest?.join(), kconfigDigest: kconfigDigest)
                } else {
                    // Refused as it would be with the manifest: every format accepts the same objects.
                    try ManifestBuilder.check(loader: loader, summary: summary)
                }
                try write(loader, manifest: manifest,
                          stem: FilePaths.join(settings.outDir, SkeletonName.fileStem(path)),
                          files: settings.format.files, signer: signer)
            } catch let error as GenerationError {
                rejected = true
                var message = "lskel: \(path): \(error.detail) [\(error.kind.rawValue)]\n"
                for line in error.libbpfLog.suffix(20) { message += "  \(line)\n" }
                writeStandardError(message)
            }
        }
        if pendingConfig?.rememberedDigest == nil { try settleHostConfig() }
        return rejected
    }

    /// Whether `run` would get past its usage checks: the output directory can be
    /// made and every object is a readable file.
    public static func canStart(_ settings: GenSettings) -> Bool {
        FilePaths.makeDirectories(settings.outDir) && settings.objects.allSatisfy(FilePaths.isReadableFile)
    }

    /// Writes `files`; `manifest` is nil only when neither they nor a signer need it.
    static func write(_ loader: GeneratedLoader, manifest: Manifest?, stem: String, files: [LoaderFile], signer: Signer?) throws {
        var header = loader.header, insns = loader.insns, manifest = manifest
        if let signer {
            // `run` builds the manifest whenever there is a signer.
            guard let unsigned = manifest else { preconditionFailure("signing without a manifest") }
            let signed = try signer(loader, unsigned)
            header = signed.header
            insns = signed.insns
            manifest = signed.manifest
            if files.contains(.insns) {
                try OutputFile.write(signed.signature, to: stem + LoaderFile.signatureSuffix)
            }
        }
        for file in files {
            let path = file.name(stem: stem)
            switch file {
            case .header: try OutputFile.write(header, to: path)
            case .insns: try OutputFile.write(insns, to: path)
            case .data: try OutputFile.write(loader.data, to: path)
            case .manifest:
                // `run` builds the manifest whenever the files include it.
                guard let manifest else { preconditionFailure("a manifest file without a manifest") }
                try OutputFile.write(try ManifestJSON.encode(manifest), to: path)
            }
        }
    }

    static func writeStandardError(_ text: String) {
        var text = text
        text.withUTF8 { buffer in
            var offset = 0
            while offset < buffer.count {
                let count = Glibc.write(2, buffer.baseAddress! + offset, buffer.count - offset)
                if count < 0 && errno == EINTR { continue }
                if count <= 0 { return }
                offset += count
            }
        }
    }
}
