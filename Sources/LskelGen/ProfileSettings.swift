import LskelEngine

/// The target profile a command line describes (`--kernel-release`, `--cpus`,
/// `--kconfig`, `--max-entries`, `--page-size`, `--host`), before it is read.
public struct ProfileSettings: Sendable, Equatable {
    public var kernelRelease: String?
    public var cpus: Int?
    /// A kernel config file (plain or gzip) to read.
    public var kconfig: String?
    /// `MAP=N` entries.
    public var maxEntries: [String] = []
    public var pageSize: Int?
    /// Start from this machine's values, as bpftool reads them.
    public var host = false

    public init() {}

    /// The profile: this machine's values with `host`, the defaults otherwise, then
    /// every setting given. Throws ``GenerationError`` for a malformed value or an
    /// unreadable kconfig.
    public func profile() throws -> TargetProfile {
        try profile(from: nil)
    }

    /// ``profile()``, but with `host` and no `kconfig` the host's kernel config is
    /// read on a thread of its own: the profile comes without it, and with the
    /// ``DeferredHostConfig`` that supplies it (``GenRun`` waits for it).
    public func profileDeferringHostConfig() throws -> (profile: TargetProfile, hostConfig: DeferredHostConfig?) {
        guard host, kconfig == nil else { return (try profile(), nil) }
        let base = try HostProfile.readWithoutConfig()
        guard let release = base.kernelRelease else { return (try profile(), nil) }
        let deferred = DeferredHostConfig(release: release)
        return (try profile(from: base), deferred)
    }

    private func profile(from base: TargetProfile?) throws -> TargetProfile {
        var profile = try base ?? (host ? HostProfile.read() : TargetProfile())
        if let kernelRelease { profile.kernelRelease = kernelRelease }
        if let cpus { profile.possibleCPUs = cpus }
        if let pageSize { profile.pageSize = pageSize }
        if let kconfig { profile.kconfig = try HostProfile.readText(kconfig) }
        for entry in maxEntries {
            let (map, value) = try TargetProfile.parseMaxEntries(entry)
            profile.maxEntries[map] = value
        }
        try profile.validate()
        return profile
    }
}
