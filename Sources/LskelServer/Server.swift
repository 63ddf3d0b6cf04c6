import Foundation
import Hummingbird
import Logging
import LskelPool
import LskelVerify

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
    let store = try await makeStore(configuration: configuration, logger: logger)
    let limits = configuration.connections
    let budget = ConnectionBudget(limit: limits.effectiveMaxConnections())
    let metrics = ServerMetrics(connections: budget)
    let signer = configuration.signingKeys.isEmpty ? nil
        : LoaderSigner(keys: configuration.signingKeys, anonymousMaySign: configuration.bindsLoopbackOnly)
    for key in configuration.signingKeys.values.sorted(by: { $0.name < $1.name }) {
        logger.info("signing key", metadata: ["name": "\(key.name)", "type": "\(key.keyType)", "subject": "\(key.subject)",
                                              "certificate_sha256": "\(key.certificateSHA256)"])
    }
    let service = LoaderService(generator: pool, store: store, metrics: metrics, signer: signer,
                                tokensRequired: configuration.tokens != nil, keyMemoBytes: configuration.keyMemoBytes)
    var verification: VerificationService? = nil
    if let kernels = configuration.kernels {
        let matrix = try KernelMatrix(directory: kernels)
        var guests = GuestPool.Configuration(guestsPerKernel: configuration.verifyPool)
        guests.allowTestActions = configuration.pool.allowTestHostile
        verification = VerificationService(pool: try GuestPool(matrix: matrix, configuration: guests), metrics: metrics)
        logger.info("kernel matrix", metadata: ["kernels": "\(matrix.kernels.map { "\($0.series)=\($0.release)" }.joined(separator: ","))"])
    }
    let router = buildRouter(configuration: configuration, service: service, metrics: metrics, logger: logger,
                             verification: verification)

    let maxUpload = configuration.maxUploadBytes
    let tokens = configuration.tokens
    logger.info("connection limits", metadata: [
        "max_connections": "\(budget.limit)", "read_header_timeout": "\(limits.readHeaderSeconds)",
        "read_body_timeout": "\(limits.readBodySeconds)", "idle_timeout": "\(limits.idleSeconds)",
    ])
    return Application(
        router: router,
        server: .http1(configuration: .init(additionalChannelHandlers: [
            ExpectContinueHandler(maxBodyBytes: maxUpload, tokens: tokens),
            ConnectionGuard(limits: limits, budget: budget),
        ])),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "lskeld"),
        services: [PoolService(pool: pool, store: store, verification: verification)],
        logger: logger
    )
}

/// The store the configuration names, opened: a directory's files are indexed
/// now; a database is connected to in the background once the service runs.
public func makeStore(configuration: ServerConfiguration, logger: Logger) async throws -> any LoaderStoring {
    switch configuration.store {
    case .directory(let path):
        let store = LoaderStore(directory: path, memoryLimit: configuration.memoryCacheBytes,
                                diskLimit: configuration.storeBytes, logger: logger)
        try await store.open()
        return store
    case .postgres(let location):
        logger.info("store", metadata: ["postgres": "\(location)", "budget_bytes": "\(configuration.storeBytes)"])
        return PostgresLoaderStore(location: location, memoryLimit: configuration.memoryCacheBytes, budget: configuration.storeBytes,
                                   timeout: .milliseconds(Int(configuration.storeTimeoutSeconds * 1000)), logger: logger)
    }
}

/// The routes and their middleware, for a service whatever generates and
/// stores its loaders: lskeld's sandboxed pool and disk store, or (in tests of
/// the routes alone, `app.test(.router)`) the in-process pipeline.
public func buildRouter(configuration: ServerConfiguration, service: LoaderService, metrics: ServerMetrics,
                        logger: Logger, verification: VerificationService? = nil) -> Router<BasicRequestContext> {
    let router = Router(context: BasicRequestContext.self, options: .autoGenerateHeadEndpoints)
    router.add(middleware: RequestLogMiddleware(level: .info))
    router.add(middleware: RequestMetricsMiddleware(metrics: metrics))
    router.add(middleware: CloseOnRefusalMiddleware())
    router.add(middleware: ProblemMiddleware())
    router.add(middleware: CanonicalPathMiddleware())
    // The web form, the OpenAPI description and the JSON schemas.
    router.add(middleware: FileMiddleware(configuration.publicDirectory, searchForIndexHtml: true, logger: logger))
    router.addRoutes(OperabilityRoutes(generator: service.generator, store: service.store, metrics: metrics,
                                       publicDirectory: configuration.publicDirectory, verification: verification).routes())
    // The API: one group, whose middleware every API route runs behind.
    let api = router.group(RouterPath(APIGroup.name))
    if let tokens = configuration.tokens {
        api.add(middleware: TokenMiddleware(tokens: tokens))
    }
    api.addRoutes(LoaderRoutes(service: service, configuration: configuration, verification: verification).routes())
    api.addRoutes(BatchRoutes(service: service, configuration: configuration, verification: verification).routes())
    return router
}
