import Hummingbird
import NIOCore

/// `POST /v1/loaders`, `GET /v1/loaders/{key}` and `GET /v1/loaders/{key}/{part}`
/// (added to the `/v1` group, which carries the API's middleware).
struct LoaderRoutes<Context: RequestContext> {
    let service: LoaderService
    let configuration: ServerConfiguration
    let verification: VerificationService?

    func routes() -> RouteCollection<Context> {
        let routes = RouteCollection(context: Context.self)
        routes.post("loaders") { request, context in
            try await create(request)
        }
        routes.get("info") { _, _ in
            let body = InfoBody(generatorVersion: LoaderService.generatorVersion, maxUploadBytes: configuration.maxUploadBytes,
                                maxBatchObjects: configuration.maxBatchObjects, signingKeys: service.signer?.info ?? [])
            return Response(status: .ok, headers: [.contentType: "application/json"],
                            body: .init(byteBuffer: ByteBuffer(bytes: ResponseJSON.encode(body))))
        }
        routes.get("loaders/:key") { request, context in
            let loader = try service.signed(try await service.stored(try context.parameters.require("key")), parameters: try signing(request))
            let format = try LoaderResponses.format(for: request, allowed: [.json, .header, .tar, .manifest])
            return LoaderResponses.response(loader, format: format, cached: true, request: request)
        }
        routes.get("loaders/:key/:part") { request, context in
            let partName = try context.parameters.require("part")
            guard let part = StoredLoader.Part(rawValue: partName), let format = LoaderResponses.Format(rawValue: part.rawValue) else {
                throw Problem(.unknownPart, detail: "'\(partName.prefix(32))' is not one of header, insns, data, manifest, tar, sig")
            }
            let loader = try service.signed(try await service.stored(try context.parameters.require("key")), parameters: try signing(request))
            if part == .sig && loader.signatureBuffer == nil {
                throw Problem(.unknownPart, detail: "this loader is not signed: ask for sig with sign=NAME (and sign_scheme)")
            }
            return LoaderResponses.response(loader, format: format, cached: true, request: request)
        }
        return routes
    }

    /// `sign` and `sign_scheme` of a GET (its other query parameters are not the generator's).
    func signing(_ request: Request) throws -> GenerationParameters {
        let fields = ["sign", "sign_scheme"].compactMap { name in request.uri.queryParameters.get(name).map { (name: name, value: $0) } }
        return try GenerationParameters(fields: fields)
    }

    func create(_ request: Request) async throws -> Response {
        let upload = try await Upload.read(request, maxBytes: configuration.maxUploadBytes, allowTar: false, maxObjects: 1,
                                           hashing: service.hashesWhileReceiving)
        guard upload.objects.count == 1, let object = upload.objects.first else {
            throw Problem(.tooManyObjects, detail: "POST /v1/loaders takes one object; use /v1/batch for several")
        }
        let parameters = try GenerationParameters(fields: upload.fields)
        try VerificationService.check(parameters.verify, with: verification)
        try service.checkSigning(parameters)
        let format = try LoaderResponses.format(for: request, allowed: [.json, .header, .tar])
        let (unsigned, cached) = try await service.loader(for: object, parameters: parameters)
        let loader = try service.signed(unsigned, parameters: parameters)
        var verified: [UInt8]? = nil
        if let verification, !parameters.verify.isEmpty {
            verified = await verification.verify(object, parameters: parameters, series: parameters.verify, service: service)
        }
        return LoaderResponses.response(loader, format: format, cached: cached, request: request, verification: verified)
    }
}
