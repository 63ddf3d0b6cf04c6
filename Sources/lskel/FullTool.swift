#if canImport(Glibc)
import Glibc
#endif

/// `lskel-tool`, next to this executable: every command, with the argument
/// parser that defines them (help and usage errors included). The lean
/// `lskel` runs the common `gen` itself and hands everything else over.
enum FullTool {
    static let name = "lskel-tool"

    /// Replaces this process with the full tool on the same arguments
    /// (`argv[0]` kept, so a `bpftool` link stays bpftool's front end).
    static func exec(_ arguments: [String]) -> Never {
        let path = location()
        var cArguments = arguments.map { strdup($0) }
        cArguments.append(nil)
        execv(path, cArguments)
        let reason = String(cString: strerror(errno))
        var message = "lskel: cannot run \(path): \(reason)\n"
        message.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
        exit(2)
    }

    /// The directory of this executable (through any symlink to it), plus the tool's name.
    static func location() -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard length > 0 else { return name }
        let path = String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard let slash = path.lastIndex(of: "/") else { return name }
        return String(path[...slash]) + name
    }
}
