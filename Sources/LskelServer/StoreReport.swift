/// What `/readyz` says of the store: where it is, whether it answers, and how
/// full it is. A store that does not answer leaves the service ready: loaders
/// are then generated for every request, and this says so.
public struct StoreReport: Sendable, Encodable, Equatable {
    public enum State: String, Sendable, Encodable {
        /// The store answers.
        case available
        /// Not reached yet since start.
        case connecting
        /// It stopped answering: every request is generated until it is back.
        case unavailable
    }

    public var kind: String
    /// The directory or the database URL without its password.
    public var location: String
    public var state: State
    /// Why it is not available, or empty.
    public var reason: String
    public var budgetBytes: Int
    public var memory: Usage
    /// What the store holds (for a database, as of its last refresh, every 5 s).
    public var stored: Usage?
    /// Operations that failed or got no answer in time since start.
    public var failures: Int

    public struct Usage: Sendable, Encodable, Equatable {
        public var entries: Int
        public var bytes: Int
    }
}
