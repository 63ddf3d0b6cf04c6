import Foundation
import LskelModel

/// A stored loader as bytes, the same in every store (a loader file on disk,
/// a row's `frame` in PostgreSQL): one ``WorkerFrame`` of type `S` with five
/// parts, the metadata JSON, header, insns, data and manifest.
enum StoredLoaderFrame {
    static let type = UInt8(ascii: "S")

    static func encode(_ loader: StoredLoader) -> [UInt8]? {
        guard let meta = try? JSONEncoder().encode(loader.metadata) else { return nil }
        return WorkerFrame.encode(type: type, parts: [Array(meta), loader.header, loader.insns, loader.data, loader.manifest])
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
