import Foundation
import Glibc

/// A minimal blocking HTTP/1.1 keep-alive client for load generation: one
/// connection per thread, no parsing beyond the status line and
/// Content-Length, so the client is not what the benchmark measures.
final class BenchConnection {
    let host: String
    let port: UInt16
    private var fd: Int32 = -1
    private var buffer = [UInt8](repeating: 0, count: 1 << 16)
    /// The `Location` header of the last response, if it had one.
    private(set) var lastLocation: String?

    init(host: String, port: UInt16) {
        self.host = host
        self.port = port
    }

    deinit { if fd >= 0 { close(fd) } }

    private func connectIfNeeded() throws {
        guard fd < 0 else { return }
        fd = try Self.connect(host: host, port: port)
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    /// A connected TCP socket to an IPv4 address.
    static func connect(host: String, port: UInt16) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw BenchError("socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr(host)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            close(fd)
            throw BenchError("connect to \(host):\(port): \(String(cString: strerror(errno)))")
        }
        return fd
    }

    /// Sends one request and returns the status code; reconnects once if the connection was closed.
    func send(method: String, path: String, body: [UInt8], contentType: String) throws -> Int {
        for attempt in 0..<2 {
            try connectIfNeeded()
            let head = "\(method) \(path) HTTP/1.1\r\nHost: \(host)\r\nContent-Type: \(contentType)\r\nContent-Length: \(body.count)\r\n\r\n"
            // The head then the body, corked into the same segments (MSG_MORE): not one array of
            // both, whose copy of a large body per request was the client's, not the server's, cost.
            if writeAll(Array(head.utf8), more: !body.isEmpty), writeAll(body), let status = try readResponse() { return status }
            close(fd)
            fd = -1
            if attempt == 1 { throw BenchError("the server closed the connection") }
        }
        throw BenchError("unreachable")
    }

    private func writeAll(_ bytes: [UInt8], more: Bool = false) -> Bool {
        var offset = 0
        let flags = Int32(MSG_NOSIGNAL) | (more ? Int32(MSG_MORE) : 0)
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, flags) }
            if n <= 0 { return false }
            offset += n
        }
        return true
    }

    /// Reads one response; nil if the connection closed before a full one.
    private func readResponse() throws -> Int? {
        var data: [UInt8] = []
        var headerEnd: Int? = nil
        while headerEnd == nil {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { return nil }
            data.append(contentsOf: buffer[0..<n])
            if data.count >= 4 {
                for index in max(0, data.count - n - 3)..<(data.count - 3)
                where data[index] == 13 && data[index + 1] == 10 && data[index + 2] == 13 && data[index + 3] == 10 {
                    headerEnd = index + 4
                    break
                }
            }
        }
        let head = String(decoding: data[0..<(headerEnd ?? 0)], as: UTF8.self)
        let status = Int(head.split(separator: " ").dropFirst().first ?? "") ?? 0
        var length = 0
        lastLocation = nil
        for line in head.split(separator: "\r\n") {
            let lower = line.lowercased()
            if lower.hasPrefix("content-length:") {
                length = Int(line.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) ?? 0
            } else if lower.hasPrefix("location:") {
                lastLocation = line.dropFirst("location:".count).trimmingCharacters(in: .whitespaces)
            }
        }
        var have = data.count - (headerEnd ?? 0)
        while have < length {
            let n = recv(fd, &buffer, min(buffer.count, length - have), 0)
            if n <= 0 { return nil }
            have += n
        }
        return status
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
