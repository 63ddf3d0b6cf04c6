import Foundation
import LskelModel
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A plain HTTP client (URLSession) for tests that need many connections at once.
enum HTTP {
    static let session: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpMaximumConnectionsPerHost = 64
        configuration.timeoutIntervalForRequest = 60
        return URLSession(configuration: configuration)
    }()

    /// POSTs `body`; returns the status and the Retry-After header.
    static func post(_ url: String, body: [UInt8], contentType: String) async throws -> (Int, String?) {
        let (_, response) = try await send(url, body: body, contentType: contentType)
        return (response.statusCode, response.value(forHTTPHeaderField: "Retry-After"))
    }

    static func send(_ url: String, method: String = "POST", body: [UInt8]? = nil, contentType: String? = nil,
                     headers: [String: String] = [:]) async throws -> (Data, HTTPURLResponse) {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = method
        if let body { request.httpBody = Data(body) }
        if let contentType { request.setValue(contentType, forHTTPHeaderField: "Content-Type") }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (data, response) = try await session.data(for: request)
        guard let http = response as? HTTPURLResponse else { throw URLError(.badServerResponse) }
        return (data, http)
    }
}

/// Reads the files of a tar archive the service wrote.
enum TarFiles {
    static func read(_ bytes: [UInt8]) throws -> [TarReader.Entry] {
        try TarReader.entries(bytes, limit: 256)
    }
}
