import Hummingbird
import Logging

/// One log line per request: method, path without its query (a query can
/// carry a credential, such as `?access_token=`), status and duration. Never
/// a header value or a body.
struct RequestLogMiddleware<Context: RequestContext>: RouterMiddleware {
    let level: Logger.Level

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        let elapsed = ContinuousClock.now - start
        let milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        let status = Int(response.status.code)
        context.logger.log(level: status >= 500 ? .error : level, "request", metadata: [
            "method": .string(request.method.rawValue),
            "path": .string(String(CanonicalPath.path(ofTarget: request.uri.string).prefix(256))),
            "status": .stringConvertible(status),
            "ms": .string(String(format: "%.2f", milliseconds)),
        ])
        return response
    }
}
