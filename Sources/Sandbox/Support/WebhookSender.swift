import GatewayCore
import Synchronization

/// One webhook delivery attempt as the sandbox saw it (shown in `stats.webhooks`).
public struct WebhookDelivery: Sendable {
    /// The number `send` returned for this delivery (shared by its retries).
    public var sequence: Int
    public var event: String
    public var url: String
    public var attempt: Int
    /// The receiver's status, or nil when the transfer failed.
    public var status: Int?
    public var error: String?

    public var json: JSON {
        ["sequence": .int(sequence), "event": .string(event), "url": .string(url), "attempt": .int(attempt),
         "status": JSON(status), "error": JSON(error)]
    }
}

/// Sends the emulators' outbound webhooks through the same libcurl transport the gateway
/// uses, on the sandbox's loop, and records every attempt. Retries follow the schedule the
/// caller gives (each upstream documents its own).
public final class WebhookSender: @unchecked Sendable {
    public typealias Build = @Sendable (_ attempt: Int) -> (headers: HTTPHeaders, body: [UInt8])

    let loop: EventLoop
    private var transport: CurlTransport?
    private let log = Mutex<[WebhookDelivery]>([])
    private let nextSequence = Atomic<Int>(1)
    private let maxLog = 1000

    /// Creates its transport on `loop` (call from any thread).
    public init(loop: EventLoop) {
        self.loop = loop
    }

    /// Posts (or `method`s) to `url`; attempt 1 now, then one more after each delay while
    /// the receiver fails (non-2xx, or no answer within `timeout`). Returns the delivery's
    /// sequence number, which every logged attempt of it carries.
    @discardableResult
    public func send(event: String, url: String, method: String = "POST",
                     retryDelays: [Duration] = [], timeout: Duration = .seconds(10),
                     build: @escaping Build) -> Int {
        let sequence = nextSequence.add(1, ordering: .relaxed).oldValue
        let d = Delivery(sequence: sequence, event: event, url: url, method: method, timeout: timeout, build: build)
        loop.execute { self.attempt(d, number: 1, retryDelays: retryDelays[...]) }
        return sequence
    }

    private struct Delivery {
        var sequence: Int
        var event: String
        var url: String
        var method: String
        var timeout: Duration
        var build: Build
    }

    /// What was sent so far, oldest first (the last 1000).
    public var deliveries: [WebhookDelivery] { log.withLock { $0 } }

    public func clear() { log.withLock { $0.removeAll() } }

    /// Loop thread. Stops the transport (pending deliveries fail).
    public func shutdown() {
        transport?.shutdown()
        transport = nil
    }

    private func attempt(_ d: Delivery, number: Int, retryDelays: ArraySlice<Duration>) {
        if transport == nil {
            var config = CurlTransportConfiguration()
            config.allowPlainHTTPToLoopback = true
            transport = try? CurlTransport(loop: loop, configuration: config)
        }
        guard let transport else { return }
        let (headers, body) = d.build(number)
        var h = headers
        if h["Content-Type"] == nil { h.add("Content-Type", "application/json") }
        let request = UpstreamRequest(method: d.method, url: d.url, headers: h, body: body,
                                      timeouts: UpstreamTimeouts(connect: min(.seconds(5), d.timeout), total: d.timeout))
        transport.send(request) { result in
            var record = WebhookDelivery(sequence: d.sequence, event: d.event, url: d.url, attempt: number)
            var ok = false
            switch result {
            case .success(let r):
                record.status = r.status
                ok = (200..<300).contains(r.status)
            case .failure(let e):
                record.error = "\(e)"
            }
            self.log.withLock {
                $0.append(record)
                if $0.count > self.maxLog { $0.removeFirst($0.count - self.maxLog) }
            }
            if !ok, let delay = retryDelays.first {
                _ = self.loop.schedule(after: delay) {
                    self.attempt(d, number: number + 1, retryDelays: retryDelays.dropFirst())
                }
            }
        }
    }
}
