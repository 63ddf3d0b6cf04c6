import Foundation
import Glibc
import LskelModel
import Logging

/// Generated loaders by content address: a bounded in-memory LRU in front of
/// a bounded on-disk store in the data directory, one file per loader
/// (`<data>/loaders/<k0k1>/<key>.lskel`: a frame of the metadata JSON, header,
/// insns, data and manifest, see ``WorkerFrame``).
///
/// `put` answers from memory at once; the file is written in the background
/// (to a temporary name, then renamed), without fsync: this is a cache, and a
/// file cut short by a crash fails the frame's length check on reading and is
/// dropped. ``flush()`` waits for the writes still pending.
public actor LoaderStore: LoaderStoring {
    let directory: URL
    let memoryLimit: Int
    let diskLimit: Int
    private var memory: LoaderMemoryCache
    /// The bytes of each loader file, by key.
    private var disk: [String: Int] = [:]
    private var diskRecency = RecencyOrder<String>()
    private var diskBytes = 0
    private var pendingWrites: [String: StoredLoader] = [:]
    private var writeQueue: [String] = []
    private var writer: Task<Void, Never>?
    private var writeFailures = 0
    let logger: Logger

    public init(directory: String, memoryLimit: Int, diskLimit: Int, logger: Logger) {
        self.directory = URL(fileURLWithPath: directory).appendingPathComponent("loaders")
        self.memoryLimit = memoryLimit
        memory = LoaderMemoryCache(limit: memoryLimit)
        self.diskLimit = diskLimit
        self.logger = logger
    }

    /// Creates the directory and indexes what an earlier run left there.
    public func open() throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let fm = FileManager.default
        var found: [(key: String, used: Date)] = []
        for shard in (try? fm.contentsOfDirectory(atPath: directory.path)) ?? [] {
            let shardPath = directory.appendingPathComponent(shard).path
            for file in (try? fm.contentsOfDirectory(atPath: shardPath)) ?? [] {
                let path = shardPath + "/" + file
                guard file.hasSuffix(".lskel") else {
                    // A write cut short by a crash.
                    if file.hasPrefix(".tmp-") { try? fm.removeItem(atPath: path) }
                    continue
                }
                let key = String(file.dropLast(".lskel".count))
                let attributes = try? fm.attributesOfItem(atPath: path)
                let bytes = (attributes?[.size] as? Int) ?? 0
                let used = (attributes?[.modificationDate] as? Date) ?? Date.distantPast
                disk[key] = bytes
                diskBytes += bytes
                found.append((key, used))
            }
        }
        // The files' modification times order what an earlier run used.
        for file in found.sorted(by: { $0.used < $1.used }) { diskRecency.use(file.key) }
    }

    public func get(_ key: String) -> StoredLoader? {
        if let loader = memory.get(key) { return loader }
        if let pending = pendingWrites[key] { return pending }
        guard disk[key] != nil, let loader = readDisk(key) else { return nil }
        diskRecency.use(key)
        memory.put(loader)
        return loader
    }

    public func put(_ loader: StoredLoader) {
        memory.put(loader)
        guard disk[loader.key] == nil, pendingWrites[loader.key] == nil, loader.byteCount <= diskLimit else { return }
        pendingWrites[loader.key] = loader
        writeQueue.append(loader.key)
        if writer == nil {
            writer = Task { await self.drainWrites() }
        }
    }

    /// Nothing to connect: ``open()`` indexed the directory before the service started.
    public func start() {}

    /// Writes what is pending.
    public func close() async {
        await flush()
    }

    /// Waits until every loader put so far is on disk (or failed to be written)
    /// and every file evicted so far is gone.
    public func flush() async {
        while let writer {
            await writer.value
        }
        // The writer thread runs its work in order: this runs after the last unlink queued.
        await Self.writer.run {}
    }

    public var memoryUsage: (entries: Int, bytes: Int) { (memory.count, memory.bytes) }

    public var report: StoreReport {
        StoreReport(kind: "directory", location: directory.deletingLastPathComponent().path, state: .available, reason: "",
                    budgetBytes: diskLimit, memory: .init(entries: memory.count, bytes: memory.bytes),
                    stored: .init(entries: disk.count, bytes: diskBytes), failures: writeFailures)
    }
    public var diskUsage: (entries: Int, bytes: Int) { (disk.count, diskBytes) }

    // MARK: disk

    private func file(_ key: String) -> String {
        directory.path + "/" + key.prefix(2) + "/" + key + ".lskel"
    }

    private func drainWrites() async {
        var next = 0
        defer { writeQueue.removeAll() }
        while next < writeQueue.count {
            let key = writeQueue[next]
            next += 1
            guard let loader = pendingWrites[key] else { continue }
            let path = file(key)
            let written = await Self.write(loader, to: path)
            pendingWrites[key] = nil
            switch written {
            case .success(let bytes):
                disk[key] = bytes
                diskRecency.use(key)
                diskBytes += bytes
                evictDisk()
            case .failure(let error):
                writeFailures += 1
                logger.warning("cannot store loader", metadata: ["key": "\(key)", "error": "\(error)"])
            }
        }
        writer = nil
    }

    private func evictDisk() {
        while diskBytes > diskLimit, let oldest = diskRecency.removeOldest() {
            guard let bytes = disk.removeValue(forKey: oldest) else { continue }
            // Freeing a large file's blocks is the file system's work: not on this actor's thread.
            let path = file(oldest)
            Self.writer.submit { unlink(path) }
            diskBytes -= bytes
        }
    }

    struct WriteError: Error, CustomStringConvertible {
        var description: String
    }

    /// The store's file work runs here, one piece at a time, off Swift's cooperative
    /// threads (two on two cores) and below the requests' priority: run on one of
    /// those, a write (opening the temporary file, allocating its inode, the
    /// page-cache copies) held up the answer of the request that had just made the
    /// loader, 0.7 ms of a small object's request.
    static let writer = StoreWriterThread()

    /// Writes one loader file: a temporary file in the same folder, renamed into place.
    nonisolated static func write(_ loader: StoredLoader, to path: String) async -> Result<Int, WriteError> {
        await writer.run { writeNow(loader, to: path) }
    }

    nonisolated static func writeNow(_ loader: StoredLoader, to path: String) -> Result<Int, WriteError> {
        func failure(_ what: String) -> Result<Int, WriteError> {
            .failure(WriteError(description: "\(what): \(String(cString: strerror(errno)))"))
        }
        // Written piece by piece from the loader's own buffers: joining a large loader's
        // frame first copied it twice more (the parts out of their buffers, then together).
        guard let pieces = StoredLoaderFrame.pieces(loader) else {
            return .failure(WriteError(description: "cannot encode the metadata"))
        }
        let folder = String(path[..<(path.lastIndex(of: "/") ?? path.endIndex)])
        if mkdir(folder, 0o755) != 0 && errno != EEXIST { return failure("mkdir \(folder)") }
        let temporary = folder + "/.tmp-" + UUID().uuidString
        let fd = Glibc.open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return failure("open \(temporary)") }
        var total = 0
        for piece in pieces {
            let written = piece.withUnsafeReadableBytes { bytes -> Bool in
                guard let base = bytes.baseAddress else { return true }
                var offset = 0
                while offset < bytes.count {
                    let n = Glibc.write(fd, base + offset, bytes.count - offset)
                    if n < 0 && errno == EINTR { continue }
                    if n <= 0 { return false }
                    offset += n
                }
                return true
            }
            guard written else {
                let result = failure("write \(temporary)")
                Glibc.close(fd)
                unlink(temporary)
                return result
            }
            total += piece.readableBytes
        }
        guard Glibc.close(fd) == 0, rename(temporary, path) == 0 else {
            let result = failure("write \(path)")
            unlink(temporary)
            return result
        }
        return .success(total)
    }

    private func readDisk(_ key: String) -> StoredLoader? {
        let path = file(key)
        guard let contents = FileManager.default.contents(atPath: path) else { return nil }
        guard let loader = StoredLoaderFrame.decode([UInt8](contents), key: key) else {
            // Cut short or not ours: drop it, the next request generates again.
            unlink(path)
            if let bytes = disk.removeValue(forKey: key) { diskBytes -= bytes }
            diskRecency.remove(key)
            return nil
        }
        return loader
    }
}
