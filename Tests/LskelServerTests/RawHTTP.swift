import Foundation
import Glibc
import LskelTestSupport

/// HTTP/1.1 over a plain loopback socket, for what an HTTP client library
/// would not send: odd request targets, slow or abandoned requests, bodies
/// that never come.
final class RawHTTP: @unchecked Sendable {
    let fd: Int32

    init(port: Int, receiveTimeout: Double = 10) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw FixtureError("socket failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { close(fd); throw FixtureError("connect failed: \(String(cString: strerror(errno)))") }
        var timeout = timeval(tv_sec: Int(receiveTimeout), tv_usec: Int(receiveTimeout.truncatingRemainder(dividingBy: 1) * 1e6))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var sendTimeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &sendTimeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    /// Sends all of `bytes`; false once the peer has closed or stopped reading.
    @discardableResult
    func send(_ bytes: [UInt8]) -> Bool {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return false }
            sent += n
        }
        return true
    }

    @discardableResult
    func send(_ text: String) -> Bool { send(Array(text.utf8)) }

    /// Reads until `done` says the bytes so far are enough, the peer closes, or the receive timeout.
    func receive(until done: ([UInt8]) -> Bool = { _ in false }) -> (bytes: [UInt8], closed: Bool) {
        var answer: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while !done(answer) {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count == 0 { return (answer, true) }
            if count < 0 { return (answer, false) }
            answer += buffer[0..<count]
        }
        return (answer, false)
    }

    /// One whole response (head, and a body of its Content-Length unless it answers a HEAD).
    func response(toHead: Bool = false) -> Response? {
        let (bytes, _) = receive { Response.parse($0, toHead: toHead) != nil }
        return Response.parse(bytes, toHead: toHead)
    }

    /// Whether the server closes the connection within `seconds` (reading and dropping what it sends).
    func closedWithin(_ seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        var buffer = [UInt8](repeating: 0, count: 4096)
        while Date() < deadline {
            var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, Int32(max(1, deadline.timeIntervalSinceNow * 1000)))
            if ready > 0 {
                let count = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
                if count == 0 || (count < 0 && errno != EAGAIN) { return true }
            }
        }
        return false
    }

    struct Response {
        var status: Int
        var headers: [String: String]
        var body: [UInt8]

        var text: String { String(decoding: body, as: UTF8.self) }

        static func parse(_ bytes: [UInt8], toHead: Bool = false) -> Response? {
            var start = 0
            while true {
                guard let end = find([13, 10, 13, 10], in: bytes, from: start) else { return nil }
                let head = String(decoding: bytes[start..<end], as: UTF8.self).split(separator: "\r\n").map(String.init)
                guard let statusLine = head.first, statusLine.hasPrefix("HTTP/1.1 "),
                      let status = Int(statusLine.dropFirst(9).prefix(3)) else { return nil }
                var headers: [String: String] = [:]
                for line in head.dropFirst() {
                    guard let colon = line.firstIndex(of: ":") else { continue }
                    headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                }
                if status < 200 {  // an interim answer: the final one follows
                    start = end + 4
                    continue
                }
                let length = toHead ? 0 : headers["content-length"].flatMap(Int.init) ?? 0
                guard bytes.count >= end + 4 + length else { return nil }
                return Response(status: status, headers: headers, body: Array(bytes[(end + 4)..<(end + 4 + length)]))
            }
        }

        static func find(_ pattern: [UInt8], in bytes: [UInt8], from start: Int) -> Int? {
            guard bytes.count >= pattern.count else { return nil }
            var index = start
            while index + pattern.count <= bytes.count {
                if bytes[index] == pattern[0] && Array(bytes[index..<index + pattern.count]) == pattern { return index }
                index += 1
            }
            return nil
        }
    }

    /// A request with a body, as bytes.
    static func request(_ method: String, _ target: String, headers: [String: String] = [:], body: [UInt8] = []) -> [UInt8] {
        var text = "\(method) \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) { text += "\(name): \(value)\r\n" }
        if (!body.isEmpty || method == "POST") && !headers.keys.contains(where: { $0.lowercased() == "content-length" }) {
            text += "Content-Length: \(body.count)\r\n"
        }
        return Array((text + "\r\n").utf8) + body
    }

    /// Runs `body` on a thread of its own (blocking socket work off the test's executor).
    static func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
        }
    }

    /// One request on a new connection, answered.
    static func exchange(port: Int, _ request: [UInt8]) async throws -> Response {
        try await onThread {
            let connection = try RawHTTP(port: port)
            connection.send(request)
            guard let response = connection.response(toHead: request.starts(with: Array("HEAD ".utf8))) else {
                throw FixtureError("no whole response")
            }
            return response
        }
    }
}
