import Foundation
import LskelEngine
import LskelModel
import LskelTestSupport
import LskelVerify
import Testing

/// Every fixture's loader in Debian's kernels under qemu, next to plain libbpf
/// on the same object in the same guest.
@Suite("Kernel matrix", .serialized, .enabled(if: Kernels.available, Comment(rawValue: Kernels.skipReason)))
struct KernelMatrixTests {
    static let matrix: KernelMatrix? = try? KernelMatrix(directory: Kernels.directory)

    /// The job for a fixture's loader generated for `kernel` (its release and config).
    static func job(_ fixture: String, for kernel: KernelImage) throws -> GuestJob {
        let object = try Fixtures.bytes(fixture)
        let profile = kernel.profile(for: TargetProfile()).profile
        let generated = try LoaderGenerator.generateWithManifest(object: object, objectName: "\(fixture).bpf.o",
                                                                 name: Fixtures.skeletonName(fixture), profile: profile)
        return GuestJob(insns: generated.loader.insns, data: generated.loader.data, contextSize: generated.manifest.loader.ctxSize,
                        object: object, kconfig: kernel.config)
    }

    @Test("every supported fixture loads exactly where plain libbpf loads it; where both are refused, the reason is given")
    func everyFixtureEveryKernel() async throws {
        let matrix = try #require(Self.matrix)
        let pool = try GuestPool(matrix: matrix)
        defer { pool.shutdown() }
        print("kernel matrix: \(matrix.kernels.map { "\($0.series) (\($0.release))" }.joined(separator: ", "))")
        // One task per kernel: their guests run side by side.
        let rows = try await withThrowingTaskGroup(of: [String].self) { group in
            for kernel in matrix.kernels {
                group.addTask {
                    var rows: [String] = []
                    for fixture in Fixtures.supported {
                        let result = try await pool.verify(try Self.job(fixture, for: kernel), on: kernel.series)
                        let answer = result.answer
                        #expect(answer.loaderLoads == answer.libbpfLoads,
                                "\(fixture) on \(kernel.series): loader \(answer.loader) (\(answer.reason)), libbpf \(answer.libbpf) (\(answer.libbpfReason))")
                        if !answer.loaderLoads {
                            #expect(!answer.reason.isEmpty && !answer.libbpfReason.isEmpty, "\(fixture) on \(kernel.series): no reason given")
                        }
                        rows.append("\(fixture) \(kernel.series): \(answer.loader)/\(answer.libbpf)\(answer.loaderLoads ? "" : ": " + answer.reason)")
                    }
                    return rows
                }
            }
            var all: [String] = []
            for try await rows in group { all += rows }
            return all
        }
        let loads = rows.filter { $0.contains(": loads/loads") }.count
        print("kernel matrix: \(loads) of \(rows.count) fixture-kernel pairs load; refused by both:")
        rows.filter { !$0.contains(": loads/loads") }.sorted().forEach { print("  \($0)") }
        #expect(rows.count == Fixtures.supported.count * matrix.kernels.count)
    }

    @Test("a loader 6.1 must refuse (a kfunc it lacks) is rejected there with the verifier's reason and loads on the newer kernels")
    func olderKernelRefuses() async throws {
        let matrix = try #require(Self.matrix)
        let pool = try GuestPool(matrix: matrix)
        defer { pool.shutdown() }
        for kernel in matrix.kernels {
            let answer = try await pool.verify(try Self.job("rt_kfunc_task", for: kernel), on: kernel.series).answer
            if kernel.series == "6.1" {
                #expect(!answer.loaderLoads && !answer.libbpfLoads, "6.1 loads rt_kfunc_task")
                #expect(answer.reason.contains("failed to execute loader prog") && answer.loaderErrno > 0, "\(answer.reason)")
                #expect(!answer.loaderLog.isEmpty, "the verifier's log is empty")
            } else {
                #expect(answer.loaderLoads && answer.libbpfLoads, "\(kernel.series): \(answer.reason) / \(answer.libbpfReason)")
            }
        }
    }

    static func outcome(_ pool: GuestPool, _ job: GuestJob, _ series: String) async -> Result<GuestPool.Result, VerifyError> {
        do throws(VerifyError) {
            return .success(try await pool.verify(job, on: series))
        } catch {
            return .failure(error)
        }
    }

    /// The qemu processes of a pool's guests.
    static func guestProcesses(_ pool: GuestPool) -> [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { entry -> pid_t? in
            guard let pid = pid_t(entry),
                  let cmdline = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline"),
                  String(decoding: cmdline, as: UTF8.self).contains(pool.scratchDirectory) else { return nil }
            return pid
        }
    }

    @Test("a job that spins, a guest killed mid-job and a job that panics the guest: each a precise error, then the next job loads on a new guest")
    func guestFailures() async throws {
        let matrix = try #require(Self.matrix)
        let kernel = try #require(matrix.kernels.last)
        var configuration = GuestPool.Configuration()
        configuration.allowTestActions = true
        configuration.jobSeconds = 15
        let pool = try GuestPool(matrix: matrix, configuration: configuration)
        defer { pool.shutdown() }
        let good = try Self.job("maps", for: kernel)
        #expect(try await pool.verify(good, on: kernel.series).answer.loaderLoads)

        var spin = good
        spin.action = .spin
        switch await Self.outcome(pool, spin, kernel.series) {
        case .failure(let error): #expect(error == .timedOut(series: kernel.series, seconds: 15))
        case .success(let result): Issue.record("a spinning job answered: \(result.answer)")
        }
        #expect(try await pool.verify(good, on: kernel.series).answer.loaderLoads, "after a spinning job")

        let killer = Task {
            try await Task.sleep(for: .seconds(2))
            for pid in Self.guestProcesses(pool) { kill(pid, SIGKILL) }
        }
        switch await Self.outcome(pool, spin, kernel.series) {
        case .failure(.guestDied(let series, _)): #expect(series == kernel.series)
        case let other: Issue.record("a job on a killed guest: \(other)")
        }
        _ = try await killer.value
        #expect(try await pool.verify(good, on: kernel.series).answer.loaderLoads, "after a killed guest")

        var panic = good
        panic.action = .panic
        switch await Self.outcome(pool, panic, kernel.series) {
        case .failure(.guestDied(_, let reason)): #expect(reason.contains("Kernel panic"), "\(reason)")
        case let other: Issue.record("a job that panics the guest: \(other)")
        }
        #expect(try await pool.verify(good, on: kernel.series).answer.loaderLoads, "after a panic")
        #expect(pool.stats.restarts >= 3)
    }
}
