import LskelModel
import NIOCore

/// The JSON form of a loader (`GET /v1/loaders/{key}`, `POST /v1/loaders`),
/// written straight into bytes: the manifest spliced in first, then the other
/// members in key order, as ``ResponseJSON`` writes objects. It is the same for
/// every answer but for `cached`, so it is rendered once per loader as the bytes
/// before and after that value.
enum LoaderJSON {
    static func render(_ loader: StoredLoader) -> (before: ByteBuffer, after: ByteBuffer) {
        var before: [UInt8] = []
        before.reserveCapacity(loader.manifestBuffer.readableBytes + 32)
        before += Array(#"{"manifest":"#.utf8)
        before += loader.manifestBuffer.readableBytesView
        before += Array(#","cached":"#.utf8)

        let header = loader.headerBuffer.readableBytes
        var after: [UInt8] = []
        after.reserveCapacity(header + header / 8 + (loader.insnsBuffer.readableBytes + loader.dataBuffer.readableBytes) * 4 / 3 + 1024)
        after += Array(#","data":""#.utf8)
        Base64.append(loader.dataBuffer, to: &after)
        after += Array(#"","header":"#.utf8)
        loader.headerBuffer.withUnsafeReadableBytes { PrettyJSONEncoder.writeString(bytes: $0.assumingMemoryBound(to: UInt8.self), to: &after) }
        after += Array(#","insns":""#.utf8)
        Base64.append(loader.insnsBuffer, to: &after)
        after += Array(#"","key":"#.utf8)
        string(loader.key, to: &after)
        after += Array(#","libbpf_log":["#.utf8)
        for (index, line) in loader.libbpfLog.enumerated() {
            if index > 0 { after.append(UInt8(ascii: ",")) }
            string(line, to: &after)
        }
        after += Array(#"],"links":{"#.utf8)
        for (index, link) in LoaderResponses.links(loader).sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }).enumerated() {
            if index > 0 { after.append(UInt8(ascii: ",")) }
            string(link.key, to: &after)
            after.append(UInt8(ascii: ":"))
            string(link.value, to: &after)
        }
        after += Array(#"},"name":"#.utf8)
        string(loader.name, to: &after)
        after += Array(#","sandbox_level":"#.utf8)
        string(loader.sandboxLevel, to: &after)
        if let signature = loader.signatureBuffer {
            after += Array(#","signature":""#.utf8)
            Base64.append(signature, to: &after)
            after.append(UInt8(ascii: "\""))
        }
        after.append(UInt8(ascii: "}"))
        return (ByteBuffer(bytes: before), ByteBuffer(bytes: after))
    }

    static func string(_ text: String, to out: inout [UInt8]) {
        PrettyJSONEncoder.writeString(text, to: &out)
    }
}

/// Base64 (RFC 4648, with padding, no line breaks).
enum Base64 {
    private static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func append(_ buffer: ByteBuffer, to out: inout [UInt8]) {
        buffer.withUnsafeReadableBytes { append($0, to: &out) }
    }

    static func append(_ bytes: UnsafeRawBufferPointer, to out: inout [UInt8]) {
        let count = bytes.count
        let start = out.count
        let encoded = (count + 2) / 3 * 4
        out.append(contentsOf: repeatElement(0, count: encoded))
        alphabet.withUnsafeBufferPointer { table in
            out.withUnsafeMutableBufferPointer { output in
                var write = start
                var read = 0
                while read + 3 <= count {
                    let value = UInt32(bytes[read]) << 16 | UInt32(bytes[read + 1]) << 8 | UInt32(bytes[read + 2])
                    output[write] = table[Int(value >> 18)]
                    output[write + 1] = table[Int(value >> 12 & 0x3f)]
                    output[write + 2] = table[Int(value >> 6 & 0x3f)]
                    output[write + 3] = table[Int(value & 0x3f)]
                    read += 3
                    write += 4
                }
                let rest = count - read
                if rest > 0 {
                    let value = UInt32(bytes[read]) << 16 | (rest == 2 ? UInt32(bytes[read + 1]) << 8 : 0)
                    output[write] = table[Int(value >> 18)]
                    output[write + 1] = table[Int(value >> 12 & 0x3f)]
                    output[write + 2] = rest == 2 ? table[Int(value >> 6 & 0x3f)] : UInt8(ascii: "=")
                    output[write + 3] = UInt8(ascii: "=")
                }
            }
        }
    }
}
