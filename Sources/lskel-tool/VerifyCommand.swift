import ArgumentParser
import Foundation
import LskelEngine
import LskelModel
import LskelVerify

/// `lskel verify`: each object's loader run in each kernel of the matrix, with
/// plain libbpf's result for the same object in the same guest beside it.
struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Load each object's light skeleton in Debian kernels under qemu, next to plain libbpf.",
        discussion: """
            Kernels: a directory from deploy/fetch-kernels, with the guest from deploy/build-guest. Where no
            kernel release or config is given, each loader is generated for the kernel it is verified on.
            Exit status: 0 every loader loads wherever libbpf loads the object, 1 otherwise, 2 usage error.
            """
    )

    @Argument(help: "BPF ELF objects.")
    var objects: [String]

    @Option(name: .customLong("kernels"), help: "Directory of kernels (deploy/fetch-kernels DIR; deploy/build-guest DIR).")
    var kernels: String

    @Option(name: .customLong("kernel"), help: "A series to verify on (repeatable; default: every one in --kernels).")
    var series: [String] = []

    @Option(name: .customLong("name"), help: "Skeleton name (one object only).")
    var name: String?

    @Flag(name: .customLong("json"), help: "One JSON object per object and kernel.")
    var json = false

    @OptionGroup var profileOptions: ProfileOptions

    func validate() throws {
        if name != nil && objects.count > 1 { throw ValidationError("--name names one skeleton; give one object with it") }
    }

    struct Row: Encodable {
        var object: String
        var kernel: String
        var version: String
        var loader: String
        var libbpf: String
        var reason: String
        /// "kernel" when the loader was generated for this kernel's release and config, else "request".
        var profile: String
    }

    func run() async throws {
        let matrix: KernelMatrix
        do { matrix = try KernelMatrix(directory: kernels) } catch { throw ValidationError("\(error)") }
        let chosen = try series.isEmpty ? matrix.kernels : series.map { series in
            guard let kernel = matrix.kernel(series) else {
                throw ValidationError("no kernel '\(series)' in \(kernels) (have: \(matrix.kernels.map(\.series).joined(separator: ", ")))")
            }
            return kernel
        }
        let pool: GuestPool
        do { pool = try GuestPool(matrix: matrix) } catch {
            FileHandle.standardError.write(Data("lskel: \(error)\n".utf8))
            throw ExitCode(2)
        }
        defer { pool.shutdown() }
        let requested = try profileOptions.profile()
        var failed = false
        if !json {
            print("object".padding(toLength: 28, withPad: " ", startingAt: 0) + "kernel  " + "version".padding(toLength: 24, withPad: " ", startingAt: 0)
                  + "loader / libbpf")
        }
        for path in objects {
            guard let contents = FileManager.default.contents(atPath: path) else { throw ValidationError("cannot read \(path)") }
            let object = [UInt8](contents)
            let fileName = (path as NSString).lastPathComponent
            let skeleton = try name ?? SkeletonName.fromFileName(fileName)
            for kernel in chosen {
                let (profile, perKernel) = kernel.profile(for: requested)
                var job = GuestJob(insns: [], data: [], contextSize: 0, object: object, kconfig: kernel.config)
                var generationError: String?
                do {
                    let generated = try LoaderGenerator.generateWithManifest(object: object, objectName: fileName, name: skeleton, profile: profile)
                    job.insns = generated.loader.insns
                    job.data = generated.loader.data
                    job.contextSize = generated.manifest.loader.ctxSize
                } catch {
                    generationError = "lskel: \(error)"
                }
                var row = Row(object: fileName, kernel: kernel.series, version: kernel.release, loader: "rejected", libbpf: "rejected",
                              reason: "", profile: perKernel ? "kernel" : "request")
                do {
                    let result = try await pool.verify(job, on: kernel.series)
                    row.loader = generationError == nil ? result.answer.loader : "rejected"
                    row.libbpf = result.answer.libbpf
                    row.reason = generationError ?? result.answer.reason
                    if !result.answer.libbpfLoads {
                        row.reason += (row.reason.isEmpty ? "" : "; ") + result.answer.libbpfReason
                    }
                } catch {
                    row.reason = "\(error)"
                }
                if row.loader != "loads" && row.libbpf == "loads" { failed = true }
                if row.loader != "loads" && row.libbpf != "loads" && row.reason.isEmpty { row.reason = "refused by both" }
                emit(row)
            }
        }
        if failed { throw ExitCode(1) }
    }

    func emit(_ row: Row) {
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            if let line = try? encoder.encode(row) { print(String(decoding: line, as: UTF8.self)) }
            return
        }
        func result(_ value: String) -> String { value == "loads" ? "loads" : "rejected" }
        var line = row.object.padding(toLength: 28, withPad: " ", startingAt: 0) + row.kernel.padding(toLength: 8, withPad: " ", startingAt: 0)
            + row.version.padding(toLength: 24, withPad: " ", startingAt: 0) + result(row.loader) + " / " + result(row.libbpf)
        if !row.reason.isEmpty { line += ": " + row.reason.replacingOccurrences(of: "\n", with: " ") }
        print(line)
    }
}
