import Synchronization

/// A value behind a mutex.
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    init(_ value: Value) {
        mutex = Mutex(value)
    }

    /// Replaces the value and returns the old one.
    func exchange(_ value: Value) -> Value {
        mutex.withLock { current in
            let old = current
            current = value
            return old
        }
    }
}
