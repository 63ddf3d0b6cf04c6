import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Per-connection deadlines and the connection budget (see
/// ``ConnectionLimits``). It sits after the HTTP decoder, where it sees
/// request and response parts, and puts a ``ByteActivity`` in front of the
/// decoder, where it sees each read, so that a request head sent a byte at
/// a time still has one deadline:
///
/// - waiting for a request: `idle` between requests, `readHeader` on a new connection;
/// - from the first byte of a request to the end of its head: `readHeader`, however slowly it comes;
/// - while its body is read: `readBody` without progress (an `Expect: 100-continue` body that never comes, too);
/// - while the service answers: none (the job deadline applies).
///
/// A response with `Connection: close` to a request whose body is still
/// coming closes the connection once written, so the rest of an unwanted
/// body (over the limit, unauthorised) is never read; when the whole request
/// is in already, the connection stays.
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    let limits: ConnectionLimits
    let budget: ConnectionBudget
    private var headsRead = 0
    private var endsRead = 0
    private var responsesWritten = 0
    private var bytesSinceResponse = false
    private var servedOne = false
    private var headStarted = NIODeadline.distantFuture
    private var lastProgress = NIODeadline.now()
    private var closeAfterResponse = false
    private var admitted = false
    private var timer: Scheduled<Void>?
    private var timerDeadline = NIODeadline.distantFuture
    private var context: ChannelHandlerContext?

    init(limits: ConnectionLimits, budget: ConnectionBudget) {
        self.limits = limits
        self.budget = budget
    }

    private var id: ObjectIdentifier { ObjectIdentifier(self) }

    /// Reads of up to 256 KiB: uploads are hundreds of KiB, and NIO's default of at most
    /// 64 KiB per read made a 650 KB upload ten reads, each a fragment handed to the
    /// request's task on its own.
    static let receiveBuffers = AdaptiveRecvByteBufferAllocator(minimum: 1024, initial: 16 << 10, maximum: 256 << 10)

    /// One read per readiness event, not NIO's four, so the loop goes back to epoll (and the
    /// bytes read on to the request's task) after each read of an upload that TCP paces.
    /// Measured on 650 KB uploads, a connection per request: 0.13 to 0.6 ms less per
    /// request; with keep-alive, no difference.
    static let readsPerEvent: UInt = 1

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        _ = context.channel.setOption(ChannelOptions.recvAllocator, value: Self.receiveBuffers)
        _ = context.channel.setOption(ChannelOptions.maxMessagesPerRead, value: Self.readsPerEvent)
        try? context.pipeline.syncOperations.addHandler(ByteActivity(owner: self), position: .first)
        if context.channel.isActive { activate(context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        self.context = nil
        if admitted { budget.remove(id) }
    }

    func channelActive(context: ChannelHandlerContext) {
        activate(context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        if admitted { budget.remove(id) }
        admitted = false
        context.fireChannelInactive()
    }

    private func activate(_ context: ChannelHandlerContext) {
        guard !admitted else { return }
        guard budget.admit(id, channel: context.channel) else {
            context.close(promise: nil)
            return
        }
        admitted = true
        lastProgress = .now()
        arm(context)
    }

    /// Called by ``ByteActivity`` for every read from the socket.
    func bytesArrived() {
        let now = NIODeadline.now()
        lastProgress = now
        if headsRead == endsRead && endsRead == responsesWritten && !bytesSinceResponse {
            bytesSinceResponse = true
            headStarted = now
            if let context { arm(context) }
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            headsRead += 1
            budget.setPhase(id, .sendingBody)
        case .body:
            break
        case .end:
            endsRead += 1
            // Waiting for its answer, unless the answer went out before the body ended.
            if endsRead > responsesWritten { budget.setPhase(id, .answering) }
        }
        lastProgress = .now()
        arm(context)
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var head):
            if head.status.code >= 200, head.headerFields[.connection]?.lowercased() == "close" {
                // The request this answers is the one after those already answered; a parse
                // error answers no request at all. Close unless that request is wholly in.
                if endsRead <= responsesWritten {
                    closeAfterResponse = true
                } else {
                    // The whole request is in already: nothing is left unread, so the connection may stay.
                    head.headerFields[.connection] = nil
                    context.write(wrapOutboundOut(.head(head)), promise: promise)
                    return
                }
            }
            context.write(data, promise: promise)
        case .body:
            context.write(data, promise: promise)
        case .end:
            responsesWritten += 1
            if closeAfterResponse {
                context.writeAndFlush(data, promise: promise)
                context.close(promise: nil)
                return
            }
            context.write(data, promise: promise)
            if headsRead == responsesWritten {
                servedOne = true
                bytesSinceResponse = false
                headStarted = .distantFuture
                lastProgress = .now()
                budget.setPhase(id, .waiting)
            }
            arm(context)
        }
    }

    /// When the connection must have made its next step, or nil while the service answers.
    private var deadline: NIODeadline? {
        if headsRead > endsRead {
            return lastProgress + .seconds(limits.readBodySeconds)
        }
        if endsRead > responsesWritten {
            return nil
        }
        if bytesSinceResponse {
            return headStarted + .seconds(limits.readHeaderSeconds)
        }
        return lastProgress + .seconds(servedOne ? limits.idleSeconds : limits.readHeaderSeconds)
    }

    /// Makes sure a timer fires no later than the deadline; a timer that
    /// fires early re-arms for the deadline then in force.
    private func arm(_ context: ChannelHandlerContext) {
        guard admitted, let deadline else { return }
        if timer != nil && timerDeadline <= deadline { return }
        timer?.cancel()
        timerDeadline = deadline
        timer = context.eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(deadline: deadline) { [self] in
            timer = nil
            timerDeadline = .distantFuture
            guard let current = self.deadline else { return }
            if current <= .now() {
                context.close(promise: nil)
            } else {
                arm(context)
            }
        }
    }
}

extension TimeAmount {
    static func seconds(_ value: Double) -> TimeAmount {
        guard value.isFinite, value > 0 else { return .zero }
        return .nanoseconds(Int64(min(value, 1e9) * 1e9))
    }
}

/// Sits in front of the HTTP decoder and tells the ``ConnectionGuard`` of
/// every read; passes everything on unchanged.
final class ByteActivity: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let owner: ConnectionGuard

    init(owner: ConnectionGuard) {
        self.owner = owner
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        owner.bytesArrived()
        context.fireChannelRead(data)
    }
}
