import Foundation
import LskelEngine
import LskelModel
import LskelSign
import LskelTestSupport
import LskelVerify
import Testing

/// Signed loaders in Debian's kernels: 6.18 checks the signature over the
/// instructions (the loader checks its data), 7.3 checks the data as well,
/// 6.1 cannot take a signed loader at all.
@Suite("Signed loaders in the kernel matrix", .serialized, .enabled(if: Kernels.available, Comment(rawValue: Kernels.skipReason)))
struct SignedMatrixTests {
    static let fixture = "rt_execsnoop"
    static let EINVAL = 22, E2BIG = 7, EACCES = 13, ENOKEY = 126, EKEYREJECTED = 129

    /// A fresh key, and the job of the fixture's loader for `kernel` signed with it under `scheme`.
    static func job(for kernel: KernelImage, scheme: SignatureScheme, key: SigningKey,
                    tamper: (inout [UInt8], inout [UInt8]) -> Void = { _, _ in }, certificate: [UInt8]? = nil) throws -> GuestJob {
        let object = try Fixtures.bytes(fixture)
        let profile = kernel.profile(for: TargetProfile()).profile
        let name = Fixtures.skeletonName(fixture)
        let generated = try LoaderGenerator.generateWithManifest(object: object, objectName: "\(fixture).bpf.o", name: name, profile: profile)
        let signed = try LoaderSigning.sign(header: generated.loader.header, name: name, insns: generated.loader.insns,
                                            data: generated.loader.data, scheme: scheme, key: key)
        var insns = signed.insns, data = signed.data
        tamper(&insns, &data)
        var job = GuestJob(insns: insns, data: data, contextSize: generated.manifest.loader.ctxSize, object: object, kconfig: kernel.config)
        // The map admits exactly the instructions it is given, tampered or not, so that what
        // refuses tampered instructions is the signature check.
        let exclHash = SHA256.digest(SignableLoader.hashForm(insns))
        job.signing = .init(signature: signed.signature, certificate: certificate ?? key.certificate, exclProgHash: exclHash,
                            kernelChecksData: scheme == .kernelHash)
        return job
    }

    static func key(_ name: String) throws -> SigningKey {
        let pair = try SigningKey.makeKeypair(commonName: name)
        return try SigningKey(name: name, key: Array(pair.key.utf8), certificate: Array(pair.certificate.utf8))
    }

    /// libbpf's loader ends "r0 = 0; exit": the same loader but r0 = 1 is no longer what was signed.
    static func tamperInsns(_ insns: inout [UInt8], _ data: inout [UInt8]) { insns[insns.count - 16 + 4] ^= 1 }
    static func tamperData(_ insns: inout [UInt8], _ data: inout [UInt8]) { data[data.count / 2] ^= 1 }

    @Test("6.18, loader-hash: loads with its certificate in the session keyring; tampered instructions EKEYREJECTED, tampered data refused by the loader's check, another certificate an error; kernel-hash does not load there")
    func linux618() async throws {
        let matrix = try #require(try? KernelMatrix(directory: Kernels.directory))
        let kernel = try #require(matrix.kernels.first { $0.series == "6.18" }, "no 6.18 in the matrix")
        let pool = try GuestPool(matrix: matrix)
        defer { pool.shutdown() }
        let key = try Self.key("lskel-618"), stranger = try Self.key("stranger")
        func answer(_ job: GuestJob) async throws -> GuestAnswer { try await pool.verify(job, on: "6.18").answer }

        let good = try await answer(try Self.job(for: kernel, scheme: .loaderHash, key: key))
        #expect(good.loaderLoads, "\(good.reason)")
        let insns = try await answer(try Self.job(for: kernel, scheme: .loaderHash, key: key, tamper: Self.tamperInsns))
        #expect(!insns.loaderLoads && insns.loaderErrno == Self.EKEYREJECTED, "\(insns.reason)")
        let data = try await answer(try Self.job(for: kernel, scheme: .loaderHash, key: key, tamper: Self.tamperData))
        #expect(!data.loaderLoads && data.loaderErrno == Self.EINVAL && data.loaderError.contains("error returned by the loader program"),
                "the loader's own check: \(data.reason)")
        let other = try await answer(try Self.job(for: kernel, scheme: .loaderHash, key: key, certificate: stranger.certificate))
        #expect(!other.loaderLoads && [Self.ENOKEY, Self.EKEYREJECTED].contains(other.loaderErrno), "\(other.reason)")
        let wrongScheme = try await answer(try Self.job(for: kernel, scheme: .kernelHash, key: key))
        #expect(!wrongScheme.loaderLoads, "kernel-hash on 6.18: \(wrongScheme.reason)")
        print("signed on 6.18: loader-hash loads; tampered insns errno \(insns.loaderErrno), tampered data errno \(data.loaderErrno), other certificate errno \(other.loaderErrno), kernel-hash errno \(wrongScheme.loaderErrno) (\(wrongScheme.loaderError))")
    }

    @Test("7.3, kernel-hash: loads; tampered data or instructions EKEYREJECTED; loader-hash does not load there")
    func linux73() async throws {
        let matrix = try #require(try? KernelMatrix(directory: Kernels.directory))
        let kernel = try #require(matrix.kernels.first { $0.series == "7.3" }, "no 7.3 in the matrix")
        let pool = try GuestPool(matrix: matrix)
        defer { pool.shutdown() }
        let key = try Self.key("lskel-73")
        func answer(_ job: GuestJob) async throws -> GuestAnswer { try await pool.verify(job, on: "7.3").answer }

        let good = try await answer(try Self.job(for: kernel, scheme: .kernelHash, key: key))
        #expect(good.loaderLoads, "\(good.reason)")
        let data = try await answer(try Self.job(for: kernel, scheme: .kernelHash, key: key, tamper: Self.tamperData))
        #expect(!data.loaderLoads && data.loaderErrno == Self.EKEYREJECTED, "\(data.reason)")
        let insns = try await answer(try Self.job(for: kernel, scheme: .kernelHash, key: key, tamper: Self.tamperInsns))
        #expect(!insns.loaderLoads && insns.loaderErrno == Self.EKEYREJECTED, "\(insns.reason)")
        let wrongScheme = try await answer(try Self.job(for: kernel, scheme: .loaderHash, key: key))
        #expect(!wrongScheme.loaderLoads, "loader-hash on 7.3: \(wrongScheme.reason)")
        #expect(try SchemeChoice.scheme(forRelease: kernel.release) == .kernelHash)
        print("signed on 7.3: kernel-hash loads; tampered data errno \(data.loaderErrno), tampered insns errno \(insns.loaderErrno), loader-hash errno \(wrongScheme.loaderErrno) (\(wrongScheme.loaderError))")
    }

    @Test("6.1 refuses a signed loader; auto refuses its release before generating")
    func linux61() async throws {
        let matrix = try #require(try? KernelMatrix(directory: Kernels.directory))
        let kernel = try #require(matrix.kernels.first { $0.series == "6.1" }, "no 6.1 in the matrix")
        let pool = try GuestPool(matrix: matrix)
        defer { pool.shutdown() }
        let answer = try await pool.verify(try Self.job(for: kernel, scheme: .loaderHash, key: try Self.key("lskel-61")), on: "6.1").answer
        // 6.1 knows no excl_prog_hash: the map is refused (EINVAL for the unknown attribute bytes).
        #expect(!answer.loaderLoads && [Self.EINVAL, Self.E2BIG].contains(answer.loaderErrno)
                && answer.loaderError.contains("exclusive map"), "\(answer.reason)")
        #expect(throws: SchemeChoice.Refusal.tooOld(kernel.release)) { try SchemeChoice.scheme(forRelease: kernel.release) }
    }
}
