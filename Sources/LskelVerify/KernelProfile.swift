import LskelModel

extension KernelImage {
    /// The profile a loader verified on this kernel is generated for: the
    /// requested one as it is when it names a kernel release or a config, else
    /// the requested one with this kernel's release and config. `ownKernel` says
    /// which ("kernel" rather than "request" in answers).
    public func profile(for requested: TargetProfile) -> (profile: TargetProfile, ownKernel: Bool) {
        guard requested.kernelRelease == nil && requested.kconfig == nil else { return (requested, false) }
        var profile = requested
        profile.kernelRelease = release
        profile.kconfig = config
        return (profile, true)
    }
}
