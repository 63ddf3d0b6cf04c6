import Foundation
import HTTPTypes
import LskelModel
import Hummingbird
import NIOCore

/// Renders a stored loader in the format a request asks for.
enum LoaderResponses {
    enum Format: String {
        case json, header, insns, data, manifest, tar, sig
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

    /// `6.1=rejected, 6.18=loads`: the verification of an answer that is not JSON, in a header.
    static func verificationSummary(_ json: [UInt8]) -> String? {
        guard let entries = try? JSONSerialization.jsonObject(with: Data(json)) as? [[String: Any]] else { return nil }
        return entries.map { entry in
            "\(entry["kernel"] as? String ?? "?")=\(entry["loader"] as? String ?? (entry["error"] != nil ? "error" : "?"))"
        }.joined(separator: ", ")
    }

    static func links(_ loader: StoredLoader) -> [String: String] {
        let base = "/v1/loaders/\(loader.key)"
        let query = loader.variant.map { "?" + $0 } ?? ""
        var links = ["self": base + query]
        for part in StoredLoader.Part.allCases where part != .sig || loader.signatureBuffer != nil {
            links[part.rawValue] = "\(base)/\(part.rawValue)\(query)"
        }
        return links
    }

    /// The JSON form: key, name, manifest, base64 blobs, header text and links (see ``LoaderJSON``).
    static func json(_ loader: StoredLoader, cached: Bool, verification: [UInt8]? = nil) -> [UInt8] {
        jsonBuffers(loader, cached: cached, verification: verification).flatMap { Array($0.readableBytesView) }
    }

    /// The JSON form as buffers shared with the stored loader; a `verification`
    /// array (already JSON) becomes the first member.
    static func jsonBuffers(_ loader: StoredLoader, cached: Bool, verification: [UInt8]?) -> [ByteBuffer] {
        let parts = loader.rendered.get { LoaderJSON.render(loader) }
        let value = ByteBuffer(string: cached ? "true" : "false")
        guard let verification else { return [parts.before, value, parts.after] }
        var before = parts.before
        before.moveReaderIndex(forwardBy: 1)  // past "{"
        return [ByteBuffer(bytes: Array(#"{"verification":"#.utf8) + verification + [UInt8(ascii: ",")]), before, value, parts.after]
    }

    static func response(_ loader: StoredLoader, format: Format, cached: Bool, request: Request, verification: [UInt8]? = nil) -> Response {
        let etag = "\"\(loader.key)-\(format.rawValue)\(loader.variant.map { "-" + $0.replacingOccurrences(of: "&", with: "-").replacingOccurrences(of: "=", with: "-") } ?? "")\""
        var headers: HTTPFields = [
            .eTag: etag,
            .cacheControl: "public, max-age=31536000, immutable",
            .location: "/v1/loaders/\(loader.key)" + (loader.variant.map { "?" + $0 } ?? ""),
        ]
        if let match = request.headers[.ifNoneMatch],
           match.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == etag || $0.trimmingCharacters(in: .whitespaces) == "*" }) {
            return Response(status: .notModified, headers: headers)
        }
        let body: ResponseBody
        let download: (contentType: String, suffix: String)?
        switch format {
        case .json:
            body = ResponseBody(contentsOf: jsonBuffers(loader, cached: cached, verification: verification))
            download = nil
            headers[.contentType] = "application/json"
        case .header: (body, download) = (ResponseBody(byteBuffer: loader.headerBuffer), ("text/x-c; charset=utf-8", LoaderFile.header.rawValue))
        case .insns: (body, download) = (ResponseBody(byteBuffer: loader.insnsBuffer), ("application/octet-stream", LoaderFile.insns.rawValue))
        case .data: (body, download) = (ResponseBody(byteBuffer: loader.dataBuffer), ("application/octet-stream", LoaderFile.data.rawValue))
        case .manifest: (body, download) = (ResponseBody(byteBuffer: loader.manifestBuffer), ("application/json", LoaderFile.manifest.rawValue))
        case .tar: (body, download) = (ResponseBody(byteBuffer: ByteBuffer(bytes: loader.tar)), ("application/x-tar", ".lskel.tar"))
        case .sig: (body, download) = (ResponseBody(byteBuffer: loader.signatureBuffer ?? ByteBuffer()), ("application/pkcs7-signature", LoaderFile.signatureSuffix))
        }
        if let verification, format != .json, let summary = Self.verificationSummary(verification) {
            headers[HTTPField.Name("Lskel-Verification")!] = summary
        }
        if let download {
            headers[.contentType] = download.contentType
            headers[.contentDisposition] = "attachment; filename=\"\(loader.stem)\(download.suffix)\""
        }
        return Response(status: .ok, headers: headers, body: body)
    }
}
