import Foundation
import HTTPTypes
import Hummingbird
import Synchronization

/// Requires a bearer token from the tokens file and limits each token's
/// request rate. It is the middleware of the `/v1` route group, so it guards
/// every API route whatever the spelling of the path that reached it; the web
/// form, health, readiness and metrics are outside the group and stay open.
/// Tokens are never logged or echoed.
struct TokenMiddleware<Context: RequestContext>: RouterMiddleware {
    let tokens: AccessTokens
    let buckets: RateBuckets

    init(tokens: AccessTokens) {
        self.tokens = tokens
        self.buckets = RateBuckets()
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let instance = request.uri.path
        switch tokens.decide(authorization: request.headers[.authorization]) {
        case .missing:
            var problem = Problem(.tokenRequired, detail: "this service requires a bearer token: send 'Authorization: Bearer <token>'")
            problem.closesConnection = request.hasBody
            var response = problem.render(instance: instance, requestID: context.id)
            response.headers[.wwwAuthenticate] = "Bearer realm=\"lskeld\""
            return response
        case .rejected:
            var problem = Problem(.tokenRejected, detail: "the bearer token is not one this service accepts")
            problem.closesConnection = request.hasBody
            return problem.render(instance: instance, requestID: context.id)
        case .admitted(let entry):
            if let wait = buckets.take(entry) {
                return Problem(.rateLimited, detail: "token '\(entry.name)' is limited to \(entry.rate) requests per \(Int(entry.period)) s",
                               retryAfterSeconds: max(1, Int(wait.rounded(.up)))).render(instance: instance, requestID: context.id)
            }
            var context = context
            context.logger[metadataKey: "token"] = .string(entry.name)
            return try await RequestToken.$current.withValue(entry) { try await next(request, context) }
        }
    }
}

/// The token the request in this task was admitted with (nil without `--tokens`).
enum RequestToken {
    @TaskLocal static var current: AccessTokens.Entry?
}

/// Token buckets by token name: `rate` requests of burst, refilled at `rate` per `period`.
final class RateBuckets: Sendable {
    private struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    private let buckets = Mutex<[String: Bucket]>([:])

    /// nil when the request may go ahead; else the seconds until it could.
    func take(_ entry: AccessTokens.Entry) -> Double? {
        let now = ContinuousClock.now
        return buckets.withLock { buckets in
            var bucket = buckets[entry.name] ?? Bucket(tokens: Double(entry.rate), updated: now)
            let elapsed = now - bucket.updated
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            let perSecond = Double(entry.rate) / entry.period
            bucket.tokens = min(Double(entry.rate), bucket.tokens + seconds * perSecond)
            bucket.updated = now
            defer { buckets[entry.name] = bucket }
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                return nil
            }
            return (1 - bucket.tokens) / perSecond
        }
    }
}
