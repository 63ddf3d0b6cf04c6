import ArgumentParser
import Foundation
import LskelEngine
import LskelModel
import LskelSign

struct GenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gen",
        abstract: "Generate the light-skeleton loader of each object, in process.",
        discussion: """
            For x.bpf.o writes x.lskel.h (format header), x.insns.bin and x.data.bin (format blobs) \
            and x.manifest.json (format manifest) \
            into the output directory. The skeleton name follows bpftool's rule (x.bpf.o -> x_bpf) \
            unless --name is given.
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case header, blobs, manifest, all

        /// The files this format writes.
        var files: [LoaderFile] {
            switch self {
            case .header: [.header]
            case .blobs: [.insns, .data]
            case .manifest: [.manifest]
            case .all: LoaderFile.allCases
            }
        }
    }

    @Argument(help: "BPF ELF objects (clang -target bpf -g -O2 -c x.bpf.c).")
    var objects: [String]

    @Option(name: .customLong("out-dir"), help: "Directory for the outputs (created if missing).")
    var outDir: String = "."

    @Option(name: .customLong("name"), help: "Skeleton name (one object only).")
    var name: String?

    @Option(name: .customLong("format"), help: "What to write: header, blobs, manifest or all.")
    var format: Format = .all

    @OptionGroup var profileOptions: ProfileOptions

    @Option(name: .customLong("sign-key"), help: "Sign each loader with this key (PEM, readable by its owner only); needs --sign-cert.")
    var signKey: String?

    @Option(name: .customLong("sign-cert"), help: "The signing key's certificate (PEM or DER; it needs a subject key identifier).")
    var signCert: String?

    @Option(name: .customLong("sign-scheme"), help: "loader-hash (Linux 6.18), kernel-hash (7.3 and later) or auto (from --kernel-release).")
    var signScheme: String = "auto"

    func validate() throws {
        if (signKey == nil) != (signCert == nil) { throw ValidationError("--sign-key and --sign-cert go together") }
        if signKey != nil && signScheme != "auto" && SignatureScheme(rawValue: signScheme) == nil {
            throw ValidationError("--sign-scheme is loader-hash, kernel-hash or auto, not '\(signScheme)'")
        }
        if let name {
            if objects.count > 1 {
                throw ValidationError("--name names one skeleton; give one object with it")
            }
            do {
                _ = try SkeletonName.validated(name)
            } catch let error as GenerationError {
                throw ValidationError(error.detail)
            }
        }
    }

    /// The key and scheme to sign with, or nil. Throws a usage error naming what is wrong.
    func signing(_ profile: TargetProfile) throws -> (key: SigningKey, scheme: SignatureScheme)? {
        guard let signKey, let signCert else { return nil }
        let name = ((signKey as NSString).lastPathComponent as NSString).deletingPathExtension
        do {
            let key = try SigningKey(name: name, keyPath: signKey, certificatePath: signCert)
            let scheme: SignatureScheme
            if let named = SignatureScheme(rawValue: signScheme) {
                try SchemeChoice.check(named, release: profile.kernelRelease)
                scheme = named
            } else {
                scheme = try SchemeChoice.scheme(forRelease: profile.kernelRelease)
            }
            return (key, scheme)
        } catch let error as SigningKeyError {
            throw ValidationError(error.description)
        } catch let error as SchemeChoice.Refusal {
            throw ValidationError(error.description)
        }
    }

    func run() throws {
        let profile = try profileOptions.profile()
        let signing = try signing(profile)
        try FileManager.default.createDirectory(atPath: outDir, withIntermediateDirectories: true)
        var rejected = false
        for path in objects {
            guard let bytes = FileManager.default.contents(atPath: path) else {
                throw ValidationError("cannot read \(path)")
            }
            do {
                let skeletonName = try name.map(SkeletonName.validated) ?? SkeletonName.fromFileName(path)
                let (loader, manifest) = try LoaderGenerator.generateWithManifest(
                    object: [UInt8](bytes), objectName: (path as NSString).lastPathComponent, name: skeletonName, profile: profile)
                try write(loader, manifest: manifest, for: path, signing: signing)
            } catch let error as GenerationError {
                rejected = true
                var message = "lskel: \(path): \(error.detail) [\(error.kind.rawValue)]\n"
                for line in error.libbpfLog.suffix(20) { message += "  \(line)\n" }
                FileHandle.standardError.write(Data(message.utf8))
            }
        }
        if rejected { throw ExitCode(1) }
    }

    func write(_ loader: GeneratedLoader, manifest: Manifest, for path: String,
               signing: (key: SigningKey, scheme: SignatureScheme)?) throws {
        let stem = (outDir as NSString).appendingPathComponent(SkeletonName.fileStem(path))
        var header = loader.header, insns = loader.insns, manifest = manifest
        if let signing {
            let signed = try LoaderSigning.sign(header: loader.header, name: manifest.loader.skeletonName, insns: loader.insns,
                                                data: loader.data, scheme: signing.scheme, key: signing.key)
            header = signed.header
            insns = signed.insns
            manifest = LoaderSigning.manifest(manifest, signed: signed)
            if format.files.contains(.insns) {
                try OutputFile.write(signed.signature, to: stem + LoaderFile.signatureSuffix)
            }
        }
        for file in format.files {
            let bytes: [UInt8]
            switch file {
            case .header: bytes = Array(header.utf8)
            case .insns: bytes = insns
            case .data: bytes = loader.data
            case .manifest: bytes = try ManifestJSON.encode(manifest)
            }
            try OutputFile.write(bytes, to: file.name(stem: stem))
        }
    }
}
