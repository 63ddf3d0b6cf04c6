import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Answers `Expect: 100-continue` as soon as the request head arrives, so
/// clients that wait for it (curl does for multipart bodies and bodies over
/// 1 MiB) do not stall, but only for a body the service will read: not for
/// one known to be over the upload limit (the route answers 413), a path that
/// is not canonical (400), or, under `--tokens`, an API request without an
/// accepted token (401 or 403, decided here from the head by the same rule as
/// the API's middleware). Such a client never sends its body.
final class ExpectContinueHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    let maxBodyBytes: Int
    let tokens: AccessTokens?

    init(maxBodyBytes: Int, tokens: AccessTokens?) {
        self.maxBodyBytes = maxBodyBytes
        self.tokens = tokens
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(let head) = unwrapInboundIn(data),
           head.headerFields[.expect]?.lowercased() == "100-continue", wantsBody(head) {
            context.writeAndFlush(wrapOutboundOut(.head(HTTPResponse(status: .continue))), promise: nil)
        }
        context.fireChannelRead(data)
    }

    func wantsBody(_ head: HTTPRequest) -> Bool {
        if let length = head.headerFields[.contentLength].flatMap(Int.init), length > maxBodyBytes { return false }
        let path = CanonicalPath.path(ofTarget: head.path ?? "")
        if CanonicalPath.refusal(path) != nil { return false }
        if let tokens, APIGroup.contains(path) {
            guard case .admitted = tokens.decide(authorization: head.headerFields[.authorization]) else { return false }
        }
        return true
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        context.write(data, promise: promise)
    }
}
