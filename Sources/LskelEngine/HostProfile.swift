import CLskelHost
import Glibc

/// The values `bpftool gen skeleton -L` would read from the machine it runs
/// on, gathered explicitly. Used to reproduce bpftool's output for this host
/// (`lskel gen --host`) and in the byte-comparison tests; never read implicitly.
public enum HostProfile {
    /// This machine's kernel release, possible CPUs, kernel config and page size.
    ///
    /// The reads go through the same `uname` and `gzopen` that a generation
    /// redirects to its profile, so they wait until no generation is running.
    public static func read() throws -> TargetProfile {
        try LoaderGenerator.withLibbpf { _ in try readUnlocked() }
    }

    static func readUnlocked() throws -> TargetProfile {
        var profile = try readUnlockedWithoutConfig()
        guard let release = profile.kernelRelease else { return profile }
        profile.kconfig = readConfigUnlocked(release: release)
        return profile
    }

    /// Where bpftool's libbpf reads the kernel config of release `release`, in order.
    public static func configPaths(release: String) -> [String] {
        ["/boot/config-\(release)", "/proc/config.gz"]
    }

    /// The first config of ``configPaths(release:)`` that reads; nil when none does.
    static func readConfigUnlocked(release: String) -> String? {
        for path in configPaths(release: release) {
            if let text = try? readTextUnlocked(path) { return text }
        }
        return nil
    }

    /// ``read()`` without the kernel config: the release, CPUs and page size.
    public static func readWithoutConfig() throws -> TargetProfile {
        try LoaderGenerator.withLibbpf { _ in try readUnlockedWithoutConfig() }
    }

    static func readUnlockedWithoutConfig() throws -> TargetProfile {
        var info = utsname()
        uname(&info)
        let release = withUnsafeBytes(of: &info.release) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        var profile = TargetProfile()
        profile.kernelRelease = release
        profile.pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        if let possible = try? readTextUnlocked("/sys/devices/system/cpu/possible"),
           let count = possibleCPUCount(possible) {
            profile.possibleCPUs = count
        }
        return profile
    }

    /// What reading the host's kernel config in one pass found.
    public enum OnePassConfig: Sendable {
        /// The text of the first of the paths that exists and reads.
        case text(String)
        /// None of the paths can be opened.
        case none
        /// A path that opens needs the streaming reader (a gzip file of several
        /// members, say): ``readConfig(release:)`` reads it.
        case needsStreaming
    }

    /// The kernel config of `release` read with plain `open`, `read` and one
    /// inflate: nothing a generation redirects, so this may run on another
    /// thread while one is in progress.
    public static func readConfigInOnePass(release: String) -> OnePassConfig {
        for path in configPaths(release: release) {
            switch readOnePass(path, maxBytes: 64 << 20) {
            case .text(let text): return .text(text)
            case .unopened: continue
            case .needsStreaming: return .needsStreaming
            }
        }
        return .none
    }

    /// The host's kernel config as ``read()`` reads it (waits until no generation is running).
    public static func readConfig(release: String) -> String? {
        LoaderGenerator.withLibbpf { _ in readConfigUnlocked(release: release) }
    }

    /// Counts the CPUs of a kernel CPU list such as `0-7,16-23` (16), as libbpf does.
    public static func possibleCPUCount(_ list: String) -> Int? {
        // A bitmap of the 65,536 CPU numbers allowed rather than a Set<Int>, whose
        // run-time conformance lookup cost more than the count on every start.
        var cpus = [UInt64](repeating: 0, count: 1 << 10)
        var any = false
        for part in list.split(whereSeparator: { $0 == "," || $0 == "\n" }) {
            let bounds = part.split(separator: "-", maxSplits: 1)
            guard let low = Int(bounds[0].trimmingSpaces) else { return nil }
            let high = bounds.count == 2 ? Int(bounds[1].trimmingSpaces) : low
            guard let high, low >= 0, high >= low, high < 1 << 16 else { return nil }
            for cpu in low...high { cpus[cpu >> 6] |= 1 << UInt64(cpu & 63) }
            any = true
        }
        return any ? cpus.reduce(0) { $0 + $1.nonzeroBitCount } : nil
    }

    /// Reads a text file, gunzipping it if it is compressed (`/proc/config.gz`).
    public static func readText(_ path: String, maxBytes: Int = 64 << 20) throws -> String {
        try LoaderGenerator.withLibbpf { _ in try readTextUnlocked(path, maxBytes: maxBytes) }
    }

    static func readTextUnlocked(_ path: String, maxBytes: Int = 64 << 20) throws -> String {
        switch readOnePass(path, maxBytes: maxBytes) {
        case .text(let text): return text
        case .unopened(let error):
            throw GenerationError(.invalidProfile, "cannot read \(path): \(String(cString: strerror(error)))")
        case .needsStreaming: return try readStreamed(path, maxBytes: maxBytes)
        }
    }

    enum OnePassText {
        case text(String)
        /// The file cannot be opened or read, or is larger than allowed (an errno).
        case unopened(Int32)
        case needsStreaming
    }

    /// `path` read whole and, if it is gzip, inflated in one call straight into the
    /// String's storage (a 100 KB config copied from a C buffer was 25 page faults).
    static func readOnePass(_ path: String, maxBytes: Int) -> OnePassText {
        switch ConfigFile.open(path, maxBytes: maxBytes) {
        case .success(let file): file.text().map(OnePassText.text) ?? .needsStreaming
        case .failure(let error): .unopened(error.code)
        }
    }

    /// The first config of ``configPaths(release:)`` that opens and reads, as it is
    /// on disk (still compressed, for `/proc/config.gz`); nil when none does.
    public static func openConfig(release: String) -> ConfigFile? {
        for path in configPaths(release: release) {
            if case .success(let file) = ConfigFile.open(path, maxBytes: 64 << 20) { return file }
        }
        return nil
    }

    static func readStreamed(_ path: String, maxBytes: Int) throws -> String {
        let buffer = UnsafeMutablePointer<lskel_buf>.allocate(capacity: 1)
        buffer.initialize(to: lskel_buf())
        defer { lskel_buf_free(buffer); buffer.deallocate() }
        let err = lskel_read_maybe_gz(path, maxBytes, buffer)
        guard err == 0 else {
            throw GenerationError(.invalidProfile, "cannot read \(path): \(String(cString: strerror(-err)))")
        }
        guard let data = buffer.pointee.data else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: data, count: buffer.pointee.len), as: UTF8.self)
    }
}

extension Substring {
    var trimmingSpaces: Substring {
        var text = self
        while let first = text.first, first == " " || first == "\t" { text = text.dropFirst() }
        while let last = text.last, last == " " || last == "\t" { text = text.dropLast() }
        return text
    }
}
