import Foundation
import LskelCoding
import LskelEngine
import LskelGen
import LskelModel
import LskelTestSupport
import Testing

/// `lskel gen --host` remembers the digest of the host's compressed kernel
/// config and does not inflate it again for an object without `CONFIG_*` externs. These
/// hold the remembered digest to the text's, through the real executable.
@Suite("the kernel config digest cache of lskel gen --host")
struct KconfigDigestCacheTests {
    static func tempDir() -> String { NSTemporaryDirectory() + "lskel-kcache-\(UUID().uuidString)" }

    static let zeroDigest = String(repeating: "0", count: 64)

    /// The host's compressed config, or why there is none (the cache is only for those).
    static func hostCompressedConfig() throws -> (file: ConfigFile, fileDigest: String, textDigest: String)? {
        let release = try #require(try HostProfile.readWithoutConfig().kernelRelease)
        guard let file = HostProfile.openConfig(release: release), file.isCompressed,
              let text = file.text() else {
            print("skipped: this host has no single-member compressed kernel config (\(HostProfile.configPaths(release: release)))")
            return nil
        }
        return (file, SHA256.hex(file.bytes), SHA256.hex(text.utf8))
    }

    static func gen(_ object: String, cache: String, extra: [String: String] = [:]) throws -> (manifest: Manifest, files: [String: Data]) {
        let out = tempDir()
        let run = try Shell.run(CLI.path, ["gen", try Fixtures.object(object), "--out-dir", out, "--host"],
                                environment: ["LSKEL_CACHE_DIR": cache].merging(extra) { $1 })
        #expect(run.status == 0, "\(run.stderrText)")
        let files = try LeanGenTests.files(out)
        let manifest = try ManifestJSON.decode([UInt8](try #require(files["\(object).manifest.json"])))
        return (manifest, files)
    }

    @Test("the entry written is the text's digest, and a run that reads it writes what lskel-tool writes")
    func rememberedEqualsText() throws {
        guard let host = try Self.hostCompressedConfig() else { return }
        let cache = Self.tempDir()
        let first = try Self.gen("maps", cache: cache)
        let entry = KconfigDigestCache(directory: cache).entryPath(fileDigest: host.fileDigest)
        #expect(try String(contentsOfFile: entry, encoding: .utf8) == host.textDigest + "\n")
        #expect(first.manifest.profile.kconfig.value == host.textDigest)
        let second = try Self.gen("maps", cache: cache)
        // lskel-tool reads the text every time.
        let full = Self.tempDir()
        let tool = try Shell.run(LeanGenTests.tool, ["gen", try Fixtures.object("maps"), "--out-dir", full, "--host"],
                                 environment: ["LSKEL_CACHE_DIR": ""])
        #expect(tool.status == 0, "\(tool.stderrText)")
        #expect(second.files == (try LeanGenTests.files(full)))
        #expect(second.manifest.profile.kconfig.source == "request")
    }

    @Test("a remembered digest is what the manifest takes, unless the object needs the text")
    func rememberedIsUsed() throws {
        guard let host = try Self.hostCompressedConfig() else { return }
        let cache = Self.tempDir()
        let cacheRecord = KconfigDigestCache(directory: cache)
        cacheRecord.remember(textDigest: Self.zeroDigest, fileDigest: host.fileDigest)
        // Planted, so only a lookup can put it in the manifest.
        #expect(try Self.gen("maps", cache: cache).manifest.profile.kconfig.value == Self.zeroDigest)
        // Externs libbpf answers without the config (LINUX_HAS_SYSCALL_WRAPPER,
        // LINUX_HAS_BPF_COOKIE, LINUX_KERNEL_VERSION-free ksyms): no text read, and
        // the loader is the one lskel-tool makes with the text in hand.
        for object in ["rt_minimal_printk", "rt_usdt_tracer", "ksyms"] {
            let lean = try Self.gen(object, cache: cache)
            #expect(lean.manifest.profile.kconfig.value == Self.zeroDigest, "\(object)")
            #expect(!lean.manifest.profile.kconfig.consumed, "\(object)")
            let full = Self.tempDir()
            let tool = try Shell.run(LeanGenTests.tool, ["gen", try Fixtures.object(object), "--out-dir", full, "--host"],
                                     environment: ["LSKEL_CACHE_DIR": ""])
            #expect(tool.status == 0, "\(tool.stderrText)")
            let toolFiles = try LeanGenTests.files(full).filter { !$0.key.hasSuffix(".manifest.json") }
            #expect(lean.files.filter { !$0.key.hasSuffix(".manifest.json") } == toolFiles, "\(object)")
        }
        // kconfig.bpf.o reads CONFIG_* values: libbpf gets the text, and the manifest its digest.
        let withExterns = try Self.gen("kconfig", cache: cache).manifest
        #expect(withExterns.profile.kconfig.value == host.textDigest && withExterns.profile.kconfig.consumed)
    }

    @Test("an entry that is not a digest is ignored and written again", arguments: [
        "", "garbage\n", String(repeating: "A", count: 64) + "\n", String(repeating: "0", count: 64), String(repeating: "0", count: 65) + "\n",
    ])
    func malformedEntry(entry: String) throws {
        guard let host = try Self.hostCompressedConfig() else { return }
        let cache = Self.tempDir()
        let path = KconfigDigestCache(directory: cache).entryPath(fileDigest: host.fileDigest)
        try FileManager.default.createDirectory(atPath: cache, withIntermediateDirectories: true)
        try entry.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try Self.gen("maps", cache: cache).manifest.profile.kconfig.value == host.textDigest)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == host.textDigest + "\n")
    }

    @Test("where the cache is: LSKEL_CACHE_DIR, empty for none, else XDG_CACHE_HOME/lskel")
    func location() throws {
        guard let host = try Self.hostCompressedConfig() else { return }
        let xdg = Self.tempDir()
        _ = try Self.gen("maps", cache: "", extra: ["XDG_CACHE_HOME": xdg])
        #expect(!FileManager.default.fileExists(atPath: xdg), "LSKEL_CACHE_DIR='' wrote to \(xdg)")
        let out = Self.tempDir()
        var environment = ProcessInfo.processInfo.environment
        environment["LSKEL_CACHE_DIR"] = nil
        environment["XDG_CACHE_HOME"] = xdg
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLI.path)
        process.arguments = ["gen", try Fixtures.object("maps"), "--out-dir", out, "--host"]
        process.environment = environment
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let entry = KconfigDigestCache(directory: xdg + "/lskel").entryPath(fileDigest: host.fileDigest)
        #expect(try String(contentsOfFile: entry, encoding: .utf8) == host.textDigest + "\n")
    }

    @Test("remember then look up; only well-formed digests are kept")
    func roundTrip() throws {
        let cache = KconfigDigestCache(directory: Self.tempDir() + "/a/b")
        let file = SHA256.hex(Array("file".utf8)), text = SHA256.hex(Array("text".utf8))
        #expect(cache.textDigest(fileDigest: file) == nil)
        cache.remember(textDigest: text, fileDigest: file)
        #expect(cache.textDigest(fileDigest: file) == text)
        cache.remember(textDigest: "not a digest", fileDigest: file)
        #expect(cache.textDigest(fileDigest: file) == text)
        let names = try FileManager.default.contentsOfDirectory(atPath: cache.directory)
        #expect(names == ["kconfig-\(file)"], "staging files left: \(names)")
    }
}
