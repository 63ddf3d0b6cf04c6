import Hummingbird

/// Refuses request targets whose path is not in its one canonical spelling
/// (see ``CanonicalPath``), before the router sees them.
struct CanonicalPathMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let refusal = CanonicalPath.refusal(CanonicalPath.path(ofTarget: request.uri.string)) {
            var problem = Problem(.nonCanonicalPath, detail: "\(refusal); send the path in its canonical form, such as /v1/loaders")
            problem.closesConnection = request.hasBody
            return problem.render(instance: nil, requestID: context.id)
        }
        return try await next(request, context)
    }
}

extension Request {
    /// Whether the request carries a body the service may not read.
    var hasBody: Bool {
        if let length = headers[.contentLength].flatMap(Int.init) { return length > 0 }
        return headers[.transferEncoding] != nil
    }
}
