import ArgumentParser
import Foundation
import LskelEngine
import LskelGen
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

    @Argument(help: "BPF ELF objects (clang -target bpf -g -O2 -c x.bpf.c).")
    var objects: [String]

    @Option(name: .customLong("out-dir"), help: "Directory for the outputs (created if missing).")
    var outDir: String = "."

    @Option(name: .customLong("name"), help: "Skeleton name (one object only).")
    var name: String?

    @Option(name: .customLong("format"), help: "What to write: header, blobs, manifest or all.")
    var format: GenFormat = .all

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

    /// The same command for the shared runner (``GenRun``).
    var settings: GenSettings {
        var settings = GenSettings(objects: objects)
        settings.outDir = outDir
        settings.name = name
        settings.format = format
        settings.profile = profileOptions.settings
        return settings
    }

    func run() throws {
        let profile = try profileOptions.profile()
        let signer = try signing(profile).map { signing in
            { (loader: GeneratedLoader, manifest: Manifest) throws -> GenRun.Signed in
                let signed = try LoaderSigning.sign(header: loader.header, name: manifest.loader.skeletonName, insns: loader.insns,
                                                    data: loader.data, scheme: signing.scheme, key: signing.key)
                return GenRun.Signed(header: signed.header, insns: signed.insns,
                                     manifest: LoaderSigning.manifest(manifest, signed: signed), signature: signed.signature)
            }
        }
        let rejected: Bool
        do {
            rejected = try GenRun.run(settings, profile: profile, signer: signer)
        } catch let failure as GenRun.UsageFailure {
            throw ValidationError(failure.message)
        }
        if rejected { throw ExitCode(1) }
    }
}
