import Hummingbird
import Logging

/// Turns every error into an RFC 9457 problem response, so no request ever
/// gets a bare text error or a stack.
public struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let problem = Problem.from(error)
            if problem.status.code >= 500 {
                context.logger.error("request failed", metadata: ["error": "\(error)"])
            }
            return problem.render(instance: request.uri.path, requestID: context.id)
        }
    }
}
