import Foundation
import HTTPTypes
import Hummingbird
import LskelModel
import NIOCore

/// `POST /v1/batch` (in the `/v1` group): several objects (multipart `object` fields, or a tar
/// body) with shared parameters; one answer with a result or a problem per
/// object. One bad object does not fail the others.
struct BatchRoutes<Context: RequestContext> {
    let service: LoaderService
    let configuration: ServerConfiguration
    let verification: VerificationService?

    func routes() -> RouteCollection<Context> {
        let routes = RouteCollection(context: Context.self)
        routes.post("batch") { request, context in
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
            throw Problem(.invalidParameter, detail: "'name' names one skeleton; in a batch each object is named after its file")
        }
        fields.removeAll { $0.name == "filename" }
        let parameters = try GenerationParameters(fields: fields)
        try VerificationService.check(parameters.verify, with: verification)
        try service.checkSigning(parameters)
        let format = try LoaderResponses.format(for: request, allowed: [.json, .tar])
        let outcomes = await run(upload.objects, parameters: parameters)
        var verified: [[UInt8]?] = Array(repeating: nil, count: upload.objects.count)
        if let verification, !parameters.verify.isEmpty {
            for (index, (object, outcome)) in zip(upload.objects, outcomes).enumerated() {
                if case .loader = outcome {
                    verified[index] = await verification.verify(object, parameters: parameters, series: parameters.verify, service: service)
                }
            }
        }
        switch format {
        case .tar:
            var writer = TarWriter()
            let stems = upload.objects.map { LoaderService.safeStem($0.fileName) }
            for ((stem, directory), outcome) in zip(zip(stems, Self.directories(for: stems)), outcomes) {
                switch outcome {
                case .loader(let loader, _):
                    LoaderFile.addAll(to: &writer, stem: stem, directory: directory, contents: loader.contents)
                case .problem(let problem):
                    writer.add(name: "\(directory)/error.json", bytes: problemJSON(problem))
                }
            }
            return Response(status: .ok, headers: [.contentType: "application/x-tar",
                                                   .contentDisposition: "attachment; filename=\"lskel-batch.tar\""],
                            body: .init(byteBuffer: ByteBuffer(bytes: writer.finish())))
        default:
            var data = Array("{\"results\":[".utf8)
            for (index, (object, outcome)) in zip(upload.objects, outcomes).enumerated() {
                if index > 0 { data.append(UInt8(ascii: ",")) }
                switch outcome {
                case .loader(let loader, let cached):
                    data += ResponseJSON.object(BatchMemberBody(object: object.fileName, status: 200),
                                                raw: [("result", LoaderResponses.json(loader, cached: cached, verification: verified[index]))])
                case .problem(let problem):
                    data += ResponseJSON.object(BatchMemberBody(object: object.fileName, status: Int(problem.status.code)),
                                                raw: [("problem", problemJSON(problem))])
                }
            }
            data += Array("]}".utf8)
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
    }

    /// Runs the members with at most `concurrency` of them in the pool's queue
    /// at once: a batch takes its share of the workers, like as many clients,
    /// and never fills the queue that other clients wait in.
    func run(_ objects: [UploadedObject], parameters: GenerationParameters) async -> [Outcome] {
        let window = max(1, configuration.pool.concurrency)
        return await withTaskGroup(of: (Int, Outcome).self) { group in
            func start(_ index: Int) {
                let object = objects[index]
                group.addTask {
                    do {
                        let (unsigned, cached) = try await service.loader(for: object, parameters: parameters)
                        let loader = try service.signed(unsigned, parameters: parameters)
                        return (index, .loader(loader, cached: cached))
                    } catch {
                        return (index, .problem(Problem.from(error)))
                    }
                }
            }
            var next = 0
            while next < min(window, objects.count) {
                start(next)
                next += 1
            }
            var outcomes = [Outcome?](repeating: nil, count: objects.count)
            for await (index, outcome) in group {
                outcomes[index] = outcome
                if next < objects.count {
                    start(next)
                    next += 1
                }
            }
            return outcomes.compactMap { $0 }
        }
    }

    /// A tar directory per member: its file stem, with `-2`, `-3`, ... after
    /// the first use of a stem (`x`, `x-2`), so members with the same file
    /// name never write the same paths.
    static func directories(for stems: [String]) -> [String] {
        var used = Set<String>()
        return stems.map { stem in
            var candidate = stem
            var suffix = 2
            while used.contains(candidate) {
                candidate = "\(stem)-\(suffix)"
                suffix += 1
            }
            used.insert(candidate)
            return candidate
        }
    }

    func problemJSON(_ problem: Problem) -> [UInt8] {
        problem.json(instance: nil, requestID: nil)
    }
}
