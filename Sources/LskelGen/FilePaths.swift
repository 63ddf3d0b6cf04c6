#if canImport(Glibc)
import Glibc
#endif
import CLskelSystem
import BPFObject

/// The few path and file operations `lskel gen` needs, without Foundation
/// (its start-up is most of a small object's run).
enum FilePaths {
    /// The last component, as `NSString.lastPathComponent` gives it for a file path.
    static func lastComponent(_ path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        guard let slash = trimmed.lastIndex(of: "/"), trimmed != "/" else { return String(trimmed) }
        return String(trimmed[trimmed.index(after: slash)...])
    }

    /// `component` inside `directory`.
    static func join(_ directory: String, _ component: String) -> String {
        if directory.isEmpty { return component }
        return directory.hasSuffix("/") ? directory + component : directory + "/" + component
    }

    /// Creates `path` and its missing parents; succeeds when it is a directory already.
    static func makeDirectories(_ path: String) -> Bool {
        if isDirectory(path) { return true }
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += component
            if mkdir(prefix, 0o777) != 0 && !(errno == EEXIST && isDirectory(prefix)) { return false }
            prefix += "/"
        }
        return isDirectory(path)
    }

    static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    static func isReadableFile(_ path: String) -> Bool {
        var info = stat()
        return access(path, R_OK) == 0 && stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
    }

    /// The object file at `path`, mapped where it lies (as bpftool's libelf maps
    /// it): a regular file's pages are the page cache's, never copied into fresh
    /// heap pages. Anything else (a pipe, an empty size) is read. Nil when it
    /// cannot be opened or read. Like bpftool, a run whose input file is
    /// truncated under it while it reads ends with SIGBUS.
    static func object(_ path: String) -> ObjectBytes? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return nil }
        if (info.st_mode & S_IFMT) == S_IFREG, info.st_size > 0,
           let mapped = ObjectBytes.mapping(descriptor: descriptor, size: Int(info.st_size)) {
            return mapped
        }
        return contents(path).map { ObjectBytes($0) }
    }

    /// The whole file, or nil when it cannot be opened or read. Read into an array
    /// of the file's size that is not zeroed first, its pages populated in one
    /// call rather than faulted in one by one.
    static func contents(_ path: String) -> [UInt8]? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return nil }
        let size = max(Int(info.st_size), 0)
        var failed = false
        var bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
            guard let base = buffer.baseAddress else { return }
            lskel_populate_write(base, size)
            while initialized < size {
                let count = read(descriptor, base + initialized, size - initialized)
                if count < 0 {
                    if errno == EINTR { continue }
                    failed = true
                    return
                }
                if count == 0 { break }
                initialized += count
            }
        }
        guard !failed else { return nil }
        // A short read was the end; a file that grew since fstat, or reports no size
        // (a /proc file), gives the rest as it comes.
        guard bytes.count == size else { return bytes }
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if count == 0 { return bytes }
            bytes.append(contentsOf: chunk[0..<count])
        }
    }
}
