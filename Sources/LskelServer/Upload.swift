import Foundation
import HTTPTypes
import Hummingbird
import LskelModel
import MultipartKit
import NIOCore

/// One uploaded object with its file name.
public struct UploadedObject: Sendable {
    public var fileName: String
    /// The bytes as they arrived (see ``UploadBody``).
    public let body: UploadBody
    /// The whole object (joined from its fragments on first use).
    public var bytes: [UInt8] { body.bytes }

    public init(fileName: String, bytes: [UInt8]) {
        self.fileName = fileName
        body = UploadBody(bytes: bytes)
    }

    init(fileName: String, body: UploadBody) {
        self.fileName = fileName
        self.body = body
    }
}

/// What a request uploaded: objects and parameter fields, from a raw body,
/// a multipart form or (batch) a tar archive.
public struct Upload: Sendable {
    public var objects: [UploadedObject] = []
    public var fields: [(name: String, value: String)] = []

    /// Reads the body under the upload limit and parses it by content type.
    ///
    /// When `hashing` says so (it sees the query's fields, the file name and the
    /// declared length), a raw object is hashed (SHA-256) fragment by fragment as
    /// it arrives, between the reads that wait for the client: its key is then
    /// ready about when its last byte is.
    public static func read(_ request: Request, maxBytes: Int, allowTar: Bool, maxObjects: Int,
                            hashing: ((_ fields: [(name: String, value: String)], _ fileName: String, _ length: Int) -> Bool)? = nil)
        async throws -> Upload {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > maxBytes {
            var problem = Problem(.uploadTooLarge, detail: "the upload is \(length) bytes; the limit is \(maxBytes) bytes")
            problem.closesConnection = true
            throw problem
        }
        let contentType = request.headers[.contentType] ?? ""
        let mediaType = contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        var upload = Upload()
        for (key, value) in request.uri.queryParameters {
            upload.fields.append((String(key), String(value)))
        }
        // A raw object is kept as the fragments it arrived in (joined only if it must be,
        // see UploadBody); a form or an archive is parsed from one array sized from
        // Content-Length (up to 4 MiB, so a length claimed and never sent reserves little).
        let raw = Self.rawMediaTypes.contains(mediaType)
        let fileName = upload.fields.last { $0.name == "filename" }?.value
            ?? request.headers[.contentDisposition].flatMap(Self.fileName(fromDisposition:)) ?? "object.o"
        let declaredLength = request.headers[.contentLength].flatMap(Int.init)
        let hashes = raw && declaredLength.map { hashing?(upload.fields, fileName, $0) ?? false } == true
        let stream = hashes ? SHA256Stream() : nil
        var fragments: [ByteBuffer] = []
        var received = 0
        var bytes: [UInt8] = []
        if !raw { bytes.reserveCapacity(min(request.headers[.contentLength].flatMap(Int.init) ?? 0, maxBytes, 4 << 20)) }
        do {
            for try await fragment in request.body {
                guard received + fragment.readableBytes <= maxBytes else { throw tooLarge(maxBytes) }
                received += fragment.readableBytes
                if raw {
                    fragments.append(fragment)
                    if let stream { fragment.withUnsafeReadableBytes { stream.update($0) } }
                } else {
                    bytes.append(contentsOf: fragment.readableBytesView)
                }
            }
        } catch let problem as Problem {
            // A chunked body, or one longer than its Content-Length said: the
            // same answer, and the rest is not read.
            throw problem
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw tooLarge(maxBytes)
        } catch {
            // The client went away or broke the framing mid-body: its fault, not ours.
            var problem = Problem(.incompleteBody, detail: "the request body ended before it was complete (\(type(of: error)))")
            problem.closesConnection = true
            throw problem
        }
        switch mediaType {
        case _ where raw:
            upload.objects = [UploadedObject(fileName: fileName, body: UploadBody(fragments: fragments, digest: stream?.finish()))]
        case "multipart/form-data":
            guard let boundary = Self.boundary(contentType) else {
                throw Problem(.malformedMultipart, detail: "multipart/form-data without a boundary parameter")
            }
            // RFC 2046: 1 to 70 characters (MultipartKit traps on an empty one).
            guard (1...70).contains(boundary.utf8.count) else {
                throw Problem(.malformedMultipart, detail: "the multipart boundary must be 1 to 70 characters, not \(boundary.utf8.count)")
            }
            try upload.parseMultipart(bytes, boundary: boundary, maxObjects: maxObjects)
        case "application/x-tar" where allowTar:
            do {
                for entry in try TarReader.entries(bytes, limit: maxObjects) {
                    upload.objects.append(UploadedObject(fileName: entry.name, bytes: entry.bytes))
                }
            } catch {
                throw Problem(.malformedTar, detail: "\(error)")
            }
        case "":
            throw Problem(.unsupportedMediaType, detail: "the request has no Content-Type; send the object as application/octet-stream or multipart/form-data")
        default:
            let accepted = allowTar ? "multipart/form-data or application/x-tar" : "application/octet-stream, application/x-elf or multipart/form-data"
            throw Problem(.unsupportedMediaType, detail: "Content-Type '\(mediaType)' is not accepted; send \(accepted)")
        }
        guard !upload.objects.isEmpty else {
            throw Problem(.missingObject, detail: "the request carries no object (multipart field 'object')")
        }
        return upload
    }

    /// Content types of a body that is the object itself.
    static let rawMediaTypes: Set<String> = ["application/octet-stream", "application/x-elf", "application/x-object",
                                             "application/x-executable"]

    static func tooLarge(_ maxBytes: Int) -> Problem {
        var problem = Problem(.uploadTooLarge, detail: "the upload is larger than the limit of \(maxBytes) bytes")
        problem.closesConnection = true
        return problem
    }

    mutating func parseMultipart(_ bytes: [UInt8], boundary: String, maxObjects: Int) throws {
        if let offset = MultipartPreCheck.trappingByte(in: bytes, boundary: boundary) {
            throw Problem(.malformedMultipart, detail: "the multipart body has a part header whose name is not ASCII (byte \(offset)); header names are tokens")
        }
        let parser = MultipartParser(boundary: boundary)
        var parts: [(headers: [String: String], body: [UInt8])] = []
        var headers: [String: String] = [:]
        var body: [UInt8] = []
        parser.onHeader = { field, value in headers[field.lowercased()] = value }
        parser.onBody = { buffer in body.append(contentsOf: buffer.readableBytesView) }
        parser.onPartComplete = {
            parts.append((headers, body))
            headers = [:]
            body = []
        }
        do {
            try parser.execute(bytes)
        } catch {
            throw Problem(.malformedMultipart, detail: "the multipart body cannot be parsed: \(error)")
        }
        for part in parts {
            guard let disposition = part.headers["content-disposition"],
                  let name = Self.parameter("name", in: disposition) else { continue }
            let fileName = Self.parameter("filename", in: disposition)
            if name == "object" {
                guard objects.count < maxObjects else {
                    throw Problem(.tooManyObjects, detail: "more than \(maxObjects) objects in one request")
                }
                objects.append(UploadedObject(fileName: fileName ?? "object.o", bytes: part.body))
            } else if GenerationParameters.names.contains(name) {
                fields.append((name, String(decoding: part.body, as: UTF8.self)))
            }
        }
    }

    static func boundary(_ contentType: String) -> String? {
        parameter("boundary", in: contentType)
    }

    static func fileName(fromDisposition value: String) -> String? {
        parameter("filename", in: value)
    }

    /// A `key=value` or `key="value"` parameter of a header value.
    static func parameter(_ key: String, in header: String) -> String? {
        for piece in header.split(separator: ";").dropFirst() {
            let pair = piece.split(separator: "=", maxSplits: 1)
            guard pair.count == 2, pair[0].trimmingCharacters(in: .whitespaces).lowercased() == key else { continue }
            var value = pair[1].trimmingCharacters(in: .whitespaces)
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            return value
        }
        return nil
    }
}
