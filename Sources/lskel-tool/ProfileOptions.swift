import ArgumentParser
import LskelEngine
import LskelGen

/// The target profile flags shared by the commands that generate loaders.
struct ProfileOptions: ParsableArguments {
    @Option(name: .customLong("kernel-release"), help: "Target kernel release as uname -r prints it (LINUX_KERNEL_VERSION, program kern_version). Default: none.")
    var kernelRelease: String?

    @Option(name: .customLong("cpus"), help: "Target's possible CPU count: the size of a perf-event array without max_entries. Default: \(TargetProfile.defaultPossibleCPUs).")
    var cpus: Int?

    @Option(name: .customLong("kconfig"), help: "Target kernel config file (plain or gzip, e.g. /proc/config.gz) for CONFIG_* externs. Default: empty.")
    var kconfig: String?

    @Option(name: .customLong("max-entries"), help: "Override a map's max_entries, as MAP=N. Repeatable.")
    var maxEntries: [String] = []

    @Option(name: .customLong("page-size"), help: "Target page size (ring buffers, mmapped data). Default: \(TargetProfile.defaultPageSize).")
    var pageSize: Int?

    @Flag(name: .customLong("host"), help: "Start from this machine's values, as bpftool reads them; other flags override.")
    var host = false

    /// These flags for the shared runner (``ProfileSettings``).
    var settings: ProfileSettings {
        var settings = ProfileSettings()
        settings.kernelRelease = kernelRelease
        settings.cpus = cpus
        settings.kconfig = kconfig
        settings.maxEntries = maxEntries
        settings.pageSize = pageSize
        settings.host = host
        return settings
    }

    /// The profile these flags describe. Throws a usage error for malformed values.
    func profile() throws -> TargetProfile {
        do {
            return try settings.profile()
        } catch let error as GenerationError {
            throw ValidationError(error.detail)
        }
    }
}
