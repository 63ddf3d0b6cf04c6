/// The bounded in-memory LRU in front of every store: loaders by key, the
/// least recently used dropped first when the byte budget is exceeded.
struct LoaderMemoryCache {
    let limit: Int
    private var entries: [String: StoredLoader] = [:]
    private var recency = RecencyOrder<String>()
    private(set) var bytes = 0

    init(limit: Int) {
        self.limit = limit
    }

    var count: Int { entries.count }

    /// The loader, counted as a use.
    mutating func get(_ key: String) -> StoredLoader? {
        guard let loader = entries[key] else { return nil }
        recency.use(key)
        return loader
    }

    mutating func put(_ loader: StoredLoader) {
        guard loader.byteCount <= limit else { return }
        if let old = entries[loader.key] { bytes -= old.byteCount }
        entries[loader.key] = loader
        bytes += loader.byteCount
        recency.use(loader.key)
        while bytes > limit, let oldest = recency.removeOldest() {
            if let evicted = entries.removeValue(forKey: oldest) { bytes -= evicted.byteCount }
        }
    }
}
