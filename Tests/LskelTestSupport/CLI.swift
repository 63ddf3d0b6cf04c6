import Foundation

/// The built `lskel` executable, next to the test bundle.
public enum CLI {
    public static let path: String = builtExecutable("lskel")
    /// The sandboxed worker executable.
    public static let workerPath: String = builtExecutable("lskel-worker")

    /// An executable of this package, next to the test bundle.
    public static func builtExecutable(_ name: String) -> String {
        let testBinary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var dir = testBinary.deletingLastPathComponent()
        // swift test runs .build/<config>/<name>PackageTests.xctest
        for _ in 0..<3 {
            let candidate = dir.appendingPathComponent(name).path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return Fixtures.packageRoot + "/.build/debug/" + name
    }

    public static func run(_ arguments: [String]) throws -> ProcessResult {
        try Shell.run(path, arguments)
    }

    /// `run` off the cooperative thread pool, for async tests.
    public static func runDetached(_ arguments: [String]) async throws -> ProcessResult {
        try await Shell.runDetached(path, arguments)
    }
}

/// Compiles a generated header with the system C compiler, as a user would.
public enum CompileCheck {
    public static func header(_ header: String, name: String, prelude: String? = nil) throws {
        let dir = NSTemporaryDirectory() + "lskel-cc-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try header.write(toFile: "\(dir)/\(name).lskel.h", atomically: true, encoding: .utf8)
        let source = """
            #include <errno.h>
            #include <bpf/libbpf.h>
            \(prelude.map { "#include \"\($0)\"" } ?? "")
            #include "\(name).lskel.h"
            int main(void) { struct \(name) *s = \(name)__open(); \(name)__destroy(s); return 0; }

            """
        try source.write(toFile: "\(dir)/main.c", atomically: true, encoding: .utf8)
        let result = try Shell.run("/usr/bin/cc", ["-Wall", "-Werror", "-Wno-unused-function", "-I", dir, "-o", "\(dir)/main", "\(dir)/main.c"])
        if result.status != 0 {
            throw FixtureError("the header for \(name) does not compile:\n\(result.stderrText)")
        }
    }
}
