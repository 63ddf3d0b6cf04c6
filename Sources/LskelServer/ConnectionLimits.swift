import Glibc

/// How long a connection may take over each part of a request, and how many
/// may be open at once.
public struct ConnectionLimits: Sendable {
    /// From a connection's first byte (or its opening) to the end of a request head.
    public var readHeaderSeconds: Double = 10
    /// Without progress while a request body is read.
    public var readBodySeconds: Double = 30
    /// Between requests on a kept-alive connection.
    public var idleSeconds: Double = 60
    /// Connections open at once; one more makes room by closing the oldest
    /// that is idle or still sending its head, or is closed at once.
    public var maxConnections: Int = 4096

    public init() {}

    /// Descriptors kept for everything but client connections: the worker
    /// pool's pipes and sockets, the store's files, the listening socket.
    public static let reservedDescriptors = 128

    /// `maxConnections`, lowered to what the open-file limit allows after
    /// raising its soft value to the hard one. A budget above the limit
    /// would let idle clients take every descriptor, and then no request,
    /// `/healthz` included, could be accepted.
    public func effectiveMaxConnections() -> Int {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return maxConnections }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        let available = Int(clamping: limit.rlim_cur) - Self.reservedDescriptors
        return max(1, min(maxConnections, available))
    }
}
