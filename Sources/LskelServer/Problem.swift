import Foundation
import HTTPTypes
import Hummingbird
import LskelModel
import LskelPool

/// An RFC 9457 problem: every error the service answers is one of these, as
/// `application/problem+json`.
///
/// ```json
/// {"type": "/problems/struct-ops", "title": "Object rejected", "status": 422,
///  "detail": "map 'lskel_cc' is a struct_ops map; ...", "libbpf_log": ["libbpf: ..."]}
/// ```
public struct Problem: Error, HTTPResponseError, Sendable {
    public var status: HTTPResponse.Status
    /// Short machine-readable cause; the `type` URI is `/problems/<code>`.
    public var code: String
    public var title: String
    public var detail: String
    public var libbpfLog: [String] = []
    public var retryAfterSeconds: Int?
    /// The content key of a refused object (the refusal is stored under it, so
    /// `GET /v1/loaders/{key}` answers the same problem without an upload).
    public var key: String?
    /// Answer with `Connection: close` and read no more of the request: its
    /// body is unwanted (over the limit, or not authorised).
    public var closesConnection = false

    /// A problem of the service's own (``ProblemCode`` carries its status and title).
    public init(_ code: ProblemCode, detail: String, libbpfLog: [String] = [], retryAfterSeconds: Int? = nil) {
        self.init(status: code.status, code: code.rawValue, title: code.title, detail: detail,
                  libbpfLog: libbpfLog, retryAfterSeconds: retryAfterSeconds)
    }

    init(status: HTTPResponse.Status, code: String, title: String, detail: String,
         libbpfLog: [String] = [], retryAfterSeconds: Int? = nil) {
        self.status = status
        self.code = code
        self.title = title
        self.detail = detail
        self.libbpfLog = libbpfLog
        self.retryAfterSeconds = retryAfterSeconds
    }

    struct Body: Encodable {
        var type: String
        var title: String
        var status: Int
        var detail: String
        var instance: String?
        var requestId: String?
        var libbpfLog: [String]?
        var key: String?
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        render(instance: request.uri.path, requestID: context.id)
    }

    /// The problem document.
    func json(instance: String?, requestID: String?) -> [UInt8] {
        let body = Body(type: "/problems/\(code)", title: title, status: Int(status.code), detail: detail,
                        instance: instance, requestId: requestID, libbpfLog: libbpfLog.isEmpty ? nil : libbpfLog, key: key)
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(body)).map(Array.init) ?? Array("{}".utf8)
    }

    func render(instance: String?, requestID: String?) -> Response {
        let data = json(instance: instance, requestID: requestID)
        var headers: HTTPFields = [.contentType: "application/problem+json"]
        if let retryAfterSeconds { headers[.retryAfter] = String(retryAfterSeconds) }
        if closesConnection { headers[.connection] = "close" }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    // MARK: mapping

    /// A rejected object or a malformed parameter: the code is the generator's error kind.
    public static func from(_ error: GenerationError) -> Problem {
        switch error.kind {
        case .invalidProfile, .invalidName:
            return Problem(status: .badRequest, code: error.kind.rawValue, title: ProblemCode.invalidParameter.title, detail: error.detail)
        default:
            return Problem(status: .unprocessableContent, code: error.kind.rawValue, title: ProblemCode.workerContained.title,
                           detail: error.detail, libbpfLog: error.libbpfLog)
        }
    }

    /// A refusal kept in the store: the problem its generation answered.
    public static func from(_ refusal: StoredLoader.Refusal, key: String) -> Problem {
        var problem = Problem(status: .unprocessableContent, code: refusal.kind, title: ProblemCode.workerContained.title,
                              detail: refusal.detail, libbpfLog: refusal.libbpfLog)
        problem.key = key
        return problem
    }

    public static func from(_ error: WorkerError) -> Problem {
        switch error {
        case .saturated(let seconds):
            return Problem(.saturated, detail: error.description, retryAfterSeconds: seconds)
        case .shuttingDown:
            return Problem(.shuttingDown, detail: error.description, retryAfterSeconds: 1)
        case .timedOut, .memoryLimit, .cpuLimit, .forbiddenSyscall, .crashed, .outputTooLarge:
            return Problem(.workerContained, detail: "generating this object was stopped: \(error.description)")
        case .failed, .spawnFailed, .sandboxIncomplete:
            return Problem(.workerFailed, detail: error.description)
        }
    }

    /// Any error thrown while answering.
    public static func from(_ error: any Error) -> Problem {
        switch error {
        case let problem as Problem: return problem
        case let error as GenerationError: return from(error)
        case let error as WorkerError: return from(error)
        case let error as HTTPError:
            switch error.status {
            case .contentTooLarge: return Problem(.uploadTooLarge, detail: "the upload is larger than the limit")
            case .notFound: return Problem(.notFound, detail: error.body ?? "no such resource")
            case .methodNotAllowed: return Problem(.methodNotAllowed, detail: error.body ?? "the route does not take this method")
            default:
                let title = error.status.reasonPhrase
                return Problem(status: error.status, code: title.lowercased().replacingOccurrences(of: " ", with: "-"),
                               title: title, detail: error.body ?? title)
            }
        default:
            return Problem(.internalError, detail: "\(error)")
        }
    }
}
