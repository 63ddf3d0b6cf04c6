import Hummingbird

/// Counts every request by route, method and status, and tags responses
/// with the request id.
struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        let route = context.endpointPath ?? "unmatched"
        metrics.request(route: route, method: request.method.rawValue, status: Int(response.status.code))
        response.headers[.init("X-Request-Id")!] = context.id
        return response
    }
}
