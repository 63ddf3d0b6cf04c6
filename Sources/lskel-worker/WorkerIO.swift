import CLskelSystem
import Glibc
import BPFObject
import LskelEngine

/// The worker's own I/O: whole writes, the request read under its limit, progress
/// lines and exits (statuses from ``WorkerExit``).

/// Ends the worker with `status`. Everything it says goes out by write(2) as it
/// is said, so nothing is left to flush: `_exit`, not `exit`, which ran
/// libcrypto's, the dynamic linker's and the runtime's exit handlers in every
/// job (a small object's job: a twentieth of its CPU, freeing tables the
/// process was about to drop).
func finish(_ status: WorkerExit) -> Never {
    _exit(status.rawValue)
}

/// Makes this process as nice as it gets (19, all the job filter allows).
func lowerPriority() {
    _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 19)
}

func writeAll(_ fd: Int32, _ bytes: [UInt8]) {
    var offset = 0
    while offset < bytes.count {
        let written = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        if written < 0 {
            if errno == EINTR { continue }
            finish(.writeFailed)
        }
        offset += written
    }
}

func phase(_ text: String) { writeAll(2, Array("phase: \(text)\n".utf8)) }

func fail(_ message: String, status: WorkerExit) -> Never {
    writeAll(2, Array("lskel-worker: \(message)\n".utf8))
    finish(status)
}

/// Reads stdin to its end, up to `limit` bytes. Once the frame's lengths are
/// in, the rest is read in place into a buffer of the frame's size, so a large
/// object is neither grown chunk by chunk nor copied again.
/// A large request lands in memory it allocates and hands over, for the
/// reader and libbpf to read in place.
func readRequest(limit: Int) -> ObjectBytes {
    var head: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    var total: Int? = nil
    while total == nil {
        let count = readSome(into: &chunk)
        if count == 0 { return ObjectBytes(head) }
        guard head.count + count <= limit else { fail("the request is larger than \(limit) bytes", status: .requestTooLarge) }
        head.append(contentsOf: chunk[0..<count])
        total = head.withUnsafeBufferPointer { WorkerFrame.totalLength($0, maxBytes: limit) }
        if total == nil && head.count >= 64 << 10 { break }  // not a frame: read on as before
    }
    guard let total, total > head.count else {
        // Whole (or not a frame): read any rest as it comes.
        while true {
            let count = readSome(into: &chunk)
            if count == 0 { return ObjectBytes(head) }
            guard head.count + count <= limit else { fail("the request is larger than \(limit) bytes", status: .requestTooLarge) }
            head.append(contentsOf: chunk[0..<count])
        }
    }
    let memory = UnsafeMutableRawBufferPointer.allocate(byteCount: total, alignment: 16)
    guard let base = memory.baseAddress else { fail("cannot allocate \(total) bytes", status: .readFailed) }
    head.withUnsafeBytes { memory.copyMemory(from: $0) }
    var initialized = head.count
    while initialized < total {
        let count = read(0, base + initialized, total - initialized)
        if count < 0 {
            if errno == EINTR { continue }
            fail("reading the request failed: errno \(errno)", status: .readFailed)
        }
        if count == 0 { break }
        initialized += count
    }
    let bytes = ObjectBytes(adopting: memory, range: 0..<initialized)
    // Anything after the frame is read and left, within the limit, as before.
    var extra = bytes.count
    while true {
        let count = readSome(into: &chunk)
        if count == 0 { return bytes }
        extra += count
        guard extra <= limit else { fail("the request is larger than \(limit) bytes", status: .requestTooLarge) }
    }
}

/// The object of an `M` request: descriptor 3, a memory file the service wrote
/// the object into and sealed, mapped read-only. Its length must be the frame's
/// and its seals must forbid any change, so the bytes read are the bytes sent.
func mapRequestMemory(length: Int?) -> ObjectBytes {
    guard let length else { fail("malformed request frame: the object's length is not 8 bytes within the limit", status: .badRequest) }
    var status = stat()
    guard fstat(requestMemoryFD, &status) == 0, status.st_mode & S_IFMT == S_IFREG, Int(status.st_size) == length else {
        fail("the request's memory file is missing or not \(length) bytes long", status: .badRequest)
    }
    guard lskel_request_memory_is_sealed(requestMemoryFD) == 1 else {
        fail("the request's memory file is not sealed against change", status: .badRequest)
    }
    guard let bytes = ObjectBytes.mapping(descriptor: requestMemoryFD, size: length) else {
        fail("cannot map the request's memory file: errno \(errno)", status: .readFailed)
    }
    return bytes
}

/// Where a fork server's job finds its request's memory file.
let requestMemoryFD: Int32 = 3

private func readSome(into chunk: inout [UInt8]) -> Int {
    while true {
        let count = chunk.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
        if count >= 0 { return count }
        if errno != EINTR { fail("reading the request failed: errno \(errno)", status: .readFailed) }
    }
}

/// Writes one frame with one writev where the pipe takes it (the service gives
/// it 1 MiB): the parts where they lie, not joined into one buffer, and one
/// wake-up of the service's reader instead of two per part.
func writeFrame(_ fd: Int32, type: UInt8, parts: [UnsafeRawBufferPointer]) {
    // The frame's own bytes, in one buffer: magic, type, count and the first
    // part's length, then each later part's length (4 bytes each).
    var meta = WorkerFrame.magic
    meta.append(type)
    WorkerFrame.appendLength(parts.count, to: &meta)
    let headLength = meta.count + (parts.isEmpty ? 0 : 4)
    for part in parts { WorkerFrame.appendLength(part.count, to: &meta) }
    meta.withUnsafeBytes { meta in
        var pieces = [UnsafeRawBufferPointer(rebasing: meta[0..<headLength])]
        for (index, part) in parts.enumerated() {
            if index > 0 {
                let at = headLength + 4 * (index - 1)
                pieces.append(UnsafeRawBufferPointer(rebasing: meta[at..<(at + 4)]))
            }
            pieces.append(part)
        }
        writeAllVectored(fd, pieces)
    }
}

/// Writes every piece in order with writev, resuming where a short write stopped.
func writeAllVectored(_ fd: Int32, _ pieces: [UnsafeRawBufferPointer]) {
    var vectors = pieces.compactMap { piece in
        piece.isEmpty ? nil : iovec(iov_base: UnsafeMutableRawPointer(mutating: piece.baseAddress), iov_len: piece.count)
    }
    var first = 0
    while first < vectors.count {
        let count = vectors[first...].withUnsafeBufferPointer { writev(fd, $0.baseAddress, Int32(min($0.count, 1024))) }
        if count < 0 {
            if errno == EINTR { continue }
            finish(.writeFailed)
        }
        var written = count
        while first < vectors.count && written >= vectors[first].iov_len {
            written -= vectors[first].iov_len
            first += 1
        }
        if written > 0 {
            vectors[first].iov_base = vectors[first].iov_base.map { $0 + written }
            vectors[first].iov_len -= written
        }
    }
}

func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) {
    var offset = 0
    while offset < bytes.count {
        let written = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
        if written < 0 {
            if errno == EINTR { continue }
            finish(.writeFailed)
        }
        offset += written
    }
}
