import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import LskelEngine
import LskelModel
import LskelPool
import LskelServer
import LskelTestSupport
import NIOCore

/// Starts the real service on a loopback port and runs `body` against it.
enum TestServer {
    static func removeDirectory(of configuration: ServerConfiguration) {
        if case .directory(let path) = configuration.store { try? FileManager.default.removeItem(atPath: path) }
    }

    static func configuration(_ adjust: (inout ServerConfiguration) -> Void = { _ in }) -> ServerConfiguration {
        var configuration = ServerConfiguration(workerPath: CLI.workerPath)
        configuration.port = 0
        configuration.store = .directory(NSTemporaryDirectory() + "lskeld-test-\(UUID().uuidString)")
        configuration.publicDirectory = Fixtures.packageRoot + "/Public"
        // The test client connects before its first request, and a loaded test run can
        // keep it from sending for longer than lskeld's 10 s header deadline; the tests of
        // the deadlines set their own.
        configuration.connections.readHeaderSeconds = 600
        configuration.connections.readBodySeconds = 600
        configuration.connections.idleSeconds = 600
        adjust(&configuration)
        return configuration
    }

    static func run<T: Sendable>(_ configuration: ServerConfiguration = configuration(), logs: LogCapture? = nil,
                                 _ body: @escaping @Sendable (any TestClientProtocol, Int) async throws -> T) async throws -> T {
        var logger = logs.map { capture in Logger(label: "lskeld-test") { _ in capture.handler() } } ?? Logger(label: "lskeld-test")
        logger.logLevel = logs == nil ? .warning : .info
        let app = try await buildApplication(configuration: configuration, logger: logger)
        defer { removeDirectory(of: configuration) }
        return try await app.test(.live) { client in
            try await body(client, client.port ?? 0)
        }
    }

    /// The routes alone, in process (`app.test(.router)`): the real engine and the real
    /// store, without the worker processes or sockets.
    static func inProcess<T: Sendable>(_ configuration: ServerConfiguration = configuration(),
                                       _ body: @escaping @Sendable (any TestClientProtocol) async throws -> T) async throws -> T {
        var logger = Logger(label: "lskeld-test")
        logger.logLevel = .warning
        let store = try await makeStore(configuration: configuration, logger: logger)
        defer { removeDirectory(of: configuration) }
        let metrics = ServerMetrics()
        let signer = configuration.signingKeys.isEmpty ? nil
            : LoaderSigner(keys: configuration.signingKeys, anonymousMaySign: configuration.bindsLoopbackOnly)
        let service = LoaderService(generator: InProcessGenerator(), store: store, metrics: metrics, signer: signer,
                                    tokensRequired: configuration.tokens != nil, keyMemoBytes: configuration.keyMemoBytes)
        let app = Application(router: buildRouter(configuration: configuration, service: service, metrics: metrics, logger: logger),
                              logger: logger)
        return try await app.test(.router) { client in try await body(client) }
    }

    /// A multipart/form-data body.
    static func multipart(files: [(field: String, fileName: String, bytes: [UInt8])], fields: [(String, String)] = [])
        -> (body: ByteBuffer, contentType: String) {
        let boundary = "lskel-test-\(UUID().uuidString)"
        var out: [UInt8] = []
        for (name, value) in fields {
            out += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8)
        }
        for file in files {
            out += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(file.field)\"; filename=\"\(file.fileName)\"\r\nContent-Type: application/octet-stream\r\n\r\n".utf8)
            out += file.bytes
            out += Array("\r\n".utf8)
        }
        out += Array("--\(boundary)--\r\n".utf8)
        return (ByteBuffer(bytes: out), "multipart/form-data; boundary=\(boundary)")
    }

    static func json(_ buffer: ByteBuffer) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView))) as? [String: Any] ?? [:]
    }

    /// What `lskel gen` writes for a fixture with the same name and profile flags.
    static func cliOutputs(_ fixture: String, flags: [String] = []) throws -> (header: Data, insns: Data, data: Data) {
        let dir = NSTemporaryDirectory() + "lskel-cli-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let result = try CLI.run(["gen", try Fixtures.object(fixture), "--out-dir", dir] + flags)
        guard result.status == 0 else { throw FixtureError("lskel gen failed: \(result.stderrText)") }
        return (try Data(contentsOf: URL(fileURLWithPath: "\(dir)/\(fixture).lskel.h")),
                try Data(contentsOf: URL(fileURLWithPath: "\(dir)/\(fixture).insns.bin")),
                try Data(contentsOf: URL(fileURLWithPath: "\(dir)/\(fixture).data.bin")))
    }
}

extension HTTPField.Name {
    static let requestID = HTTPField.Name("X-Request-Id")!
}

/// Keeps every log line of a test server, rendered with its metadata.
final class LogCapture: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []

    var all: [String] { lock.withLock { lines } }

    func append(_ line: String) { lock.withLock { lines.append(line) } }

    func handler() -> any LogHandler { Handler(capture: self) }

    struct Handler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(level: Logger.Level, message: Logger.Message, metadata explicit: Logger.Metadata?, source: String,
                 file: String, function: String, line: UInt) {
            let merged = metadata.merging(explicit ?? [:]) { $1 }
            let rendered = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            capture.append("\(level) \(message) \(rendered)")
        }
    }
}

/// The generation pipeline run in this process, as the worker runs it: for tests of the
/// routes, where the processes around it are not what is tested.
struct InProcessGenerator: LoaderGenerating {
    static let sandbox = SandboxReport(layers: [], failures: "generated in process by the test")

    func generate(_ request: WorkerRequest, object: [UInt8]) async throws -> WorkerResult {
        let start = ContinuousClock.now
        let answer: WorkerAnswer
        var insns: [UInt8] = [], data: [UInt8] = []
        do {
            let (loader, manifest) = try LoaderGenerator.generateWithManifest(object: object, objectName: request.objectName,
                                                                             name: request.name, profile: request.profile)
            insns = loader.insns
            data = loader.data
            answer = WorkerAnswer(header: loader.header, manifest: String(decoding: try ManifestJSON.encode(manifest), as: UTF8.self),
                                  libbpfLog: loader.libbpfLog.filter { $0.level != .debug }.map(\.text))
        } catch let error as GenerationError {
            answer = WorkerAnswer(error: error, libbpfLog: error.libbpfLog)
        }
        let elapsed = ContinuousClock.now - start
        return WorkerResult(answer: answer, insns: insns, data: data, sandbox: Self.sandbox,
                            elapsed: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    }

    var readiness: GeneratorReadiness? {
        GeneratorReadiness(sandbox: Self.sandbox, stats: WorkerPoolStats(), concurrency: 1, queueLimit: 0)
    }
}
