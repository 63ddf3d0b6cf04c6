import Foundation
import Glibc

/// Idle clients against a running lskeld: connections that send nothing,
/// opened at once; how many the server still holds after its header
/// deadline, and whether it answers a request meanwhile.
struct IdleClients {
    let host: String
    let port: UInt16

    struct Result: Codable {
        var opened: Int
        var stillOpenAfterSeconds: Double
        var stillOpen: Int
        /// Status of a /healthz sent while the idle clients were connected.
        var healthStatus: Int
    }

    func run(count: Int, waitSeconds: Double) throws -> Result {
        var limit = rlimit()
        getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
        limit.rlim_cur = limit.rlim_max
        setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
        var descriptors: [Int32] = []
        defer { descriptors.forEach { _ = close($0) } }
        for _ in 0..<count {
            guard let fd = try? BenchConnection.connect(host: host, port: port) else { break }
            descriptors.append(fd)
        }
        let health = (try? BenchConnection(host: host, port: port).send(method: "GET", path: "/healthz", body: [], contentType: "text/plain")) ?? 0
        usleep(UInt32(waitSeconds * 1_000_000))
        var open = 0
        var buffer = [UInt8](repeating: 0, count: 64)
        for fd in descriptors {
            var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            if poll(&descriptor, 1, 0) == 0 { open += 1; continue }
            let n = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            if n < 0 && errno == EAGAIN { open += 1 }
        }
        return Result(opened: descriptors.count, stillOpenAfterSeconds: waitSeconds, stillOpen: open, healthStatus: health)
    }
}
