import Foundation
import HTTPTypes
import LskelModel
import Hummingbird
import NIOCore

/// Renders a stored loader in the format a request asks for.
enum LoaderResponses {
    enum Format: String {
        case json, header, insns, data, manifest, tar
    }

    /// `?format=` wins, then `Accept`, then JSON.
    static func format(for request: Request, allowed: Set<Format>) throws -> Format {
        if let text = request.uri.queryParameters.get("format") {
            guard let format = Format(rawValue: text), allowed.contains(format) else {
                throw Problem(.invalidParameter, detail: "format '\(text.prefix(32))' is not one of \(allowed.map(\.rawValue).sorted().joined(separator: ", "))")
            }
            return format
        }
        let accept = request.headers[.accept]?.lowercased() ?? ""
        if accept.contains("application/json") { return .json }
        if accept.contains("text/x-c") && allowed.contains(.header) { return .header }
        if accept.contains("application/x-tar") && allowed.contains(.tar) { return .tar }
        return .json
    }

    static func links(_ loader: StoredLoader) -> [String: String] {
        let base = "/v1/loaders/\(loader.key)"
        var links = ["self": base]
        for part in StoredLoader.Part.allCases { links[part.rawValue] = "\(base)/\(part.rawValue)" }
        return links
    }

    /// The JSON form: key, name, manifest, base64 blobs, header text and links (see ``LoaderJSON``).
    static func json(_ loader: StoredLoader, cached: Bool) -> [UInt8] {
        let parts = loader.rendered.get { LoaderJSON.render(loader) }
        return Array(parts.before.readableBytesView) + Array((cached ? "true" : "false").utf8) + Array(parts.after.readableBytesView)
    }

    static func response(_ loader: StoredLoader, format: Format, cached: Bool, request: Request) -> Response {
        let etag = "\"\(loader.key)-\(format.rawValue)\""
        var headers: HTTPFields = [
            .eTag: etag,
            .cacheControl: "public, max-age=31536000, immutable",
            .location: "/v1/loaders/\(loader.key)",
        ]
        if let match = request.headers[.ifNoneMatch],
           match.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == etag || $0.trimmingCharacters(in: .whitespaces) == "*" }) {
            return Response(status: .notModified, headers: headers)
        }
        let body: ResponseBody
        let download: (contentType: String, suffix: String)?
        switch format {
        case .json:
            let parts = loader.rendered.get { LoaderJSON.render(loader) }
            let value = ByteBuffer(string: cached ? "true" : "false")
            body = ResponseBody(contentsOf: [parts.before, value, parts.after])
            download = nil
            headers[.contentType] = "application/json"
        case .header: (body, download) = (ResponseBody(byteBuffer: loader.headerBuffer), ("text/x-c; charset=utf-8", LoaderFile.header.rawValue))
        case .insns: (body, download) = (ResponseBody(byteBuffer: loader.insnsBuffer), ("application/octet-stream", LoaderFile.insns.rawValue))
        case .data: (body, download) = (ResponseBody(byteBuffer: loader.dataBuffer), ("application/octet-stream", LoaderFile.data.rawValue))
        case .manifest: (body, download) = (ResponseBody(byteBuffer: loader.manifestBuffer), ("application/json", LoaderFile.manifest.rawValue))
        case .tar: (body, download) = (ResponseBody(byteBuffer: ByteBuffer(bytes: loader.tar)), ("application/x-tar", ".lskel.tar"))
        }
        if let download {
            headers[.contentType] = download.contentType
            headers[.contentDisposition] = "attachment; filename=\"\(loader.stem)\(download.suffix)\""
        }
        return Response(status: .ok, headers: headers, body: body)
    }
}
