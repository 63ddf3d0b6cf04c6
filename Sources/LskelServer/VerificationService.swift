import Foundation
import LskelModel
import LskelVerify

/// `verify=6.1,6.18`: the loader run in each named kernel's guest, plain
/// libbpf's result for the same object beside it. Where the request gave no
/// kernel release and no config, each kernel gets the loader generated for its
/// own release and config (a loader of its own, under its own key); the entry
/// says which profile was used.
public final class VerificationService: Sendable {
    public let pool: GuestPool
    let metrics: ServerMetrics

    public init(pool: GuestPool, metrics: ServerMetrics) {
        self.pool = pool
        self.metrics = metrics
    }

    public var kernels: [KernelImage] { pool.matrix.kernels }

    /// Refuses series this server cannot verify on, before any work (422).
    static func check(_ series: [String], with verification: VerificationService?) throws {
        guard !series.isEmpty else { return }
        guard let verification else {
            throw Problem(.verificationUnavailable,
                          detail: "this server has no kernels to verify on: start lskeld with --kernels DIR (from deploy/fetch-kernels DIR and deploy/build-guest DIR)")
        }
        let known = verification.kernels.map(\.series)
        if let unknown = series.first(where: { !known.contains($0) }) {
            throw Problem(.unknownKernel, detail: "no kernel '\(unknown)' on this server; it has \(known.joined(separator: ", "))")
        }
    }

    /// The `verification` array: one entry per series, in the order asked.
    func verify(_ object: UploadedObject, parameters: GenerationParameters, series: [String], service: LoaderService) async -> [UInt8] {
        let entries = await withTaskGroup(of: (Int, [UInt8]).self) { group in
            for (index, name) in series.enumerated() {
                group.addTask { (index, await self.entry(object, parameters: parameters, series: name, service: service)) }
            }
            var entries: [(Int, [UInt8])] = []
            for await entry in group { entries.append(entry) }
            return entries.sorted { $0.0 < $1.0 }.map(\.1)
        }
        var out: [UInt8] = [UInt8(ascii: "[")]
        for (index, entry) in entries.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out += entry
        }
        out.append(UInt8(ascii: "]"))
        return out
    }

    struct Entry: Encodable {
        var kernel: String
        var version: String
        /// "kernel": generated for this kernel's release and config; "request": the request's profile.
        var profile: String
        var key: String?
        var loader: String?
        var libbpf: String?
        var reason: String?
        var loaderLog: String?
        var libbpfLog: String?
        var seconds: Double?
        var accel: String?
        var error: String?
    }

    private func entry(_ object: UploadedObject, parameters: GenerationParameters, series: String, service: LoaderService) async -> [UInt8] {
        guard let kernel = pool.matrix.kernel(series) else { return ResponseJSON.encode(Entry(kernel: series, version: "", profile: "", error: "unknown kernel")) }
        var own = parameters
        let perKernel: Bool
        (own.profile, perKernel) = kernel.profile(for: parameters.profile)
        var entry = Entry(kernel: series, version: kernel.release, profile: perKernel ? "kernel" : "request")
        let start = Date()
        var job = GuestJob(insns: [], data: [], contextSize: 0, object: object.bytes, kconfig: kernel.config)
        do {
            let (loader, _) = try await service.loader(for: object, parameters: own)
            entry.key = loader.key
            job.insns = loader.insns
            job.data = loader.data
            job.contextSize = Self.contextSize(inManifest: loader.manifest) ?? 0
        } catch let problem as Problem {
            entry.loader = "rejected"
            entry.reason = "lskel: " + problem.detail
        } catch {
            entry.loader = "rejected"
            entry.reason = "lskel: \(error)"
        }
        do {
            let result = try await pool.verify(job, on: series)
            if entry.loader == nil {
                entry.loader = result.answer.loader
                entry.reason = result.answer.reason
                entry.loaderLog = result.answer.loaderLog.isEmpty ? nil : result.answer.loaderLog
            }
            entry.libbpf = result.answer.libbpf
            if !result.answer.libbpfLoads {
                entry.reason = [entry.reason ?? "", "libbpf: " + result.answer.libbpfReason].filter { !$0.isEmpty }.joined(separator: "; ")
                entry.libbpfLog = result.answer.libbpfLog
            }
            if entry.reason?.isEmpty == true { entry.reason = nil }
            entry.seconds = (result.seconds * 1000).rounded() / 1000
            entry.accel = result.accel
            metrics.recordVerification(series: series, result: entry.loader ?? "rejected", seconds: result.seconds)
        } catch {
            entry.error = "\(error)"
            metrics.recordVerification(series: series, result: "error", seconds: Date().timeIntervalSince(start))
        }
        metrics.guestRestarts.set(Double(pool.stats.restarts))
        return ResponseJSON.encode(entry)
    }

    /// `"ctx_size" : N` of a manifest the service wrote.
    static func contextSize(inManifest manifest: [UInt8]) -> Int? {
        let needle = Array("\"ctx_size\" : ".utf8)
        guard let at = manifest.withUnsafeBufferPointer({ ByteSearch.firstIndex(of: needle, in: $0) }) else { return nil }
        var value = 0
        var index = at + needle.count
        while index < manifest.count, manifest[index] >= 0x30, manifest[index] <= 0x39 {
            value = value * 10 + Int(manifest[index] - 0x30)
            index += 1
        }
        return value
    }
}
