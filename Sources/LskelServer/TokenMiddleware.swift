import Foundation
import HTTPTypes
import Hummingbird
import Synchronization

/// Requires a bearer token from the tokens file on the API (`/v1/...`) and
/// limits each token's request rate. The web form, health, readiness and
/// metrics stay open. Tokens are never logged or echoed.
struct TokenMiddleware<Context: RequestContext>: RouterMiddleware {
    let tokens: AccessTokens
    let buckets: RateBuckets

    init(tokens: AccessTokens) {
        self.tokens = tokens
        self.buckets = RateBuckets()
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.uri.path.hasPrefix("/v1/") else { return try await next(request, context) }
        guard let header = request.headers[.authorization], header.lowercased().hasPrefix("bearer ") else {
            var problem = Problem(.unauthorized, code: "token-required", title: "Unauthorized",
                                  detail: "this service requires a bearer token: send 'Authorization: Bearer <token>'")
            problem.retryAfterSeconds = nil
            var response = problem.render(instance: request.uri.path, requestID: context.id)
            response.headers[.wwwAuthenticate] = "Bearer realm=\"lskeld\""
            return response
        }
        let token = String(header.dropFirst("bearer ".count)).trimmingCharacters(in: .whitespaces)
        guard let entry = tokens.entry(for: token) else {
            return Problem(.forbidden, code: "token-rejected", title: "Forbidden",
                           detail: "the bearer token is not one this service accepts").render(instance: request.uri.path, requestID: context.id)
        }
        if let wait = buckets.take(entry) {
            return Problem(.tooManyRequests, code: "rate-limited", title: "Too many requests",
                           detail: "token '\(entry.name)' is limited to \(entry.rate) requests per \(Int(entry.period)) s",
                           retryAfterSeconds: max(1, Int(wait.rounded(.up)))).render(instance: request.uri.path, requestID: context.id)
        }
        var context = context
        context.logger[metadataKey: "token"] = .string(entry.name)
        return try await next(request, context)
    }
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
