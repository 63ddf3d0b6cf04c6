import Synchronization

/// Requests for the same content key while one is being generated wait for
/// that generation instead of starting their own. The generation runs in a
/// task of its own, so a leader whose client goes away does not fail the
/// requests waiting on it; its result (or its problem) is theirs too.
final class SingleFlight<Value: Sendable>: Sendable {
    private let flights = Mutex<[String: Task<Value, any Error>]>([:])

    /// The value for `key`, and whether another request's generation gave it.
    func value(for key: String, _ work: @escaping @Sendable () async throws -> Value) async throws -> (value: Value, shared: Bool) {
        let (task, shared) = flights.withLock { flights -> (Task<Value, any Error>, Bool) in
            if let running = flights[key] { return (running, true) }
            let task = Task<Value, any Error> {
                defer { self.finish(key) }
                return try await work()
            }
            flights[key] = task
            return (task, false)
        }
        return (try await task.value, shared)
    }

    /// Generations in flight.
    var count: Int { flights.withLock { $0.count } }

    private func finish(_ key: String) {
        _ = flights.withLock { $0.removeValue(forKey: key) }
    }
}
