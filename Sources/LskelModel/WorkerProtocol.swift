/// The messages between the service and a single-use `lskel-worker`.
///
/// Every message is a frame: the magic `LSK1`, a type byte, a part count
/// (u32 little-endian), then each part as a u32 little-endian length and its
/// bytes. The first part is JSON; later parts are binary.
///
/// 1. worker → service, `R` (ready): ``WorkerReady`` once the sandbox is in force;
/// 2. service → worker, `Q` (request): ``WorkerRequest`` JSON, then the object bytes;
///    or `M` (request in memory): ``WorkerRequest`` JSON, then the object's length
///    (u64 little-endian), the object being the whole of the sealed memory file
///    on the job's descriptor 3;
/// 3. worker → service, `A` (answer): ``WorkerAnswer`` JSON, then insns, data,
///    the header text and the manifest JSON as raw parts (kept out of the JSON
///    so 100 KiB of text is not escaped and unescaped on every job).
public enum WorkerFrame {
    public static let magic: [UInt8] = Array("LSK1".utf8)
    public static let ready: UInt8 = UInt8(ascii: "R")
    public static let request: UInt8 = UInt8(ascii: "Q")
    public static let requestInMemory: UInt8 = UInt8(ascii: "M")
    public static let answer: UInt8 = UInt8(ascii: "A")
    /// No frame has more parts than this.
    public static let maxParts = 8

    public static func encode(type: UInt8, parts: [[UInt8]]) -> [UInt8] {
        var out = magic
        out.append(type)
        append(UInt32(parts.count), to: &out)
        for part in parts {
            append(UInt32(part.count), to: &out)
            out.append(contentsOf: part)
        }
        return out
    }

    /// The bytes of ``encode(type:parts:)`` for `parts + [last]` that come before
    /// `last`'s own bytes, given its length: a large last part (the object) is then
    /// written after them as it is, never copied into a joined frame.
    public static func head(type: UInt8, parts: [[UInt8]], lastPartLength: Int) -> [UInt8] {
        var out = magic
        out.append(type)
        append(UInt32(parts.count + 1), to: &out)
        for part in parts {
            append(UInt32(part.count), to: &out)
            out.append(contentsOf: part)
        }
        append(UInt32(lastPartLength), to: &out)
        return out
    }

    /// What the start of a byte buffer holds: one parse, for both readers below.
    enum Scan {
        case complete(type: UInt8, parts: [Range<Int>], length: Int)
        /// More bytes are needed: at least `needed` in all.
        case incomplete(needed: Int)
        /// Every length is in; the frame is `total` bytes long.
        case partial(total: Int)
        case invalid(WorkerFrameError)
    }

    static func scan(_ buffer: UnsafeBufferPointer<UInt8>, maxBytes: Int) -> Scan {
        for index in 0..<min(buffer.count, magic.count) where buffer[index] != magic[index] { return .invalid(.badMagic) }
        var offset = magic.count + 1
        func u32() -> Int? {
            guard offset + 4 <= buffer.count else { return nil }
            let value = UInt32(buffer[offset]) | UInt32(buffer[offset + 1]) << 8
                | UInt32(buffer[offset + 2]) << 16 | UInt32(buffer[offset + 3]) << 24
            offset += 4
            return Int(value)
        }
        guard let count = u32() else { return .incomplete(needed: offset + 4) }
        guard count <= maxParts else { return .invalid(.tooManyParts(count)) }
        var parts: [Range<Int>] = []
        for _ in 0..<count {
            guard let length = u32() else { return .incomplete(needed: offset + 4) }
            guard offset + length <= maxBytes else { return .invalid(.truncated(needed: offset + length, available: buffer.count)) }
            parts.append(offset ..< offset + length)
            offset += length
        }
        guard offset <= buffer.count else { return .partial(total: offset) }
        return .complete(type: buffer[magic.count], parts: parts, length: offset)
    }

    /// Decodes one frame from the start of `bytes`; returns its type, parts and length.
    public static func decode(_ bytes: [UInt8], maxBytes: Int) throws -> (type: UInt8, parts: [[UInt8]], length: Int) {
        switch bytes.withUnsafeBufferPointer({ scan($0, maxBytes: maxBytes) }) {
        case .complete(let type, let parts, let length):
            return (type, parts.map { Array(bytes[$0]) }, length)
        case .incomplete(let needed), .partial(let needed):
            throw WorkerFrameError.truncated(needed: needed, available: bytes.count)
        case .invalid(let error):
            throw error
        }
    }

    /// Whether `bytes` start with a whole frame, without copying its parts:
    /// its length when complete, 0 while more bytes are needed, -1 when the
    /// bytes cannot start a frame (bad magic, too many parts, over `maxBytes`).
    /// A whole frame's type and the ranges of its parts in `bytes` (no part is copied).
    public static func partRanges(_ bytes: [UInt8], maxBytes: Int) throws -> (type: UInt8, parts: [Range<Int>]) {
        try bytes.withUnsafeBufferPointer { try partRanges($0, maxBytes: maxBytes) }
    }

    /// ``partRanges(_:maxBytes:)`` of bytes held elsewhere (a buffer the answer was read into).
    public static func partRanges(_ buffer: UnsafeBufferPointer<UInt8>, maxBytes: Int) throws -> (type: UInt8, parts: [Range<Int>]) {
        switch scan(buffer, maxBytes: maxBytes) {
        case .complete(let type, let parts, _): return (type, parts)
        case .incomplete(let needed), .partial(let needed): throw WorkerFrameError.truncated(needed: needed, available: buffer.count)
        case .invalid(let error): throw error
        }
    }

    /// The whole frame's length once every part length has arrived (the parts
    /// themselves may still be missing); nil before that or for a frame that is
    /// not one.
    public static func totalLength(_ buffer: UnsafeBufferPointer<UInt8>, maxBytes: Int) -> Int? {
        switch scan(buffer, maxBytes: maxBytes) {
        case .complete(_, _, let length): length
        case .partial(let total): total
        case .incomplete, .invalid: nil
        }
    }

    /// `value` as the 8 bytes of an `M` frame's length part.
    public static func appendLength64(_ value: Int, to out: inout [UInt8]) {
        let bits = UInt64(clamping: value)
        for shift in stride(from: 0, to: 64, by: 8) { out.append(UInt8(truncatingIfNeeded: bits >> UInt64(shift))) }
    }

    /// The length an `M` frame's length part holds: nil unless it is 8 bytes
    /// and at most `limit`.
    public static func length64(_ part: UnsafeBufferPointer<UInt8>, limit: Int) -> Int? {
        guard part.count == 8 else { return nil }
        var bits: UInt64 = 0
        for index in (0..<8).reversed() { bits = bits << 8 | UInt64(part[index]) }
        return bits <= UInt64(max(limit, 0)) ? Int(bits) : nil
    }

    public static func appendLength(_ value: Int, to out: inout [UInt8]) {
        append(UInt32(truncatingIfNeeded: value), to: &out)
    }

    public static func completeLength(_ bytes: [UInt8], maxBytes: Int) -> Int {
        bytes.withUnsafeBufferPointer { completeLength($0, maxBytes: maxBytes) }
    }

    public static func completeLength(_ buffer: UnsafeBufferPointer<UInt8>, maxBytes: Int) -> Int {
        switch scan(buffer, maxBytes: maxBytes) {
        case .complete(_, _, let length): length
        case .incomplete, .partial: 0
        case .invalid: -1
        }
    }

    static func append(_ value: UInt32, to out: inout [UInt8]) {
        out.append(UInt8(value & 0xff))
        out.append(UInt8((value >> 8) & 0xff))
        out.append(UInt8((value >> 16) & 0xff))
        out.append(UInt8(value >> 24))
    }
}

public enum WorkerFrameError: Error, Sendable, Equatable, CustomStringConvertible {
    case truncated(needed: Int, available: Int)
    case badMagic
    case tooManyParts(Int)
    case unexpected(String)

    public var description: String {
        switch self {
        case .truncated(let needed, let available): "frame truncated: needed \(needed) bytes, have \(available)"
        case .badMagic: "frame does not start with LSK1"
        case .tooManyParts(let count): "frame has \(count) parts"
        case .unexpected(let what): what
        }
    }
}

/// The isolation a worker put in place before reading its request.
public struct SandboxReport: Sendable, Hashable, Codable {
    /// The sandbox layers by name, in the order of their bits in `enum lskel_sandbox_layer`
    /// (lskel_sandbox.h): layer `i` is bit `1 << i` (a test holds the two together).
    public static let allLayers = [
        "unprivileged", "user_namespace", "mount_namespace", "network_namespace", "ipc_namespace",
        "uts_namespace", "pid_namespace", "empty_root", "no_capabilities", "no_new_privs", "seccomp", "rlimits",
    ]

    /// The names of the layers set in `bits`.
    public static func layers(inBits bits: UInt32) -> [String] {
        allLayers.enumerated().filter { bits & (1 << UInt32($0.offset)) != 0 }.map(\.element)
    }

    /// The bits of the named layers (unknown names are ignored).
    public static func bits(ofLayers names: [String]) -> UInt32 {
        allLayers.enumerated().filter { names.contains($0.element) }.reduce(UInt32(0)) { $0 | 1 << UInt32($1.offset) }
    }

    /// Layers in force, by name (``allLayers``).
    public var layers: [String]
    /// Why any missing layer is missing.
    public var failures: String

    public init(layers: [String], failures: String) {
        self.layers = layers
        self.failures = failures
    }

    public var missing: [String] { Self.allLayers.filter { !layers.contains($0) } }
    /// "full" when every layer is in force, "partial" otherwise.
    public var level: String { missing.isEmpty ? "full" : "partial" }
}

public struct WorkerReady: Sendable, Hashable, Codable {
    public var sandbox: SandboxReport

    public init(sandbox: SandboxReport) {
        self.sandbox = sandbox
    }
}

public struct WorkerRequest: Sendable, Hashable, Codable {
    /// Skeleton name.
    public var name: String
    /// The object's file name, for the manifest.
    public var objectName: String
    public var profile: TargetProfile
    /// Test-only: a hostile action instead of generation, honoured only by a
    /// worker started with `--allow-test-hostile`.
    public var hostileAction: String?
    /// The object's SHA-256 (64 lowercase hex digits) when the service hashed it
    /// for its key: the manifest's `object.sha256`. Absent, the worker hashes it.
    public var objectSha256: String?
    /// Whether the job, once its whole answer is written, exits at nice 19. Its
    /// exit is then the last of the machine's work: unmapping its memory (about
    /// 0.6 ms of CPU for a small object's job) waits behind the service's answer
    /// and the next job instead of sharing the cores with them.
    public var lateExit: Bool?

    public init(name: String, objectName: String, profile: TargetProfile, hostileAction: String? = nil,
                objectSha256: String? = nil, lateExit: Bool? = nil) {
        self.name = name
        self.objectName = objectName
        self.profile = profile
        self.hostileAction = hostileAction
        self.objectSha256 = objectSha256
        self.lateExit = lateExit
    }

    /// ``objectSha256`` when it has the form of a SHA-256 in hex.
    public var wellFormedObjectSha256: String? {
        objectSha256.flatMap { SHA256.isHex($0) ? $0 : nil }
    }
}

public struct WorkerAnswer: Sendable, Hashable, Codable {
    public var error: GenerationError?
    /// The `.lskel.h` text (carried as a raw frame part).
    public var header: String?
    /// The manifest as JSON text (``Manifest`` encoded with snake_case keys; a raw frame part).
    public var manifest: String?
    /// libbpf's messages (warnings and info; debug lines are left out).
    public var libbpfLog: [String]
    /// What a hostile test action observed.
    public var hostileOutcome: String?

    public init(error: GenerationError? = nil, header: String? = nil, manifest: String? = nil,
                libbpfLog: [String] = [], hostileOutcome: String? = nil) {
        self.error = error
        self.header = header
        self.manifest = manifest
        self.libbpfLog = libbpfLog
        self.hostileOutcome = hostileOutcome
    }

    /// The JSON holds the small fields; `header` and `manifest` travel as frame parts.
    enum CodingKeys: String, CodingKey {
        case error, libbpfLog, hostileOutcome, hasLoader
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        error = try container.decodeIfPresent(GenerationError.self, forKey: .error)
        libbpfLog = try container.decodeIfPresent([String].self, forKey: .libbpfLog) ?? []
        hostileOutcome = try container.decodeIfPresent(String.self, forKey: .hostileOutcome)
        if try container.decodeIfPresent(Bool.self, forKey: .hasLoader) == true {
            header = ""
            manifest = ""
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(error, forKey: .error)
        try container.encode(libbpfLog, forKey: .libbpfLog)
        try container.encodeIfPresent(hostileOutcome, forKey: .hostileOutcome)
        try container.encode(header != nil && manifest != nil, forKey: .hasLoader)
    }

    /// The answer frame: JSON, insns, data, header, manifest.
    public func frame(insns: [UInt8], data: [UInt8], json: [UInt8]) -> [UInt8] {
        WorkerFrame.encode(type: WorkerFrame.answer,
                           parts: [json, insns, data, Array((header ?? "").utf8), Array((manifest ?? "").utf8)])
    }
}
