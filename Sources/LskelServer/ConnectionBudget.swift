import NIOCore
import Synchronization

/// The open connections of one server, against its connection limit.
///
/// A connection over the limit makes room by closing the oldest connection
/// that is idle or still sending its request head (slow or idle clients
/// cannot lock out health checks or real requests); when every connection is
/// busy with a request, the new one is closed at once.
final class ConnectionBudget: Sendable {
    let limit: Int

    private struct Entry {
        var channel: any Channel
        var opened: UInt64
        var evictable: Bool
    }

    private struct State {
        var entries: [ObjectIdentifier: Entry] = [:]
        var sequence: UInt64 = 0
        var evicted = 0
        var refused = 0
    }

    private let state = Mutex(State())

    init(limit: Int) {
        self.limit = limit
    }

    var open: Int { state.withLock { $0.entries.count } }

    struct Counts: Sendable {
        /// Connections closed to make room.
        var evicted = 0
        /// Connections closed at once: every open one was busy.
        var refused = 0
    }

    var counts: Counts { state.withLock { Counts(evicted: $0.evicted, refused: $0.refused) } }

    /// Admits a new connection; false when it must be closed.
    func admit(_ id: ObjectIdentifier, channel: any Channel) -> Bool {
        let victim: (any Channel)?? = state.withLock { state in
            var victim: (any Channel)? = nil
            if state.entries.count >= limit {
                guard let oldest = state.entries.filter({ $0.value.evictable }).min(by: { $0.value.opened < $1.value.opened }) else {
                    state.refused += 1
                    return .none
                }
                state.entries[oldest.key] = nil
                state.evicted += 1
                victim = oldest.value.channel
            }
            state.sequence += 1
            state.entries[id] = Entry(channel: channel, opened: state.sequence, evictable: true)
            return .some(victim)
        }
        guard let victim else { return false }
        victim?.close(promise: nil)
        return true
    }

    /// Whether the connection may be closed to make room (idle, or still sending its head).
    func setEvictable(_ id: ObjectIdentifier, _ evictable: Bool) {
        state.withLock { $0.entries[id]?.evictable = evictable }
    }

    func remove(_ id: ObjectIdentifier) {
        _ = state.withLock { $0.entries.removeValue(forKey: id) }
    }
}
