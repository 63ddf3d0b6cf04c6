import Foundation
import LskelCoding
import LskelModel
import LskelPool
import NIOCore
import Synchronization

/// A generated loader as the service keeps it, under its content address.
///
/// The files are kept as `ByteBuffer`s, so an answer hands the same storage to
/// every connection instead of copying it; the JSON form is rendered once, on
/// first use, and kept with the loader.
public struct StoredLoader: Sendable {
    public var key: String
    /// Skeleton name.
    public var name: String
    /// File stem for downloads (`x` of `x.bpf.o`).
    public var stem: String
    public let headerBuffer: ByteBuffer
    public let insnsBuffer: ByteBuffer
    public let dataBuffer: ByteBuffer
    /// Manifest JSON as the worker wrote it.
    public let manifestBuffer: ByteBuffer
    /// The sandbox level of the worker that generated it.
    public var sandboxLevel: String
    /// libbpf's warnings and notes while generating it.
    public var libbpfLog: [String] = []
    /// A signed loader's CMS signature (DER), or nil for an unsigned loader.
    public let signatureBuffer: ByteBuffer?
    /// For a signed form, the query that asks for it (`sign=NAME&sign_scheme=S`):
    /// part of its links and ETags. Signed forms are made on request, never stored.
    public var variant: String?
    /// Set when the generator refused the object: then there are no files, and
    /// every request for this key is answered with the same problem.
    public var refusal: Refusal?
    let rendered = RenderedJSON()

    /// Why the generator refused an object. It depends on nothing but what the key
    /// covers (generator, object, name, profile), so it is stored like a loader and
    /// a rebuild need not upload a refused object again. Worker limits and crashes
    /// are not refusals and are never stored.
    public struct Refusal: Codable, Sendable, Equatable {
        /// The generator's error kind (the problem's `type` is `/problems/<kind>`).
        public var kind: String
        public var detail: String
        public var libbpfLog: [String]

        public init(kind: String, detail: String, libbpfLog: [String]) {
            self.kind = kind
            self.detail = detail
            self.libbpfLog = libbpfLog
        }
    }

    /// A stored refusal: no files.
    public init(key: String, name: String, stem: String, refusal: Refusal, sandboxLevel: String) {
        self.init(key: key, name: name, stem: stem, header: [], insns: [], data: [], manifest: [], sandboxLevel: sandboxLevel)
        self.refusal = refusal
    }

    public init(key: String, name: String, stem: String, header: [UInt8], insns: [UInt8], data: [UInt8],
                manifest: [UInt8], sandboxLevel: String, libbpfLog: [String] = [], signature: [UInt8]? = nil) {
        signatureBuffer = signature.map { ByteBuffer(bytes: $0) }
        self.key = key
        self.name = name
        self.stem = stem
        headerBuffer = ByteBuffer(bytes: header)
        insnsBuffer = ByteBuffer(bytes: insns)
        dataBuffer = ByteBuffer(bytes: data)
        manifestBuffer = ByteBuffer(bytes: manifest)
        self.sandboxLevel = sandboxLevel
        self.libbpfLog = libbpfLog
    }

    /// A loader from a worker's files as they were read (no copy).
    public init(key: String, name: String, stem: String, files: WorkerResult.Files, sandboxLevel: String, libbpfLog: [String]) {
        signatureBuffer = nil
        self.key = key
        self.name = name
        self.stem = stem
        headerBuffer = files.header
        insnsBuffer = files.insns
        dataBuffer = files.data
        manifestBuffer = files.manifest
        self.sandboxLevel = sandboxLevel
        self.libbpfLog = libbpfLog
    }

    public var header: [UInt8] { Array(headerBuffer.readableBytesView) }
    public var insns: [UInt8] { Array(insnsBuffer.readableBytesView) }
    public var data: [UInt8] { Array(dataBuffer.readableBytesView) }
    public var manifest: [UInt8] { Array(manifestBuffer.readableBytesView) }

    /// What the loader costs in memory: its files and (rendered or not, so the
    /// count stays the same) the size of its JSON form.
    public var byteCount: Int {
        let files = headerBuffer.readableBytes + insnsBuffer.readableBytes + dataBuffer.readableBytes + manifestBuffer.readableBytes
        let json = headerBuffer.readableBytes + (insnsBuffer.readableBytes + dataBuffer.readableBytes) * 4 / 3
            + manifestBuffer.readableBytes + 1024
        let refused = refusal.map { $0.detail.utf8.count + $0.libbpfLog.reduce(0) { $0 + $1.utf8.count + 8 } } ?? 0
        return files + json + refused + 256
    }

    /// The JSON answer's bytes around the `cached` value (see ``LoaderJSON``), rendered on first use.
    final class RenderedJSON: Sendable {
        private let parts = Mutex<(before: ByteBuffer, after: ByteBuffer)?>(nil)

        func get(_ render: () -> (before: ByteBuffer, after: ByteBuffer)) -> (before: ByteBuffer, after: ByteBuffer) {
            if let done = parts.withLock({ $0 }) { return done }
            let made = render()
            parts.withLock { $0 = $0 ?? made }
            return made
        }

    }

    /// The parts served at `/v1/loaders/{key}/{part}` (`sig` of a signed form only).
    public enum Part: String, CaseIterable, Sendable {
        case header, insns, data, manifest, tar, sig
    }

    public var metadata: Metadata {
        Metadata(key: key, name: name, stem: stem, sandboxLevel: sandboxLevel, libbpfLog: libbpfLog, refusal: refusal)
    }

    public struct Metadata: Codable, Sendable {
        var key: String
        var name: String
        var stem: String
        var sandboxLevel: String
        var libbpfLog: [String]?
        var refusal: Refusal?
    }

    /// Whether `text` has the form of a key: 64 lowercase hex digits.
    public static func isKey(_ text: String) -> Bool {
        SHA256.isHex(text)
    }

    /// The content address (see ``LoaderKey``).
    public static func key(object: [UInt8], name: String, profile: TargetProfile, generatorVersion: String) -> String {
        LoaderKey.compute(object: object, name: name, profile: profile, generatorVersion: generatorVersion)
    }

    /// The content address of an object with SHA-256 `objectDigest` (32 bytes).
    public static func key(objectDigest: [UInt8], name: String, profile: TargetProfile, generatorVersion: String) -> String {
        LoaderKey.compute(objectDigest: objectDigest, name: name, profile: profile, generatorVersion: generatorVersion)
    }

    /// The tar of the four files: `x.lskel.h`, `x.insns.bin`, `x.data.bin`, `x.manifest.json`.
    public var tar: [UInt8] {
        var writer = TarWriter()
        LoaderFile.addAll(to: &writer, stem: stem, contents: contents)
        if let signatureBuffer {
            writer.add(name: stem + LoaderFile.signatureSuffix, bytes: Array(signatureBuffer.readableBytesView))
        }
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
