import NIOCore
import Synchronization

/// The open connections of one server, against its connection limit.
///
/// A connection over the limit makes room by closing the oldest connection
/// that is idle or still sending its request head, else the oldest still
/// sending a body (slow or idle clients cannot lock out health checks or real
/// requests); when every connection is waiting for its answer, the new one
/// is closed at once.
final class ConnectionBudget: Sendable {
    let limit: Int

    /// What a connection is doing, in the order they are closed to make room.
    enum Phase: Int, Sendable {
        /// Idle, or sending a request head.
        case waiting = 0
        /// Sending a request body.
        case sendingBody = 1
        /// Waiting for the service's answer: never closed to make room.
        case answering = 2
    }

    private struct Entry {
        var channel: any Channel
        var opened: UInt64
        var phase: Phase
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
                let candidates = state.entries.filter { $0.value.phase != .answering }
                guard let oldest = candidates.min(by: { ($0.value.phase.rawValue, $0.value.opened) < ($1.value.phase.rawValue, $1.value.opened) }) else {
                    state.refused += 1
                    return .none
                }
                state.entries[oldest.key] = nil
                state.evicted += 1
                victim = oldest.value.channel
            }
            state.sequence += 1
            state.entries[id] = Entry(channel: channel, opened: state.sequence, phase: .waiting)
            return .some(victim)
        }
        guard let victim else { return false }
        victim?.close(promise: nil)
        return true
    }

    func setPhase(_ id: ObjectIdentifier, _ phase: Phase) {
        state.withLock { $0.entries[id]?.phase = phase }
    }

    func remove(_ id: ObjectIdentifier) {
        _ = state.withLock { $0.entries.removeValue(forKey: id) }
    }
}
