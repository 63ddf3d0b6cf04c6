import Glibc
import LskelEngine

/// The worker's own I/O: whole writes, the request read under its limit, progress
/// lines and failure exits (statuses from ``WorkerExit``).
func writeAll(_ fd: Int32, _ bytes: [UInt8]) {
    var offset = 0
    while offset < bytes.count {
        let written = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        if written < 0 {
            if errno == EINTR { continue }
            exit(WorkerExit.writeFailed.rawValue)
        }
        offset += written
    }
}

func phase(_ text: String) { writeAll(2, Array("phase: \(text)\n".utf8)) }

func fail(_ message: String, status: WorkerExit) -> Never {
    writeAll(2, Array("lskel-worker: \(message)\n".utf8))
    exit(status.rawValue)
}

/// Reads stdin to its end, up to `limit` bytes.
func readRequest(limit: Int) -> [UInt8] {
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let count = chunk.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
        if count < 0 {
            if errno == EINTR { continue }
            fail("reading the request failed: errno \(errno)", status: .readFailed)
        }
        if count == 0 { return bytes }
        guard bytes.count + count <= limit else { fail("the request is larger than \(limit) bytes", status: .requestTooLarge) }
        bytes.append(contentsOf: chunk[0..<count])
    }
}
