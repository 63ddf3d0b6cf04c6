import Foundation
import Hummingbird
import Logging
import LskelPool

/// Builds the lskeld application: starts the worker pool (reporting its
/// sandbox level), opens the store, and wires the routes and middleware.
///
/// ```swift
/// let app = try await buildApplication(configuration: configuration, logger: logger)
/// try await app.runService()
/// ```
public func buildApplication(configuration: ServerConfiguration, logger: Logger) async throws -> some ApplicationProtocol {
    try configuration.checkAccess()
    let pool = WorkerPool(configuration: configuration.pool)
    let sandbox = try await pool.start()
    logger.info("worker pool ready", metadata: [
        "sandbox": "\(sandbox.level)", "layers": "\(sandbox.layers.joined(separator: ","))",
        "missing": "\(sandbox.missing.joined(separator: ","))", "reason": "\(sandbox.failures)",
    ])
    let store = LoaderStore(directory: configuration.dataDirectory, memoryLimit: configuration.memoryCacheBytes,
                            diskLimit: configuration.diskCacheBytes, logger: logger)
    try await store.open()
    let metrics = ServerMetrics()
    let service = LoaderService(pool: pool, store: store, metrics: metrics)

    let router = Router(context: BasicRequestContext.self)
    router.add(middleware: LogRequestsMiddleware(.info))
    router.add(middleware: RequestMetricsMiddleware(metrics: metrics))
    router.add(middleware: ProblemMiddleware())
    if let tokens = configuration.tokens {
        router.add(middleware: TokenMiddleware(tokens: tokens))
    }
    // The web form, the OpenAPI description and the JSON schemas.
    router.add(middleware: FileMiddleware(configuration.publicDirectory, searchForIndexHtml: true, logger: logger))
    router.addRoutes(LoaderRoutes(service: service, configuration: configuration).routes())
    router.addRoutes(BatchRoutes(service: service, configuration: configuration).routes())
    router.addRoutes(OperabilityRoutes(pool: pool, metrics: metrics, publicDirectory: configuration.publicDirectory).routes())

    let maxUpload = configuration.maxUploadBytes
    return Application(
        router: router,
        server: .http1(configuration: .init(additionalChannelHandlers: [ExpectContinueHandler(maxBodyBytes: maxUpload)])),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "lskeld"),
        services: [PoolService(pool: pool, store: store)],
        logger: logger
    )
}
