import Foundation
import Synchronization
import LskelModel
import Logging
import Testing
@testable import LskelServer

/// The on-disk half of the store, on the real file system.
@Suite("Loader store")
struct LoaderStoreTests {
    static func loader(_ index: Int, size: Int = 1000) -> StoredLoader {
        let key = String(repeating: String(format: "%02x", index % 256), count: 32)
        return StoredLoader(key: key, name: "skel_\(index)", stem: "obj\(index)",
                            header: Array("/* header \(index) */\n".utf8) + [UInt8](repeating: UInt8(index % 251), count: size),
                            insns: (0..<64).map { UInt8(($0 + index) % 256) }, data: [1, 2, 3, UInt8(index % 256)],
                            manifest: Array("{\"n\":\(index)}\n".utf8), sandboxLevel: "full", libbpfLog: ["libbpf: note \(index)"])
    }

    static func directory() -> String { NSTemporaryDirectory() + "lskel-store-\(UUID().uuidString)" }

    /// A store on `path`, opened (indexing what is already there).
    static func openStore(_ path: String, memoryLimit: Int = 1 << 20, diskLimit: Int = 1 << 20) async throws -> LoaderStore {
        let store = LoaderStore(directory: path, memoryLimit: memoryLimit, diskLimit: diskLimit, logger: Logger(label: "test"))
        try await store.open()
        return store
    }

    @Test("loaders written in the background are read back by a new store, byte for byte")
    func roundTrip() async throws {
        let path = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let first = try await Self.openStore(path)
        for index in 0..<20 { await first.put(Self.loader(index)) }
        await first.flush()
        #expect(await first.diskUsage.entries == 20)

        // Each file, written piece by piece, is one whole frame of the loader's parts.
        for index in [0, 7, 19] {
            let loader = Self.loader(index)
            let file = path + "/loaders/" + loader.key.prefix(2) + "/" + loader.key + ".lskel"
            let written = try #require(FileManager.default.contents(atPath: file).map { [UInt8]($0) }, "loader \(index)")
            let frame = try WorkerFrame.decode(written, maxBytes: written.count)
            #expect(frame.length == written.count && frame.type == StoredLoaderFrame.type && frame.parts.count == 5)
            #expect(Array(frame.parts.dropFirst()) == [loader.header, loader.insns, loader.data, loader.manifest], "loader \(index)")
            #expect(StoredLoaderFrame.decode(written, key: loader.key)?.name == loader.name)
        }

        let second = try await Self.openStore(path)
        #expect(await second.diskUsage.entries == 20)
        for index in 0..<20 {
            let expected = Self.loader(index)
            let loaded = try #require(await second.get(expected.key))
            #expect(loaded.header == expected.header && loaded.insns == expected.insns && loaded.data == expected.data
                    && loaded.manifest == expected.manifest && loaded.name == expected.name && loaded.stem == expected.stem
                    && loaded.libbpfLog == expected.libbpfLog, "loader \(index)")
        }
    }

    @Test("a file cut short (a crash mid-write) is a miss and is removed; leftovers of a write are cleaned up")
    func truncated() async throws {
        let path = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let first = try await Self.openStore(path)
        let loader = Self.loader(7)
        await first.put(loader)
        await first.flush()
        let file = "\(path)/loaders/\(loader.key.prefix(2))/\(loader.key).lskel"
        let bytes = try #require(FileManager.default.contents(atPath: file))
        try bytes.prefix(bytes.count - 10).write(to: URL(fileURLWithPath: file))
        let leftover = "\(path)/loaders/\(loader.key.prefix(2))/.tmp-leftover"
        FileManager.default.createFile(atPath: leftover, contents: Data([1, 2, 3]))

        let second = try await Self.openStore(path)
        #expect(!FileManager.default.fileExists(atPath: leftover))
        #expect(await second.get(loader.key) == nil)
        #expect(!FileManager.default.fileExists(atPath: file))
        #expect(await second.diskUsage.entries == 0)
    }

    /// A store with no memory cache whose disk keeps four loaders of ``loader(_:size:)``
    /// with size 4000 (each file a little over 4 KiB, a 20 KiB limit), with loaders
    /// `0..<count` put and written.
    static func diskOnlyStore(_ path: String, filledWith count: Int) async throws -> LoaderStore {
        let store = try await openStore(path, memoryLimit: 0, diskLimit: 20 << 10)
        for index in 0..<count { await store.put(loader(index, size: 4000)) }
        await store.flush()
        return store
    }

    @Test("the disk limit evicts the least recently used loaders")
    func eviction() async throws {
        let path = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let store = try await Self.diskOnlyStore(path, filledWith: 10)
        let usage = await store.diskUsage
        #expect(usage.entries == 4 && usage.bytes <= 20 << 10, "\(usage)")
        // The evicted files are gone from the directory, not only from the index.
        let files = (FileManager.default.enumerator(atPath: path)?.allObjects as? [String] ?? []).filter { $0.hasSuffix(".lskel") }
        #expect(files.count == 4, "\(files)")
        #expect(await store.get(Self.loader(9).key) != nil)
        #expect(await store.get(Self.loader(0).key) == nil)
    }

    @Test("on disk, a read counts as a use; a store opened again orders the files by their last write")
    func diskLRU() async throws {
        let path = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let store = try await Self.diskOnlyStore(path, filledWith: 4)
        // With no memory cache this read is the file's: 0 becomes the most recent.
        #expect(await store.get(Self.loader(0).key) != nil)
        await store.put(Self.loader(4, size: 4000))
        await store.flush()
        #expect(await store.get(Self.loader(1).key) == nil)
        for index in [0, 2, 3, 4] { #expect(await store.get(Self.loader(index).key) != nil, "loader \(index)") }

        // A new store knows only the files' times: the oldest written goes first.
        let file = { (index: Int) in "\(path)/loaders/\(Self.loader(index).key.prefix(2))/\(Self.loader(index).key).lskel" }
        for (age, index) in [3, 0, 4, 2].enumerated() {
            let time = Date(timeIntervalSince1970: 1_000_000 + Double(age) * 60)
            try FileManager.default.setAttributes([.modificationDate: time], ofItemAtPath: file(index))
        }
        let reopened = try await Self.openStore(path, memoryLimit: 0, diskLimit: 20 << 10)
        await reopened.put(Self.loader(5, size: 4000))
        await reopened.flush()
        #expect(await reopened.diskUsage.entries == 4)
        #expect(!FileManager.default.fileExists(atPath: file(3)))
        for index in [0, 2, 4, 5] { #expect(FileManager.default.fileExists(atPath: file(index)), "loader \(index)") }
    }

    @Test("the store's file work runs on one thread of its own, at nice 19, in order")
    func writerThread() async {
        let writer = StoreWriterThread()
        let first = await writer.run { (Thread.current.description, getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)) }
        #expect(first.1 == 19)
        let order = Mutex<[Int]>([])
        for index in 0..<50 { writer.submit { order.withLock { $0.append(index) } } }
        let second = await writer.run { Thread.current.description }
        #expect(order.withLock { $0 } == Array(0..<50))
        #expect(first.0 == second)
        // The caller's own priority is untouched.
        #expect(getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0) != 19)
    }

    @Test("the memory limit evicts the least recently used loader; a use counts")
    func memoryLRU() async throws {
        let path = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let size = Self.loader(10).byteCount  // the largest of these
        let store = try await Self.openStore(path, memoryLimit: 3 * size, diskLimit: 0)
        for index in 0..<3 { await store.put(Self.loader(index)) }
        #expect(await store.get(Self.loader(0).key) != nil)  // 0 is now the most recent
        await store.put(Self.loader(3))
        #expect(await store.memoryUsage.entries == 3)
        #expect(await store.get(Self.loader(1).key) == nil)
        for index in [0, 2, 3] { #expect(await store.get(Self.loader(index).key) != nil, "loader \(index)") }
        for index in 4..<40 { await store.put(Self.loader(index)) }
        #expect(await store.memoryUsage.entries == 3)
        for index in 37..<40 { #expect(await store.get(Self.loader(index).key) != nil, "loader \(index)") }
    }
}
