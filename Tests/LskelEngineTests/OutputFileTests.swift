import Foundation
import LskelModel
import Testing

/// Output files are replaced in place (no `O_TRUNC`), so a shorter output over
/// a longer one must still leave exactly the new bytes.
@Suite("Output files")
struct OutputFileTests {
    static func scratch() throws -> String {
        let directory = NSTemporaryDirectory() + "lskel-output-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return directory
    }

    @Test("a new file holds the bytes, mode 0644 less the umask")
    func newFile() throws {
        let directory = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/x.lskel.h"
        let bytes = (0..<70_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        try OutputFile.write(bytes, to: path)
        #expect(FileManager.default.contents(atPath: path) == Data(bytes))
        let mask = umask(0)
        umask(mask)
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o644 & ~Int(mask))
    }

    @Test("shorter, longer, equal and empty outputs over earlier ones leave exactly the new bytes")
    func replaces() throws {
        let directory = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/x.data.bin"
        for size in [100_000, 10, 0, 50_000, 50_000, 4096, 200_001, 1] {
            let bytes = (0..<size).map { UInt8(truncatingIfNeeded: $0 &+ size) }
            try OutputFile.write(bytes, to: path)
            #expect(FileManager.default.contents(atPath: path) == Data(bytes), "after writing \(size) bytes")
        }
    }

    @Test("a symbolic link is written through, and the inode kept")
    func throughLink() throws {
        let directory = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let target = directory + "/target.h", link = directory + "/link.h"
        try OutputFile.write(Array(repeating: 7, count: 9000), to: target)
        let inode = try FileManager.default.attributesOfItem(atPath: target)[.systemFileNumber] as? Int
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        try OutputFile.write(Array("short".utf8), to: link)
        #expect(FileManager.default.contents(atPath: target) == Data("short".utf8))
        #expect(try FileManager.default.attributesOfItem(atPath: target)[.systemFileNumber] as? Int == inode)
    }

    @Test("a directory that does not exist is an error naming the path")
    func missingDirectory() {
        #expect(throws: OutputFile.WriteError.self) {
            try OutputFile.write([1, 2, 3], to: "/nonexistent-lskel-dir/x.h")
        }
    }

    @Test("a NUL anywhere in a kernel config is found, none is not")
    func nulInConfig() {
        #expect(!"CONFIG_A=y\n".containsNUL)
        #expect(!"".containsNUL)
        #expect("\0".containsNUL)
        #expect((String(repeating: "CONFIG_X=y\n", count: 20_000) + "\0").containsNUL)
        #expect(String(repeating: "CONFIG_X=y\n", count: 20_000).containsNUL == false)
        var profile = TargetProfile()
        profile.kconfig = "CONFIG_A=y\n\0CONFIG_B=y\n"
        #expect(throws: GenerationError.self) { try profile.validate() }
    }
}
