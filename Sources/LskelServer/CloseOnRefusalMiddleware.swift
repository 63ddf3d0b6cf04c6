import Hummingbird

/// A refusal (status 400 and up) of a request that carries a body says
/// `Connection: close`: the service will not read the rest of a body it
/// refused. ``ConnectionGuard`` keeps the connection open when the whole
/// request had already arrived.
struct CloseOnRefusalMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        if response.status.code >= 400 && request.hasBody {
            response.headers[.connection] = "close"
        }
        return response
    }
}
