import ArgumentParser
import Foundation
import LskelEngine
import LskelModel

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

    func validate() throws {
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

    func run() throws {
        let profile = try profileOptions.profile()
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
                try write(loader, manifest: manifest, for: path)
            } catch let error as GenerationError {
                rejected = true
                var message = "lskel: \(path): \(error.detail) [\(error.kind.rawValue)]\n"
                for line in error.libbpfLog.suffix(20) { message += "  \(line)\n" }
                FileHandle.standardError.write(Data(message.utf8))
            }
        }
        if rejected { throw ExitCode(1) }
    }

    func write(_ loader: GeneratedLoader, manifest: Manifest, for path: String) throws {
        let stem = (outDir as NSString).appendingPathComponent(SkeletonName.fileStem(path))
        for file in format.files {
            let bytes: [UInt8]
            switch file {
            case .header: bytes = Array(loader.header.utf8)
            case .insns: bytes = loader.insns
            case .data: bytes = loader.data
            case .manifest: bytes = try ManifestJSON.encode(manifest)
            }
            try Data(bytes).write(to: URL(fileURLWithPath: file.name(stem: stem)))
        }
    }
}
