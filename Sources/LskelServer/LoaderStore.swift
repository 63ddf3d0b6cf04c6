import Foundation
import Logging

/// Generated loaders by content address: a bounded in-memory LRU in front of
/// a bounded on-disk store in the data directory
/// (`<data>/loaders/<k0k1>/<key>/{meta.json,header,insns,data,manifest}`).
public actor LoaderStore {
    let directory: URL
    let memoryLimit: Int
    let diskLimit: Int
    private var memory: [String: StoredLoader] = [:]
    private var memoryOrder: [String] = []
    private var memoryBytes = 0
    private var disk: [String: (bytes: Int, used: Date)] = [:]
    private var diskBytes = 0
    let logger: Logger

    public init(directory: String, memoryLimit: Int, diskLimit: Int, logger: Logger) {
        self.directory = URL(fileURLWithPath: directory).appendingPathComponent("loaders")
        self.memoryLimit = memoryLimit
        self.diskLimit = diskLimit
        self.logger = logger
    }

    /// Creates the directory and indexes what an earlier run left there.
    public func open() throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let fm = FileManager.default
        for shard in (try? fm.contentsOfDirectory(atPath: directory.path)) ?? [] {
            for key in (try? fm.contentsOfDirectory(atPath: directory.appendingPathComponent(shard).path)) ?? [] {
                let folder = directory.appendingPathComponent(shard).appendingPathComponent(key)
                let files = (try? fm.contentsOfDirectory(atPath: folder.path)) ?? []
                let bytes = files.reduce(0) { total, file in
                    total + ((try? fm.attributesOfItem(atPath: folder.appendingPathComponent(file).path)[.size] as? Int) ?? 0)
                }
                let used = (try? fm.attributesOfItem(atPath: folder.path)[.modificationDate] as? Date) ?? Date.distantPast
                disk[key] = (bytes, used)
                diskBytes += bytes
            }
        }
    }

    public func get(_ key: String) -> StoredLoader? {
        if let loader = memory[key] {
            touchMemory(key)
            return loader
        }
        guard disk[key] != nil, let loader = readDisk(key) else { return nil }
        disk[key]?.used = Date()
        putMemory(loader)
        return loader
    }

    public func put(_ loader: StoredLoader) {
        putMemory(loader)
        writeDisk(loader)
    }

    public var memoryUsage: (entries: Int, bytes: Int) { (memory.count, memoryBytes) }
    public var diskUsage: (entries: Int, bytes: Int) { (disk.count, diskBytes) }

    // MARK: memory

    private func touchMemory(_ key: String) {
        if let index = memoryOrder.lastIndex(of: key) { memoryOrder.remove(at: index) }
        memoryOrder.append(key)
    }

    private func putMemory(_ loader: StoredLoader) {
        guard loader.byteCount <= memoryLimit else { return }
        if let old = memory[loader.key] { memoryBytes -= old.byteCount }
        memory[loader.key] = loader
        memoryBytes += loader.byteCount
        touchMemory(loader.key)
        while memoryBytes > memoryLimit, let oldest = memoryOrder.first {
            memoryOrder.removeFirst()
            if let evicted = memory.removeValue(forKey: oldest) { memoryBytes -= evicted.byteCount }
        }
    }

    // MARK: disk

    private func folder(_ key: String) -> URL {
        directory.appendingPathComponent(String(key.prefix(2))).appendingPathComponent(key)
    }

    private func writeDisk(_ loader: StoredLoader) {
        guard disk[loader.key] == nil, loader.byteCount <= diskLimit else { return }
        let fm = FileManager.default
        let final = folder(loader.key)
        let staging = directory.appendingPathComponent(".staging-\(loader.key)-\(UUID().uuidString)")
        do {
            try fm.createDirectory(at: staging, withIntermediateDirectories: true)
            let meta = try JSONEncoder().encode(loader.metadata)
            try meta.write(to: staging.appendingPathComponent("meta.json"))
            try Data(loader.header).write(to: staging.appendingPathComponent("header"))
            try Data(loader.insns).write(to: staging.appendingPathComponent("insns"))
            try Data(loader.data).write(to: staging.appendingPathComponent("data"))
            try Data(loader.manifest).write(to: staging.appendingPathComponent("manifest"))
            try fm.createDirectory(at: final.deletingLastPathComponent(), withIntermediateDirectories: true)
            if fm.fileExists(atPath: final.path) {
                try? fm.removeItem(at: staging)
            } else {
                try fm.moveItem(at: staging, to: final)
            }
            disk[loader.key] = (loader.byteCount, Date())
            diskBytes += loader.byteCount
        } catch {
            try? fm.removeItem(at: staging)
            logger.warning("cannot store loader", metadata: ["key": "\(loader.key)", "error": "\(error)"])
        }
        while diskBytes > diskLimit, let oldest = disk.min(by: { $0.value.used < $1.value.used }) {
            try? fm.removeItem(at: folder(oldest.key))
            diskBytes -= oldest.value.bytes
            disk.removeValue(forKey: oldest.key)
        }
    }

    private func readDisk(_ key: String) -> StoredLoader? {
        let base = folder(key)
        guard let meta = try? JSONDecoder().decode(StoredLoader.Metadata.self, from: Data(contentsOf: base.appendingPathComponent("meta.json"))),
              meta.key == key,
              let header = try? Data(contentsOf: base.appendingPathComponent("header")),
              let insns = try? Data(contentsOf: base.appendingPathComponent("insns")),
              let data = try? Data(contentsOf: base.appendingPathComponent("data")),
              let manifest = try? Data(contentsOf: base.appendingPathComponent("manifest"))
        else { return nil }
        return StoredLoader(key: key, name: meta.name, stem: meta.stem, header: Array(header), insns: Array(insns),
                            data: Array(data), manifest: Array(manifest), sandboxLevel: meta.sandboxLevel,
                            libbpfLog: meta.libbpfLog ?? [])
    }
}
