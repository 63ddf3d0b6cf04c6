import Foundation
import HTTPTypes
import Hummingbird
import LskelPool
import NIOCore

/// `/healthz`, `/readyz`, `/metrics` and `/openapi.yaml`.
struct OperabilityRoutes<Context: RequestContext> {
    let generator: any LoaderGenerating
    let store: any LoaderStoring
    let metrics: ServerMetrics
    let publicDirectory: String
    let verification: VerificationService?

    func routes() -> RouteCollection<Context> {
        let routes = RouteCollection(context: Context.self)
        routes.get("/healthz") { _, _ in
            Self.json(HealthBody())
        }
        routes.get("/readyz") { _, _ in
            guard let ready = await generator.readiness else {
                throw Problem(.notReady, detail: "the worker pool has not started", retryAfterSeconds: 1)
            }
            let sandbox = ready.sandbox, stats = ready.stats
            let body = ReadyBody(
                sandbox: .init(level: sandbox.level, layers: sandbox.layers, missing: sandbox.missing, reason: sandbox.failures),
                pool: .init(warm: stats.warm, busy: stats.busy, queued: stats.queued,
                            concurrency: ready.concurrency, queueLimit: ready.queueLimit),
                kernels: verification?.kernels.map { .init(series: $0.series, version: $0.release) } ?? [],
                store: await store.report)
            return Self.json(body)
        }
        routes.get("/metrics") { _, _ in
            if let ready = await generator.readiness { metrics.update(from: ready.stats) }
            metrics.update(from: await store.report)
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(bytes: metrics.registry.emitToBuffer())))
        }
        routes.get("/openapi.yaml") { _, _ in
            let path = URL(fileURLWithPath: publicDirectory).appendingPathComponent("openapi.yaml").path
            guard let data = FileManager.default.contents(atPath: path) else {
                throw Problem(.notFound, detail: "openapi.yaml is not installed at \(path)")
            }
            return Response(status: .ok, headers: [.contentType: "application/yaml"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
        return routes
    }

    static func json(_ body: some Encodable) -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: ResponseJSON.encode(body))))
}
}
