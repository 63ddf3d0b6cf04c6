import Foundation
import LskelModel
import LskelPool

/// Answers "the loader for this object, name and profile": from the store
/// when it was generated before, else from a sandboxed worker.
public final class LoaderService: Sendable {
    /// Part of every content address: a new generator never answers with an old result.
    public static let generatorVersion = LskelVersion.generator

    public let generator: any LoaderGenerating
    public let store: any LoaderStoring
    /// The server's signing keys, or nil for none.
    public let signer: LoaderSigner?
    /// Whether `/v1` requires tokens (then only a token naming a key signs with it).
    let tokensRequired: Bool
    let metrics: ServerMetrics
    private let flights = SingleFlight<StoredLoader>()
    /// Keys of recent uploads, found by comparison instead of SHA-256.
    let keyMemo: UploadKeyMemo

    public init(generator: any LoaderGenerating, store: any LoaderStoring, metrics: ServerMetrics,
                signer: LoaderSigner? = nil, tokensRequired: Bool = false, keyMemoBytes: Int = 64 << 20) {
        self.generator = generator
        self.store = store
        self.metrics = metrics
        self.signer = signer
        self.tokensRequired = tokensRequired
        keyMemo = UploadKeyMemo(budgetBytes: keyMemoBytes)
    }

    /// The content address of an upload (``LoaderKey``), from the memo when the same
    /// object, name and profile came recently; and the object's SHA-256 (hex) when
    /// it was hashed for the key (nil for a key from the memo).
    func key(object: UploadBody, name: String, profile: TargetProfile) -> (key: String, objectDigest: String?) {
        var objectDigest: String?
        let key = keyMemo.key(object: object, name: name, profile: profile) {
            let digest = object.digest ?? SHA256.digest(object.bytes)
            objectDigest = SHA256.hex(digest: digest)
            return StoredLoader.key(objectDigest: digest, name: name, profile: profile, generatorVersion: Self.generatorVersion)
        }
        if objectDigest == nil { metrics.keyMemoHits.increment() }
        return (key, objectDigest)
    }

    /// Whether an upload of `length` bytes with these query fields should be hashed as
    /// it arrives: when the memo holds no object of that length and skeleton name, it
    /// cannot answer for it, so the upload will be hashed anyway. (A repeated upload is
    /// left to the memo, which compares instead of hashing.)
    public func hashesWhileReceiving(fields: [(name: String, value: String)], fileName: String, length: Int) -> Bool {
        guard let parameters = try? GenerationParameters(fields: fields),
              let name = try? parameters.skeletonName(fileName: fileName) else { return false }
        return !keyMemo.mightHold(count: length, name: name)
    }

    /// The loader and whether it came from the store. Throws a ``Problem``.
    public func loader(for object: UploadedObject, parameters: GenerationParameters) async throws -> (loader: StoredLoader, cached: Bool) {
        let name = try parameters.skeletonName(fileName: object.fileName)
        let (key, objectDigest) = key(object: object.body, name: name, profile: parameters.profile)
        if let stored = await store.get(key) {
            metrics.cacheHits.increment()
            if let refusal = stored.refusal { throw Problem.from(refusal, key: key) }
            return (stored, true)
        }
        metrics.cacheMisses.increment()
        let (loader, shared) = try await flights.value(for: key) { [self] in
            try await generate(object, name: name, key: key, objectDigest: objectDigest, parameters: parameters)
        }
        if shared { metrics.sharedGenerations.increment() }
        return (loader, false)
    }

    /// One generation in a sandboxed worker, stored before it is answered.
    private func generate(_ object: UploadedObject, name: String, key: String, objectDigest: String?,
                          parameters: GenerationParameters) async throws -> StoredLoader {
        // The digest from hashing the object for its key: the worker does not hash it again.
        let request = WorkerRequest(name: name, objectName: object.fileName.split(separator: "/").last.map(String.init) ?? object.fileName,
                                    profile: parameters.profile, objectSha256: objectDigest)
        let result: WorkerResult
        do {
            result = try await generator.generate(request, upload: object.body)
        } catch let error as WorkerError {
            throw Problem.from(error)
        }
        metrics.generationSeconds.record(result.elapsed)
        if let error = result.answer.error {
            var problem = Problem.from(error)
            // Refusals of the object are kept under its key like loaders; a malformed
            // parameter is not the object's (and is caught before a worker runs).
            if problem.status == .unprocessableContent {
                await store.put(StoredLoader(key: key, name: name, stem: Self.safeStem(object.fileName),
                                             refusal: .init(kind: error.kind.rawValue, detail: error.detail, libbpfLog: error.libbpfLog),
                                             sandboxLevel: result.sandbox.level))
                problem.key = key
            }
            throw problem
        }
        guard let files = result.loader else {
            throw Problem(.workerFailed, detail: "the worker answered without a header or manifest")
        }
        // Answers splice the stored manifest in as it is: it must be one JSON object, checked
        // once here, since it comes from a process that ran untrusted input.
        guard files.manifest.withUnsafeReadableBytes({ JSONSyntax.isObject($0.bindMemory(to: UInt8.self)) }) else {
            throw Problem(.workerFailed, detail: "the worker's manifest is not a JSON object")
        }
        let loader = StoredLoader(key: key, name: name, stem: Self.safeStem(object.fileName), files: files,
                                  sandboxLevel: result.sandbox.level, libbpfLog: result.answer.libbpfLog)
        await store.put(loader)
        return loader
    }

    /// The download file stem of an uploaded file name, limited to characters
    /// that are safe in a header value and a tar entry: letters, digits, `.`, `_`, `-`.
    static func safeStem(_ fileName: String) -> String {
        let stem = SkeletonName.fileStem(fileName)
        let safe = String(stem.unicodeScalars.prefix(64).map { scalar -> Character in
            scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "._-".unicodeScalars.contains(scalar))
                ? Character(scalar) : "_"
        })
        return safe.hasPrefix(".") ? "_" + safe.dropFirst() : safe
    }

    /// Refuses, before any generation, a request to sign that cannot be signed.
    public func checkSigning(_ parameters: GenerationParameters) throws {
        guard parameters.sign != nil else { return }
        guard let signer else {
            throw Problem(.unknownSigningKey, detail: "this server holds no signing keys (lskeld --signing-key NAME=KEY.pem,CERT)")
        }
        _ = try signer.check(parameters, release: parameters.profile.kernelRelease, token: RequestToken.current, tokensRequired: tokensRequired)
    }

    /// The loader signed as the parameters ask (`sign`), else as it is.
    public func signed(_ loader: StoredLoader, parameters: GenerationParameters) throws -> StoredLoader {
        guard parameters.sign != nil else { return loader }
        guard let signer else {
            throw Problem(.unknownSigningKey, detail: "this server holds no signing keys (lskeld --signing-key NAME=KEY.pem,CERT)")
        }
        return try signer.sign(loader, parameters: parameters, token: RequestToken.current, tokensRequired: tokensRequired)
    }

    /// A stored loader by key, the stored refusal's problem, or a 404 problem that says to POST again.
    public func stored(_ key: String) async throws -> StoredLoader {
        guard StoredLoader.isKey(key) else {
            throw Problem(.invalidKey, detail: "'\(key.prefix(80))' is not a loader key (64 hex digits)")
        }
        guard let loader = await store.get(key) else {
            throw Problem(.unknownKey, detail: "no loader with key \(key) is in the store (evicted, never made, or this replica's store is another or not answering); POST the object again (the key is the same)")
        }
        if let refusal = loader.refusal { throw Problem.from(refusal, key: key) }
        return loader
    }
}
