import Glibc
import LskelModel
import Synchronization

/// The content addresses of recent uploads, found again by comparing bytes
/// instead of hashing them.
///
/// A cached POST of a large object was bounded by SHA-256 of the upload for
/// its key (37% of the server's samples at c=8 on a 650 KB object; SHA-NI
/// hashes about 1.4 GB/s a core, `memcmp` several times that). The memo keeps
/// each recent upload as it arrived (its fragments) with its name, profile and key. A new upload's
/// fingerprint (its length and name, and samples of its bytes, hashed with the
/// process's random seed) finds candidates; a candidate answers only when
/// name, profile and every byte of the object are equal, so a key from the
/// memo is exactly the key SHA-256 would give. A crafted object that shares a
/// fingerprint costs one failed comparison and is then hashed as usual.
///
/// Bounded by the bytes of the objects it holds (least recently used out
/// first) and by ``maxCandidates`` per fingerprint; a budget of 0 turns it off.
final class UploadKeyMemo: Sendable {
    struct Entry: Sendable {
        /// The upload as it arrived (its fragments, not joined).
        let object: UploadBody
        /// The memory it holds, as counted against the budget when it came in.
        let retainedBytes: Int
        let name: String
        let profile: TargetProfile
        let key: String
        /// This entry's place in ``State/recency``.
        let slot: Slot
    }

    /// Where an entry is held: its fingerprint's list, and a number no other entry has.
    struct Slot: Hashable, Sendable {
        let fingerprint: Int
        let number: UInt64
    }

    /// An object's length and skeleton name: what a request says before its body.
    struct LengthAndName: Hashable, Sendable {
        let count: Int
        let name: String
    }

    struct State: Sendable {
        var byFingerprint: [Int: [Entry]] = [:]
        /// How many entries have each length and name.
        var lengthsAndNames: [LengthAndName: Int] = [:]
        var recency = RecencyOrder<Slot>()
        var bytes = 0
        var nextNumber: UInt64 = 0
        var hits = 0
        var misses = 0
    }

    /// The most objects of one fingerprint kept.
    static let maxCandidates = 4
    let budgetBytes: Int
    private let state = Mutex(State())

    init(budgetBytes: Int) {
        self.budgetBytes = max(0, budgetBytes)
    }

    /// Whether an object of `count` bytes under `name` may be held (a hit is possible).
    func mightHold(count: Int, name: String) -> Bool {
        guard budgetBytes > 0 else { return false }
        return state.withLock { $0.lengthsAndNames[LengthAndName(count: count, name: name)] != nil }
    }

    /// Hits and misses so far.
    var counts: (hits: Int, misses: Int) { state.withLock { ($0.hits, $0.misses) } }
    /// Objects and their bytes held now.
    var usage: (entries: Int, bytes: Int) {
        state.withLock { state in (state.byFingerprint.values.reduce(0) { $0 + $1.count }, state.bytes) }
    }

    /// The key of `object` under `name` and `profile`: remembered, or `compute()` and remembered.
    func key(object: [UInt8], name: String, profile: TargetProfile, compute: () -> String) -> String {
        key(object: UploadBody(bytes: object), name: name, profile: profile, compute: compute)
    }

    /// The key of an upload as it arrived: on a hit its fragments are compared, never joined.
    func key(object body: UploadBody, name: String, profile: TargetProfile, compute: () -> String) -> String {
        guard budgetBytes > 0, body.count <= budgetBytes else { return compute() }
        let fingerprint = Self.fingerprint(body, name: name)
        let candidates = state.withLock { $0.byFingerprint[fingerprint] ?? [] }
        // Compared outside the lock: a large object's memcmp does not hold up other requests.
        if let match = candidates.firstIndex(where: { $0.name == name && $0.profile == profile && body.equals($0.object) }) {
            let key = candidates[match].key
            state.withLock { state in
                state.hits += 1
                if let entry = state.byFingerprint[fingerprint]?.first(where: { $0.key == key }) {
                    state.recency.use(entry.slot)
                }
            }
            return key
        }
        let key = compute()
        let object = body
        state.withLock { state in
            state.misses += 1
            var list = state.byFingerprint[fingerprint] ?? []
            guard !list.contains(where: { $0.key == key }) else { return }
            if list.count >= Self.maxCandidates {
                Self.forget(list.removeFirst(), in: &state)
            }
            let slot = Slot(fingerprint: fingerprint, number: state.nextNumber)
            state.nextNumber += 1
            let entry = Entry(object: object, retainedBytes: object.retainedBytes, name: name, profile: profile, key: key,
                              slot: slot)
            list.append(entry)
            state.recency.use(slot)
            state.bytes += entry.retainedBytes
            state.lengthsAndNames[LengthAndName(count: object.count, name: name), default: 0] += 1
            state.byFingerprint[fingerprint] = list
            Self.evict(&state, budget: budgetBytes)
        }
        return key
    }

    /// Least recently used objects out until the rest fit.
    private static func evict(_ state: inout State, budget: Int) {
        while state.bytes > budget, let oldest = state.recency.removeOldest() {
            guard var list = state.byFingerprint[oldest.fingerprint],
                  let index = list.firstIndex(where: { $0.slot == oldest }) else { continue }
            forget(list.remove(at: index), in: &state)
            state.byFingerprint[oldest.fingerprint] = list.isEmpty ? nil : list
        }
    }

    /// Takes a removed entry's bytes, its length and name, and its recency out of the counts.
    private static func forget(_ entry: Entry, in state: inout State) {
        state.bytes -= entry.retainedBytes
        state.recency.remove(entry.slot)
        let lengthAndName = LengthAndName(count: entry.object.count, name: entry.name)
        if let held = state.lengthsAndNames[lengthAndName], held > 1 {
            state.lengthsAndNames[lengthAndName] = held - 1
        } else {
            state.lengthsAndNames[lengthAndName] = nil
        }
    }

    /// The length, the name and samples of the bytes: the first and last KiB
    /// and 64 windows of 16 bytes spread evenly between them (all of a small
    /// object). Not a digest: candidates are compared whole.
    static func fingerprint(_ object: [UInt8], name: String) -> Int {
        fingerprint(UploadBody(bytes: object), name: name)
    }

    static func fingerprint(_ body: UploadBody, name: String) -> Int {
        var hasher = Hasher()
        hasher.combine(body.count)
        hasher.combine(name)
        let edge = 1024, window = 16, windows = 64
        let feed = { (range: Range<Int>) in body.forEachRun(in: range) { hasher.combine(bytes: $0) } }
        if body.count <= 2 * edge + windows * window {
            feed(0..<body.count)
        } else {
            feed(0..<edge)
            feed((body.count - edge)..<body.count)
            let stride = (body.count - 2 * edge - window) / windows
            for index in 0..<windows {
                let start = edge + index * stride
                feed(start..<(start + window))
            }
        }
        return hasher.finalize()
    }
}
