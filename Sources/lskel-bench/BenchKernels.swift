import Foundation
import LskelEngine
import LskelModel
import LskelVerify

/// The kernel matrix's costs: each guest's boot (KVM where a probe boot works,
/// TCG otherwise), the latency of one verification on a booted guest, per
/// kernel, and verifications per second with every kernel's guest busy.
struct KernelBench {
    struct Result: Codable {
        var accel: String
        var kvmProbe: String
        var bootSeconds: [String: Double]
        var p50Ms: [String: Double]
        var jobsPerKernel: Int
        var parallelPerSecond: Double
    }

    let directory: String
    let objects: [String]
    let jobsPerKernel: Int

    func run() async throws -> Result {
        let matrix = try KernelMatrix(directory: directory)
        let pool = try GuestPool(matrix: matrix)
        defer { pool.shutdown() }
        // Loaders generated for each kernel's release and config, as lskel verify does.
        var jobs: [String: [GuestJob]] = [:]
        for kernel in matrix.kernels {
            let profile = kernel.profile(for: TargetProfile()).profile
            jobs[kernel.series] = try objects.compactMap { path in
                let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
                let name = (path as NSString).lastPathComponent
                guard let generated = try? LoaderGenerator.generateWithManifest(object: bytes, objectName: name,
                                                                                name: try SkeletonName.fromFileName(name), profile: profile)
                else { return nil }
                return GuestJob(insns: generated.loader.insns, data: generated.loader.data,
                                contextSize: generated.manifest.loader.ctxSize, object: bytes, kconfig: kernel.config)
            }
        }
        // One kernel at a time: its first job boots its guest, the rest measure latency.
        var p50: [String: Double] = [:]
        for kernel in matrix.kernels {
            guard let list = jobs[kernel.series], !list.isEmpty else { continue }
            _ = try await pool.verify(list[0], on: kernel.series)
            var times: [Double] = []
            for index in 0..<jobsPerKernel {
                times.append(try await pool.verify(list[index % list.count], on: kernel.series).seconds)
            }
            p50[kernel.series] = median(times) * 1000
        }
        // Every kernel at once.
        let start = Spawn.now()
        let total = try await withThrowingTaskGroup(of: Int.self) { group in
            for kernel in matrix.kernels {
                guard let list = jobs[kernel.series], !list.isEmpty else { continue }
                group.addTask {
                    for index in 0..<jobsPerKernel { _ = try await pool.verify(list[index % list.count], on: kernel.series) }
                    return jobsPerKernel
                }
            }
            var sum = 0
            for try await count in group { sum += count }
            return sum
        }
        let stats = pool.stats
        return Result(accel: stats.accel, kvmProbe: stats.kvmProbe, bootSeconds: stats.bootSeconds, p50Ms: p50,
                      jobsPerKernel: jobsPerKernel, parallelPerSecond: Double(total) / (Spawn.now() - start))
    }

    static func table(_ result: Result) -> String {
        var out = "\nkernel matrix (guests under \(result.accel.uppercased()); \(result.kvmProbe.isEmpty ? "no KVM probe" : result.kvmProbe))\n"
        out += "kernel    boot s   verification p50 ms\n"
        for series in result.bootSeconds.keys.sorted(by: { $0.split(separator: ".").map { Int($0) ?? 0 }.lexicographicallyPrecedes($1.split(separator: ".").map { Int($0) ?? 0 }) }) {
            out += series.padding(toLength: 8, withPad: " ", startingAt: 0) + String(format: "%6.2f", result.bootSeconds[series] ?? 0)
                + String(format: "   %8.1f", result.p50Ms[series] ?? 0) + "\n"
        }
        out += String(format: "every kernel at once: %.1f verifications/s (%d per kernel)\n", result.parallelPerSecond, result.jobsPerKernel)
        return out
    }
}
