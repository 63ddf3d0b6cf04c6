import LskelModel

/// Which scheme a kernel release takes, and which cannot take a signed loader.
public enum SchemeChoice {
    /// The first release that verifies BPF program signatures at all.
    public static let firstSigningRelease = (6, 18)
    /// The first release proven here to check the loader's data itself (`kernel-hash`):
    /// Debian's 7.3 in the kernel matrix. Releases between 6.19 and 7.2 are not proven
    /// either way, so `auto` refuses them and asks for a scheme by name.
    public static let firstKernelHashRelease = (7, 3)

    public enum Refusal: Error, CustomStringConvertible, Equatable {
        case noRelease
        case tooOld(String)
        case unproven(String)
        case unparsable(String)

        public var description: String {
            switch self {
            case .noRelease: "sign_scheme=auto needs the profile's kernel_release to choose a scheme; give kernel_release, or sign_scheme=loader-hash (Linux 6.18) or kernel-hash (7.3 and later)"
            case .tooOld(let release): "kernel \(release) cannot verify BPF program signatures (Linux 6.18 or later can): a signed loader would not load there"
            case .unproven(let release): "kernel \(release) is between 6.18 (loader-hash) and 7.3 (kernel-hash, the first proven here); name the scheme with sign_scheme"
            case .unparsable(let release): "kernel release '\(release)' does not start with MAJOR.MINOR"
            }
        }
    }

    /// The scheme for `release` (uname -r form).
    public static func scheme(forRelease release: String?) throws(Refusal) -> SignatureScheme {
        guard let release else { throw .noRelease }
        let version = try Self.version(release)
        if version < firstSigningRelease { throw .tooOld(release) }
        if version >= firstKernelHashRelease { return .kernelHash }
        if version == firstSigningRelease { return .loaderHash }
        throw .unproven(release)
    }

    /// Refuses a named scheme for a release that cannot verify signatures at all.
    public static func check(_ scheme: SignatureScheme, release: String?) throws(Refusal) {
        guard let release else { return }
        if try Self.version(release) < firstSigningRelease { throw .tooOld(release) }
    }

    static func version(_ release: String) throws(Refusal) -> (Int, Int) {
        let numbers = release.split(whereSeparator: { !$0.isNumber }).prefix(2).compactMap { Int($0) }
        guard numbers.count == 2, release.first?.isNumber == true else { throw .unparsable(release) }
        return (numbers[0], numbers[1])
    }
}
