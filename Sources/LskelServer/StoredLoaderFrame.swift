import Foundation
import LskelModel
import NIOCore

/// A stored loader as bytes, the same in every store (a loader file on disk,
/// a row's `frame` in PostgreSQL): one ``WorkerFrame`` of type `S` with five
/// parts, the metadata JSON, header, insns, data and manifest.
enum StoredLoaderFrame {
    static let type = UInt8(ascii: "S")

    static func encode(_ loader: StoredLoader) -> [UInt8]? {
        guard let pieces = pieces(loader) else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(pieces.reduce(0) { $0 + $1.readableBytes })
        for piece in pieces { out.append(contentsOf: piece.readableBytesView) }
        return out
    }

    /// The frame as the pieces it is written in, in order: each part's length
    /// fields, then the part itself as the loader holds it (the header, blobs and
    /// manifest are not copied to be written).
    static func pieces(_ loader: StoredLoader) -> [ByteBuffer]? {
        guard let meta = try? JSONEncoder().encode(loader.metadata) else { return nil }
        let parts = [ByteBuffer(bytes: meta), loader.headerBuffer, loader.insnsBuffer, loader.dataBuffer, loader.manifestBuffer]
        var lead = WorkerFrame.magic
        lead.append(type)
        WorkerFrame.appendLength(parts.count, to: &lead)
        var pieces: [ByteBuffer] = []
        for part in parts {
            WorkerFrame.appendLength(part.readableBytes, to: &lead)
            pieces.append(ByteBuffer(bytes: lead))
            pieces.append(part)
            lead.removeAll(keepingCapacity: true)
        }
        return pieces
    }

    /// The loader, or nil when the bytes are cut short, are not such a frame, or hold another key.
    static func decode(_ bytes: [UInt8], key: String) -> StoredLoader? {
        guard WorkerFrame.completeLength(bytes, maxBytes: bytes.count) == bytes.count,
              let frame = try? WorkerFrame.decode(bytes, maxBytes: bytes.count),
              frame.type == type, frame.parts.count == 5,
              let meta = try? JSONDecoder().decode(StoredLoader.Metadata.self, from: Data(frame.parts[0])),
              meta.key == key
        else { return nil }
        var loader = StoredLoader(key: key, name: meta.name, stem: meta.stem, header: frame.parts[1], insns: frame.parts[2],
                                  data: frame.parts[3], manifest: frame.parts[4], sandboxLevel: meta.sandboxLevel,
                                  libbpfLog: meta.libbpfLog ?? [])
        loader.refusal = meta.refusal
        return loader
    }
}
