import Synchronization

/// Runs an operation and gives up on it after a time, without waiting for it
/// to notice: the caller gets ``Expired`` at the deadline while the operation
/// (cancelled) finishes on its own. For a peer that may stop answering
/// without closing its connection.
enum Deadline {
    struct Expired: Error, CustomStringConvertible {
        var seconds: Double
        var description: String { "no answer within \(seconds) s" }
    }

    static func run<T: Sendable>(within duration: Duration, _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
        let outcome = Outcome<T>()
        return try await withCheckedThrowingContinuation { continuation in
            outcome.attach(continuation)
            let work = Task {
                do {
                    outcome.finish(.success(try await operation()))
                } catch {
                    outcome.finish(.failure(error))
                }
            }
            Task {
                try? await Task.sleep(for: duration)
                let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
                if outcome.finish(.failure(Expired(seconds: seconds))) { work.cancel() }
            }
        }
    }

    /// The first result wins; the continuation is resumed once.
    final class Outcome<T: Sendable>: Sendable {
        private let state = Mutex<(continuation: CheckedContinuation<T, any Error>?, early: Result<T, any Error>?, done: Bool)>((nil, nil, false))

        func attach(_ continuation: CheckedContinuation<T, any Error>) {
            let early: Result<T, any Error>? = state.withLock { state in
                if let early = state.early { return early }
                state.continuation = continuation
                return nil
            }
            if let early { continuation.resume(with: early) }
        }

        @discardableResult
        func finish(_ result: Result<T, any Error>) -> Bool {
            let continuation: CheckedContinuation<T, any Error>?? = state.withLock { state in
                guard !state.done else { return .none }
                state.done = true
                if let continuation = state.continuation { return .some(continuation) }
                state.early = result
                return .some(nil)
            }
            guard case .some(let waiting) = continuation else { return false }
            waiting?.resume(with: result)
            return true
        }
    }
}
