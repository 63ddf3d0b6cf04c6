/// Keys in the order of their last use, for the caches' least-recently-used
/// eviction: a use, a removal and taking out the least recently used key are
/// O(1) (amortized), however many keys there are.
///
/// Each use gives the key the next tick; the least recently used key is the
/// one holding the smallest tick still live. Ticks left behind by later uses
/// and removals are passed over once, as the oldest moves up.
///
/// ```swift
/// var recency = RecencyOrder<String>()
/// recency.use("a"); recency.use("b"); recency.use("a")
/// recency.removeOldest()  // "b"
/// ```
struct RecencyOrder<Key: Hashable & Sendable>: Sendable {
    private var tickByKey: [Key: UInt64] = [:]
    private var keyByTick: [UInt64: Key] = [:]
    private var nextTick: UInt64 = 0
    private var oldestTick: UInt64 = 0

    var count: Int { tickByKey.count }

    /// Makes `key` the most recently used, adding it if it is not held.
    mutating func use(_ key: Key) {
        if let tick = tickByKey[key] { keyByTick[tick] = nil }
        tickByKey[key] = nextTick
        keyByTick[nextTick] = key
        nextTick += 1
    }

    mutating func remove(_ key: Key) {
        guard let tick = tickByKey.removeValue(forKey: key) else { return }
        keyByTick[tick] = nil
    }

    /// The least recently used key, taken out; nil when none is held.
    mutating func removeOldest() -> Key? {
        while oldestTick < nextTick {
            let tick = oldestTick
            oldestTick += 1
            if let key = keyByTick.removeValue(forKey: tick) {
                tickByKey[key] = nil
                return key
            }
        }
        return nil
    }
}
