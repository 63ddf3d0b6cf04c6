import Foundation
import HTTPTypes
import Hummingbird
import LskelModel
import NIOCore

/// `POST /v1/batch`: several objects (multipart `object` fields, or a tar
/// body) with shared parameters; one answer with a result or a problem per
/// object. One bad object does not fail the others.
struct BatchRoutes<Context: RequestContext> {
    let service: LoaderService
    let configuration: ServerConfiguration

    func routes() -> RouteCollection<Context> {
        let routes = RouteCollection(context: Context.self)
        routes.post("/v1/batch") { request, context in
            try await batch(request)
        }
        return routes
    }

    enum Outcome: Sendable {
        case loader(StoredLoader, cached: Bool)
        case problem(Problem)
    }

    func batch(_ request: Request) async throws -> Response {
        let upload = try await Upload.read(request, maxBytes: configuration.maxUploadBytes, allowTar: true,
                                           maxObjects: configuration.maxBatchObjects)
        var fields = upload.fields
        if upload.objects.count > 1 && fields.contains(where: { $0.name == "name" }) {
            throw Problem(.badRequest, code: "invalid-parameter", title: "Invalid parameter",
                          detail: "'name' names one skeleton; in a batch each object is named after its file")
        }
        fields.removeAll { $0.name == "filename" }
        let parameters = try GenerationParameters(fields: fields)
        let format = try LoaderResponses.format(for: request, allowed: [.json, .tar])
        let outcomes = await withTaskGroup(of: (Int, Outcome).self) { group in
            for (index, object) in upload.objects.enumerated() {
                group.addTask {
                    do {
                        let (loader, cached) = try await service.loader(for: object, parameters: parameters)
                        return (index, .loader(loader, cached: cached))
                    } catch {
                        return (index, .problem(Problem.from(error)))
                    }
                }
            }
            var outcomes = [Outcome?](repeating: nil, count: upload.objects.count)
            for await (index, outcome) in group { outcomes[index] = outcome }
            return outcomes.compactMap { $0 }
        }
        switch format {
        case .tar:
            var writer = TarWriter()
            for (object, outcome) in zip(upload.objects, outcomes) {
                let stem = LoaderService.safeStem(object.fileName)
                switch outcome {
                case .loader(let loader, _):
                    writer.add(name: "\(stem)/\(stem).lskel.h", bytes: loader.header)
                    writer.add(name: "\(stem)/\(stem).insns.bin", bytes: loader.insns)
                    writer.add(name: "\(stem)/\(stem).data.bin", bytes: loader.data)
                    writer.add(name: "\(stem)/\(stem).manifest.json", bytes: loader.manifest)
                case .problem(let problem):
                    writer.add(name: "\(stem)/error.json", bytes: problemJSON(problem))
                }
            }
            return Response(status: .ok, headers: [.contentType: "application/x-tar",
                                                   .contentDisposition: "attachment; filename=\"lskel-batch.tar\""],
                            body: .init(byteBuffer: ByteBuffer(bytes: writer.finish())))
        default:
            var results: [[String: Any]] = []
            for (object, outcome) in zip(upload.objects, outcomes) {
                switch outcome {
                case .loader(let loader, let cached):
                    let full = (try? JSONSerialization.jsonObject(with: Data(LoaderResponses.json(loader, cached: cached)))) as? [String: Any] ?? [:]
                    results.append(["object": object.fileName, "status": 200, "result": full])
                case .problem(let problem):
                    let body = (try? JSONSerialization.jsonObject(with: Data(problemJSON(problem)))) ?? [:]
                    results.append(["object": object.fileName, "status": Int(problem.status.code), "problem": body])
                }
            }
            let data = (try? JSONSerialization.data(withJSONObject: ["results": results], options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
    }

    func problemJSON(_ problem: Problem) -> [UInt8] {
        problem.json(instance: nil, requestID: nil)
    }
}
