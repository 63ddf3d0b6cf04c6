import Foundation

/// One kernel of the verification matrix, as `deploy/fetch-kernels` lays it out:
/// `DIR/SERIES/{vmlinuz,config,version}` and, where the guest needs modules for
/// its virtio-console port, `DIR/SERIES/modules.cpio.gz`.
public struct KernelImage: Sendable, Hashable {
    /// "6.1", "6.12", ...
    public var series: String
    /// The exact release, as `uname -r` prints it in the guest.
    public var release: String
    public var vmlinuz: String
    /// The kernel's config text (the profile of a loader verified on it).
    public var config: String
    /// Extra initramfs appended to the guest's, if any.
    public var modules: String?
}

/// The kernels in a directory and the guest initramfs they boot (`DIR/guest.cpio.gz`,
/// from `deploy/build-guest`), in version order.
public struct KernelMatrix: Sendable {
    public var directory: String
    public var kernels: [KernelImage]
    public var guestImage: String

    public init(directory: String) throws(VerifyError) {
        let fm = FileManager.default
        self.directory = directory
        guestImage = directory + "/guest.cpio.gz"
        guard fm.fileExists(atPath: guestImage) else {
            throw .missingKernels("\(guestImage) is missing: run deploy/build-guest \(directory)")
        }
        var found: [KernelImage] = []
        for entry in (try? fm.contentsOfDirectory(atPath: directory)) ?? [] where !entry.hasPrefix(".") {
            let base = directory + "/" + entry
            guard let release = try? String(contentsOfFile: base + "/version", encoding: .utf8),
                  let config = try? String(contentsOfFile: base + "/config", encoding: .utf8),
                  fm.fileExists(atPath: base + "/vmlinuz") else { continue }
            let modules = base + "/modules.cpio.gz"
            found.append(KernelImage(series: entry, release: release.trimmingCharacters(in: .whitespacesAndNewlines),
                                     vmlinuz: base + "/vmlinuz", config: config,
                                     modules: fm.fileExists(atPath: modules) ? modules : nil))
        }
        guard !found.isEmpty else {
            throw .missingKernels("no kernel in \(directory): run deploy/fetch-kernels \(directory)")
        }
        kernels = found.sorted { Self.seriesOrder($0.series, $1.series) }
    }

    /// "6.1" < "6.12" < "6.18" < "7.3".
    static func seriesOrder(_ a: String, _ b: String) -> Bool {
        let x = a.split(separator: ".").map { Int($0) ?? 0 }, y = b.split(separator: ".").map { Int($0) ?? 0 }
        return x.lexicographicallyPrecedes(y)
    }

    public func kernel(_ series: String) -> KernelImage? { kernels.first { $0.series == series } }
}
