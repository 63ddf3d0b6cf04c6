/// The machine a loader is generated for.
///
/// libbpf's gen-loader mode reads host state while it builds a loader: the
/// kernel release (`LINUX_KERNEL_VERSION` and every program's `kern_version`),
/// the number of possible CPUs (the size of a perf-event array that sets no
/// `max_entries`), the kernel config (`CONFIG_*` externs), `/proc/kallsyms`
/// (typeless ksyms) and the page size (ring buffer sizes, mmapped data
/// sections). A profile supplies each of these explicitly, so the same object,
/// name and profile give the same bytes on any generating host.
///
/// ```swift
/// var profile = TargetProfile()
/// profile.kernelRelease = "6.1.0-13-amd64"
/// profile.possibleCPUs = 8
/// profile.maxEntries["events"] = 4096
/// ```
public struct TargetProfile: Sendable, Hashable, Codable {
    /// Kernel release as `uname -r` prints it. `nil` bakes no kernel version:
    /// programs carry `kern_version` 0 (ignored by kernels since 5.0) and an
    /// object that reads `LINUX_KERNEL_VERSION` is rejected.
    public var kernelRelease: String?
    /// Possible CPUs of the target: the size given to a perf-event array that
    /// sets no `max_entries`. The default is generous so such an array covers
    /// any machine up to that size.
    public var possibleCPUs: Int
    /// Kernel config text (`CONFIG_X=y` lines, as in `/proc/config.gz`). `nil`
    /// is an empty config: weak `CONFIG_*` externs become 0 and a strong one is
    /// an error naming it.
    public var kconfig: String?
    /// `max_entries` overrides by map name.
    public var maxEntries: [String: UInt32]
    /// Page size of the target (ring buffer sizes, mmapped data sections).
    public var pageSize: Int

    public static let defaultPossibleCPUs = 512
    public static let defaultPageSize = 4096
    public static let maxPossibleCPUs = 8192

    public init(
        kernelRelease: String? = nil,
        possibleCPUs: Int = TargetProfile.defaultPossibleCPUs,
        kconfig: String? = nil,
        maxEntries: [String: UInt32] = [:],
        pageSize: Int = TargetProfile.defaultPageSize
    ) {
        self.kernelRelease = kernelRelease
        self.possibleCPUs = possibleCPUs
        self.kconfig = kconfig
        self.maxEntries = maxEntries
        self.pageSize = pageSize
    }

    /// The kernel version code libbpf derives from ``kernelRelease``
    /// (`KERNEL_VERSION(major, minor, patch)`), or `nil` when none is set.
    public var kernelVersionCode: UInt32? {
        guard let release = kernelRelease, let parsed = Self.parseRelease(release) else { return nil }
        let patch = min(parsed.patch, 255)
        return (parsed.major << 16) + (parsed.minor << 8) + patch
    }

    /// Checks every value; throws ``GenerationError`` with kind `.invalidProfile`.
    public func validate() throws {
        if let release = kernelRelease {
            guard release.utf8.count < 65, Self.parseRelease(release) != nil,
                  release.utf8.allSatisfy({ $0 >= 0x21 && $0 < 0x7f })
            else {
                throw GenerationError(.invalidProfile,
                    "kernel release '\(release)' is not of the form MAJOR.MINOR.PATCH[suffix] (as uname -r prints it)")
            }
        }
        guard (1...Self.maxPossibleCPUs).contains(possibleCPUs) else {
            throw GenerationError(.invalidProfile,
                "possible CPU count \(possibleCPUs) is outside 1...\(Self.maxPossibleCPUs)")
        }
        guard pageSize >= 4096, pageSize <= 65536, pageSize & (pageSize - 1) == 0 else {
            throw GenerationError(.invalidProfile,
                "page size \(pageSize) is not a power of two from 4096 to 65536")
        }
        if let kconfig, kconfig.containsNUL {
            throw GenerationError(.invalidProfile, "kernel config text contains a NUL byte")
        }
        for (name, value) in maxEntries {
            guard !name.isEmpty, value > 0 else {
                throw GenerationError(.invalidProfile, "max_entries override '\(name)=\(value)' must name a map and be at least 1")
            }
        }
    }

    /// Parses a `MAP=N` override as given on the command line or in a request.
    public static func parseMaxEntries(_ text: String) throws -> (map: String, value: UInt32) {
        let parts = text.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, let value = UInt32(parts[1]), value > 0 else {
            throw GenerationError(.invalidProfile, "max_entries override '\(text)' is not MAP=N with N from 1 to \(UInt32.max)")
        }
        return (String(parts[0]), value)
    }

    /// The numbers libbpf reads with `sscanf("%u.%u.%u")`.
    public static func parseRelease(_ release: String) -> (major: UInt32, minor: UInt32, patch: UInt32)? {
        var numbers: [UInt32] = []
        var current: UInt32? = nil
        for byte in release.utf8 {
            if byte >= 0x30 && byte <= 0x39 {
                let (shifted, overflow) = (current ?? 0).multipliedReportingOverflow(by: 10)
                let (next, carry) = shifted.addingReportingOverflow(UInt32(byte - 0x30))
                guard !overflow, !carry else { return nil }
                current = next
            } else {
                guard let value = current else { break }
                numbers.append(value)
                current = nil
                if numbers.count == 3 || byte != UInt8(ascii: ".") { break }
            }
        }
        if numbers.count < 3, let value = current { numbers.append(value) }
        guard numbers.count >= 3, numbers[0] <= 255, numbers[1] <= 255 else { return nil }
        return (numbers[0], numbers[1], numbers[2])
    }
}
