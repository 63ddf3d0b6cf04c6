import Foundation
import Glibc
import LskelModel

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

    /// Reads one response; nil if the connection closed before a full one. The head is
    /// found with memchr and memcmp and read as bytes, the body counted and dropped: the client's own
    /// CPU is taken from the server it measures (a byte-by-byte Swift scan of each first
    /// 64 KiB read, and Foundation's string functions on the head, were most of it).
    private func readResponse() throws -> Int? {
        var have = 0
        var headerEnd: Int? = nil
        while headerEnd == nil {
            guard have < buffer.count else { return nil }
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + have, $0.count - have, 0) }
            if n <= 0 { return nil }
            let from = max(0, have - 3)
            have += n
            headerEnd = buffer.withUnsafeBufferPointer { bytes in
                ByteSearch.firstIndex(of: Self.headEnd, in: UnsafeBufferPointer(rebasing: bytes[0..<have]), from: from).map { $0 + 4 }
            }
        }
        let end = headerEnd ?? 0
        let (status, length, location) = Self.parseHead(buffer[0..<end])
        lastLocation = location
        var body = have - end
        while body < length {
            let n = recv(fd, &buffer, min(buffer.count, length - body), 0)
            if n <= 0 { return nil }
            body += n
        }
        return status
    }

    static let headEnd: [UInt8] = Array("\r\n\r\n".utf8)

    /// Status code, Content-Length and Location of a response head.
    static func parseHead(_ head: ArraySlice<UInt8>) -> (status: Int, length: Int, location: String?) {
        var status = 0, length = 0
        var location: String? = nil
        var lines = head.split(separator: 10, omittingEmptySubsequences: true).makeIterator()
        if let first = lines.next() {
            let fields = first.split(separator: 32)
            if fields.count > 1 { status = Int(String(decoding: fields[1], as: UTF8.self)) ?? 0 }
        }
        while let raw = lines.next() {
            let line = raw.last == 13 ? raw.dropLast() : raw[...]
            guard let colon = line.firstIndex(of: 58) else { continue }
            let name = String(decoding: line[..<colon], as: UTF8.self).lowercased()
            var value = line[(colon + 1)...]
            while value.first == 32 { value = value.dropFirst() }
            if name == "content-length" {
                length = Int(String(decoding: value, as: UTF8.self)) ?? 0
            } else if name == "location" {
                location = String(decoding: value, as: UTF8.self)
            }
        }
        return (status, length, location)
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
