import Foundation

/// The kernel matrix for tests that boot guests: `LSKEL_KERNELS`, else
/// `.build/kernels` (what `.ci/run` fetches with deploy/fetch-kernels and
/// deploy/build-guest). Tests that need it are skipped, saying why, when it
/// is not there or qemu is not installed.
public enum Kernels {
    public static let directory: String = ProcessInfo.processInfo.environment["LSKEL_KERNELS"] ?? Fixtures.packageRoot + "/.build/kernels"

    /// Why guest tests cannot run here, or nil when they can.
    public static let unavailable: String? = {
        let fm = FileManager.default
        guard ["/usr/bin/qemu-system-x86_64", "/usr/local/bin/qemu-system-x86_64"].contains(where: fm.isExecutableFile(atPath:)) else {
            return "qemu-system-x86_64 is not installed (Debian: qemu-system-x86)"
        }
        guard fm.fileExists(atPath: directory + "/guest.cpio.gz") else {
            return "no kernel matrix at \(directory): run deploy/fetch-kernels \(directory) && deploy/build-guest \(directory), or set LSKEL_KERNELS"
        }
        return nil
    }()

    public static var available: Bool { unavailable == nil }
    public static var skipReason: String { unavailable ?? "" }
}
