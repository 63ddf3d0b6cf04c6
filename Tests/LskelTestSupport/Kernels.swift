import Foundation

/// The kernel matrix for tests that boot guests: `LSKEL_KERNELS`, else
/// `.build/kernels` (what `.ci/run` fetches with deploy/fetch-kernels and
/// deploy/build-guest). Tests that need it run when `LSKEL_GUEST_TESTS=1`:
/// `.ci/run` runs them on their own after the others, because their TCG guests
/// keep both cores busy and would make the timing tests beside them fail.
/// Otherwise, or without the matrix or qemu, they are skipped, saying why.
public enum Kernels {
    public static let directory: String = ProcessInfo.processInfo.environment["LSKEL_KERNELS"] ?? Fixtures.packageRoot + "/.build/kernels"

    /// Why guest tests cannot run here, or nil when they can.
    public static let unavailable: String? = {
        let fm = FileManager.default
        guard ProcessInfo.processInfo.environment["LSKEL_GUEST_TESTS"] == "1" else {
            return "guest tests run with LSKEL_GUEST_TESTS=1 (.ci/run runs them alone, after the other tests: their guests keep both cores busy)"
        }
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
