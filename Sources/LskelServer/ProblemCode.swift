import HTTPTypes

/// Every cause of a problem the service itself answers, with its status and
/// title: one definition each. (Objects the generator rejects answer with
/// their `GenerationError.Kind`; `Public/openapi.yaml` lists both, and a test
/// holds the list to these.)
public enum ProblemCode: String, CaseIterable, Sendable {
    case incompleteBody = "incomplete-body"
    case invalidKey = "invalid-key"
    case invalidParameter = "invalid-parameter"
    case malformedMultipart = "malformed-multipart"
    case malformedTar = "malformed-tar"
    case missingObject = "missing-object"
    case nonCanonicalPath = "non-canonical-path"
    case tooManyObjects = "too-many-objects"
    case uploadTooLarge = "upload-too-large"
    case unsupportedMediaType = "unsupported-media-type"
    case tokenRequired = "token-required"
    case tokenRejected = "token-rejected"
    case rateLimited = "rate-limited"
    case unknownKey = "unknown-key"
    case unknownPart = "unknown-part"
    case notFound = "not-found"
    case methodNotAllowed = "method-not-allowed"
    case workerContained = "worker-contained"
    case saturated = "saturated"
    case shuttingDown = "shutting-down"
    case notReady = "not-ready"
    case workerFailed = "worker-failed"
    case internalError = "internal"
    /// `verify` asked of a server started without `--kernels`.
    case verificationUnavailable = "verification-unavailable"
    /// `verify` names a kernel series the server does not have.
    case unknownKernel = "unknown-kernel"
    /// `sign` names a key the server does not hold.
    case unknownSigningKey = "unknown-signing-key"
    /// `sign_scheme` is not one of auto, loader-hash, kernel-hash.
    case invalidSignScheme = "invalid-sign-scheme"
    /// The profile's kernel cannot take a signed loader, or auto cannot choose for it.
    case signingRefused = "signing-refused"
    /// The token may not sign with that key (or anonymous signing off loopback).
    case signingForbidden = "signing-forbidden"

    public var status: HTTPResponse.Status {
        switch self {
        case .incompleteBody, .invalidKey, .invalidParameter, .malformedMultipart, .malformedTar, .missingObject,
             .nonCanonicalPath, .tooManyObjects: .badRequest
        case .uploadTooLarge: .contentTooLarge
        case .unsupportedMediaType: .unsupportedMediaType
        case .tokenRequired: .unauthorized
        case .tokenRejected, .signingForbidden: .forbidden
        case .rateLimited: .tooManyRequests
        case .unknownKey, .unknownPart, .notFound: .notFound
        case .methodNotAllowed: .methodNotAllowed
        case .workerContained, .verificationUnavailable, .unknownKernel, .unknownSigningKey, .invalidSignScheme, .signingRefused:
            .unprocessableContent
        case .saturated, .shuttingDown, .notReady: .serviceUnavailable
        case .workerFailed, .internalError: .internalServerError
        }
    }

    public var title: String {
        switch self {
        case .invalidKey, .invalidParameter: "Invalid parameter"
        case .incompleteBody, .malformedMultipart, .malformedTar, .missingObject, .nonCanonicalPath, .tooManyObjects: "Malformed request"
        case .uploadTooLarge: "Upload too large"
        case .unsupportedMediaType: "Unsupported media type"
        case .tokenRequired: "Unauthorized"
        case .tokenRejected: "Forbidden"
        case .rateLimited: "Too many requests"
        case .unknownKey, .unknownPart, .notFound: "Not found"
        case .methodNotAllowed: "Method not allowed"
        case .workerContained: "Object rejected"
        case .saturated: "Service busy"
        case .shuttingDown: "Service shutting down"
        case .notReady: "Not ready"
        case .workerFailed, .internalError: "Internal error"
        case .verificationUnavailable: "Verification unavailable"
        case .unknownKernel: "Unknown kernel"
        case .unknownSigningKey: "Unknown signing key"
        case .invalidSignScheme: "Invalid signing scheme"
        case .signingRefused: "Cannot sign for this kernel"
        case .signingForbidden: "Signing not allowed"
        }
    }
}
