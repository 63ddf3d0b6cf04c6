import Foundation
import LskelModel

/// A generated loader as the service keeps it, under its content address.
public struct StoredLoader: Sendable {
    public var key: String
    /// Skeleton name.
    public var name: String
    /// File stem for downloads (`x` of `x.bpf.o`).
    public var stem: String
    public var header: [UInt8]
    public var insns: [UInt8]
    public var data: [UInt8]
    /// Manifest JSON as the worker wrote it.
    public var manifest: [UInt8]
    /// The sandbox level of the worker that generated it.
    public var sandboxLevel: String
    /// libbpf's warnings and notes while generating it.
    public var libbpfLog: [String] = []

    public var byteCount: Int { header.count + insns.count + data.count + manifest.count + 256 }

    /// The parts served at `/v1/loaders/{key}/{part}`.
    public enum Part: String, CaseIterable, Sendable {
        case header, insns, data, manifest, tar
    }

    public var metadata: Metadata { Metadata(key: key, name: name, stem: stem, sandboxLevel: sandboxLevel, libbpfLog: libbpfLog) }

    public struct Metadata: Codable, Sendable {
        var key: String
        var name: String
        var stem: String
        var sandboxLevel: String
        var libbpfLog: [String]?
    }

    /// The content address: SHA-256 over the generator version, the skeleton
    /// name, the profile (canonical JSON) and the object bytes, each length-prefixed.
    /// Whether `text` has the form of a key: 64 lowercase hex digits.
    public static func isKey(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
    }

    public static func key(object: [UInt8], name: String, profile: TargetProfile, generatorVersion: String) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let profileJSON = (try? encoder.encode(profile)).map(Array.init) ?? []
        var input: [UInt8] = []
        for field in [Array(generatorVersion.utf8), Array(name.utf8), profileJSON, object] {
            var length = UInt64(field.count).littleEndian
            withUnsafeBytes(of: &length) { input.append(contentsOf: $0) }
            input.append(contentsOf: field)
        }
        return SHA256.hex(input)
    }

    /// The tar of the four files: `x.lskel.h`, `x.insns.bin`, `x.data.bin`, `x.manifest.json`.
    public var tar: [UInt8] {
        var writer = TarWriter()
        LoaderFile.addAll(to: &writer, stem: stem, contents: contents)
        return writer.finish()
    }

    /// The bytes of one of the loader's files.
    public func contents(_ file: LoaderFile) -> [UInt8] {
        switch file {
        case .header: header
        case .insns: insns
        case .data: data
        case .manifest: manifest
        }
    }
}
