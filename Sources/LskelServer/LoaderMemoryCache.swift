/// The bounded in-memory LRU in front of every store: loaders by key, the
/// least recently used dropped first when the byte budget is exceeded.
struct LoaderMemoryCache {
    let limit: Int
    private var entries: [String: (loader: StoredLoader, tick: UInt64)] = [:]
    /// Recency: each use takes the next tick; the smallest live tick is the least recently used.
    private var keysByTick: [UInt64: String] = [:]
    private var nextTick: UInt64 = 0
    private var oldestTick: UInt64 = 0
    private(set) var bytes = 0

    init(limit: Int) {
        self.limit = limit
    }

    var count: Int { entries.count }

    /// The loader, counted as a use.
    mutating func get(_ key: String) -> StoredLoader? {
        guard let entry = entries[key] else { return nil }
        touch(key)
        return entry.loader
    }

    mutating func put(_ loader: StoredLoader) {
        guard loader.byteCount <= limit else { return }
        if let old = entries[loader.key] { bytes -= old.loader.byteCount }
        entries[loader.key] = (loader, entries[loader.key]?.tick ?? nextTick)
        bytes += loader.byteCount
        touch(loader.key)
        while bytes > limit && oldestTick < nextTick {
            defer { oldestTick += 1 }
            guard let oldest = keysByTick.removeValue(forKey: oldestTick) else { continue }
            if let evicted = entries.removeValue(forKey: oldest) { bytes -= evicted.loader.byteCount }
        }
    }

    private mutating func touch(_ key: String) {
        guard let entry = entries[key] else { return }
        keysByTick.removeValue(forKey: entry.tick)
        entries[key]?.tick = nextTick
        keysByTick[nextTick] = key
        nextTick += 1
    }
}
