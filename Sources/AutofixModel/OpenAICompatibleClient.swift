import AutofixSupport
internal import CCurl
import Foundation

/// The result of `probe`: one 1-token request, as `git autofix doctor` reports it.
public struct ProbeResult: Sendable, Equatable {
    public var model: String
    /// Seconds for the whole request.
    public var latency: Double
    public var timeToFirstToken: Double?
    public var reply: String
    public var finishReason: String?
    public var usage: TokenUsage?
}

/// A `ChatModel` for any OpenAI-compatible `/chat/completions` endpoint (vLLM, llama.cpp's
/// server, Ollama, hosted APIs), streaming over libcurl.
///
/// Retries connection refused, 429 and 5xx with backoff, but only before any text reached the
/// consumer: after partial output a failure is reported, never papered over.
public final class OpenAICompatibleClient: ChatModel, Sendable {
    public let endpoint: ModelEndpoint
    private let observer: (@Sendable (ModelClientEvent) -> Void)?
    let retryPolicy: RetryPolicy

    /// `observer` hears requests, statuses and retries (never the key or the prompt).
    public init(endpoint: ModelEndpoint, observer: (@Sendable (ModelClientEvent) -> Void)? = nil) {
        self.endpoint = endpoint
        self.observer = observer
        self.retryPolicy = RetryPolicy(endpoint: endpoint)
    }

    public func stream(_ request: ChatRequest) -> AsyncThrowingStream<ModelEvent, Error> {
        let (stream, continuation) = AsyncThrowingStream<ModelEvent, Error>.makeStream()
        let start = DispatchTime.now()
        let task = Task { await self.runStream(request, continuation, start: start) }
        // Fires when the consumer stops iterating or its task is cancelled; the transfer aborts.
        continuation.onTermination = { _ in task.cancel() }
        guard let limit = request.timeLimit else { return stream }
        // The transfer may be long over while a slow consumer still works through the text it
        // left behind; the time limit holds for the consumer too: once it has run out, the next
        // event is the time-limit error, whatever is still buffered.
        let deadline = start.uptimeNanoseconds + UInt64(max(limit, 0) * 1e9)
        let source = DeadlineIterator(stream.makeAsyncIterator())
        let url = endpoint.url("chat/completions")
        let endpoint = endpoint
        return AsyncThrowingStream {
            if DispatchTime.now().uptimeNanoseconds >= deadline, !source.ended {
                source.end()
                task.cancel()
                throw ModelErrors.timeout(.timeLimit, endpoint, url: url, received: source.deliveredCharacters)
            }
            return try await source.next()
        }
    }

    /// Connects to the endpoint (TCP, and TLS for https) without sending a request, retrying a
    /// refused connection as every request does (a server that is still starting).
    public func checkReachable() async throws {
        let url = endpoint.url("chat/completions")
        try ModelEndpoint.validate(endpoint.baseURL)
        try await retrying { attempt in
            let transfer = CurlTransfer(
                CurlTransfer.Request(
                    method: "GET", url: url, headers: [], body: nil, connectTimeout: endpoint.connectTimeout,
                    idleTimeout: endpoint.connectTimeout, totalTimeout: endpoint.connectTimeout, connectOnly: true,
                    caInfo: endpoint.caInfo),
                onBody: { _, _, _ in true })
            let result = await transfer.run()
            if result.cancelled || Task.isCancelled { throw CancellationError() }
            if result.code == CURLE_OK { return nil }
            return failure(result, body: [], url: url, attempts: attempt, model: nil)
        }
    }

    /// The model ids the server lists at `/models`.
    public func listModels() async throws -> [String] {
        let url = endpoint.url("models")
        try ModelEndpoint.validate(endpoint.baseURL)
        var body: [UInt8] = []
        try await retrying { attempt in
            observeRequest("GET", url, attempt: attempt, bodyBytes: 0)
            let (result, received, tooLarge) = await fetch(url: url, timeouts: endpoint)
            body = received
            observeResponse(result.status, url)
            if let tooLarge, (200..<300).contains(result.status) {
                return Failure(error: ModelErrors.tooLarge(tooLarge, limitBytes: tooLarge == .headers
                                                           ? ResponseLimits.wholeBody.headerBytes : ResponseLimits.wholeBody.bodyBytes,
                                                           endpoint, url: url, received: 0), retryable: false)
            }
            return failure(result, body: received, url: url, attempts: attempt, model: nil)
        }
        guard let models = Self.modelIDs(in: body) else {
            throw ModelErrors.malformed(
                url: url, what: "a model list that is not OpenAI's {\"data\":[{\"id\":...}]}",
                sample: ModelErrors.sample(String(decoding: body, as: UTF8.self)), received: 0)
        }
        return models
    }

    private func observeRequest(_ method: String, _ url: String, attempt: Int, bodyBytes: Int) {
        observer?(.request(method: method, url: ModelEndpoint.redacted(url), attempt: attempt, bodyBytes: bodyBytes))
    }

    private func observeResponse(_ status: Int, _ url: String) {
        if status > 0 { observer?(.response(status: status, url: ModelEndpoint.redacted(url))) }
    }

    /// Asks `model` for a single token and reports how long that took.
    public func probe(model: String = ModelEndpoint.defaultModel) async throws -> ProbeResult {
        var request = ChatRequest(model: model, messages: [ChatMessage(role: .user, content: "Say OK.")])
        request.maxTokens = 1
        request.temperature = 0
        var reply = ""
        for try await event in stream(request) {
            switch event {
            case .delta(let text): reply += text
            case .finished(let finish):
                return ProbeResult(
                    model: model, latency: finish.totalSeconds, timeToFirstToken: finish.timeToFirstToken,
                    reply: reply, finishReason: finish.finishReason, usage: finish.usage)
            }
        }
        throw ModelErrors.truncated(url: endpoint.url("chat/completions"), received: reply.count)
    }

    // MARK: - Streaming

    private func runStream(
        _ request: ChatRequest, _ continuation: AsyncThrowingStream<ModelEvent, Error>.Continuation, start: DispatchTime
    ) async {
        let url = endpoint.url("chat/completions")
        do {
            try ModelEndpoint.validate(endpoint.baseURL)
        } catch {
            continuation.finish(throwing: error)
            return
        }
        let body = RequestBody.chatCompletion(request)
        let limits = ResponseLimits.forReply(maxTokens: request.maxTokens)
        func timeLeft() -> Double? { request.timeLimit.map { $0 - Self.seconds(since: start) } }
        func timeLimitReached(received: Int) -> ModelError {
            ModelErrors.timeout(.timeLimit, endpoint, url: url, received: received)
        }
        var attempt = 0
        while true {
            attempt += 1
            let reply = ReplyReceiver(continuation: continuation, start: start, limits: limits)
            let left = timeLeft()
            if let left, left <= 0 {
                continuation.finish(throwing: timeLimitReached(received: 0).with(attempts: attempt - 1))
                return
            }
            // The caller's limit replaces the endpoint's total timeout when it is the nearer one.
            let limitedByCaller = left.map { $0 < endpoint.totalTimeout } ?? false
            observeRequest("POST", url, attempt: attempt, bodyBytes: body.utf8.count)
            let transfer = CurlTransfer(
                CurlTransfer.Request(
                    method: "POST", url: url, headers: headers(accept: "text/event-stream"), body: body,
                    connectTimeout: endpoint.connectTimeout, idleTimeout: endpoint.idleTimeout,
                    totalTimeout: limitedByCaller ? left! : endpoint.totalTimeout, caInfo: endpoint.caInfo,
                    maxHeaderBytes: limits.headerBytes),
                onBody: reply.receive)
            let result = await transfer.run()
            observeResponse(result.status, url)

            if result.cancelled || Task.isCancelled {
                continuation.finish(throwing: ModelErrors.cancelled(url: url, received: reply.deliveredCharacters))
                return
            }
            if var failure = streamFailure(result, reply: reply, url: url, attempts: attempt, model: request.model) {
                if limitedByCaller, result.code == CURLE_OPERATION_TIMEDOUT {
                    continuation.finish(throwing: timeLimitReached(received: reply.deliveredCharacters).with(attempts: attempt))
                    return
                }
                if failure.error.kind == .notFound {
                    failure.error = ModelErrors.notFound(
                        endpoint, url: url, model: request.model, serverMessage: failure.error.serverMessage,
                        available: await modelsIfListed())
                }
                do {
                    if try await waitBeforeRetry(failure, attempt: attempt, receivedCharacters: reply.deliveredCharacters,
                                                 timeLeft: timeLeft()) {
                        continue
                    }
                } catch {
                    continuation.finish(throwing: ModelErrors.cancelled(url: url, received: 0))
                    return
                }
                continuation.finish(throwing: failure.error)
                return
            }
            let finish = ModelFinish(
                finishReason: reply.finishReason, usage: reply.usage, timeToFirstToken: reply.firstTokenSeconds,
                totalSeconds: Self.seconds(since: start), attempts: attempt)
            observer?(.finished(finish))
            continuation.yield(.finished(finish))
            continuation.finish()
            return
        }
    }

    struct Failure {
        var error: ModelError
        var retryable: Bool
    }

    /// Makes attempts until one returns no failure, waiting before each retry; a failure that is
    /// not retried is thrown. For requests whose reply is read whole (nothing is streamed on).
    private func retrying(_ attempt: (_ number: Int) async throws -> Failure?) async throws {
        var number = 0
        while true {
            number += 1
            guard let failure = try await attempt(number) else { return }
            if try await waitBeforeRetry(failure, attempt: number, receivedCharacters: 0) { continue }
            throw failure.error.with(attempts: number)
        }
    }

    /// Sleeps before the next attempt and returns true, or returns false when `failure` must be
    /// reported: not retryable, output already delivered, or out of retries. Throws when cancelled.
    /// A wait that would outlast `timeLeft` is not started: the failure is reported instead.
    private func waitBeforeRetry(_ failure: Failure, attempt: Int, receivedCharacters: Int,
                                 timeLeft: Double? = nil) async throws -> Bool {
        guard failure.retryable, receivedCharacters == 0,
              let delay = retryPolicy.delay(beforeRetry: attempt, retryAfter: failure.error.retryAfter),
              delay < timeLeft ?? .infinity
        else { return false }
        observer?(.retry(RetryNotice(
            nextAttempt: attempt + 1, delay: delay, fromRetryAfter: failure.error.retryAfter != nil,
            reason: failure.error.message, errorKind: failure.error.kind)))
        try await Task.sleep(nanoseconds: UInt64(delay * 1e9))
        return true
    }

    private func streamFailure(
        _ result: CurlTransfer.Result, reply: ReplyReceiver, url: String, attempts: Int, model: String
    ) -> Failure? {
        let received = reply.deliveredCharacters
        func fail(_ error: ModelError) -> Failure {
            Failure(error: error.with(attempts: attempts, receivedCharacters: received), retryable: false)
        }
        switch reply.problem {
        case .serverError(let message)?:
            return fail(ModelErrors.streamError(url: url, serverMessage: message, received: received))
        case .malformed(let sample)?:
            return fail(ModelErrors.malformed(url: url, what: "an event that is not valid JSON", sample: sample, received: received))
        case .notAStream(let contentType, let sample)?:
            return fail(ModelErrors.malformed(
                url: url, what: "a \(contentType) page instead of an event stream (is the base URL the API's, ending in /v1?)",
                sample: sample, received: received))
        case .tooLarge(let limit, let limitBytes)?:
            return fail(ModelErrors.tooLarge(limit, limitBytes: limitBytes, endpoint, url: url, received: received))
        case nil:
            break
        }
        if result.headersTooLarge {
            return fail(ModelErrors.tooLarge(.headers, limitBytes: reply.limits.headerBytes, endpoint, url: url, received: received))
        }
        if result.idleTimedOut {
            return fail(ModelErrors.timeout(.idle, endpoint, url: url, received: received))
        }
        if var failure = failure(result, body: reply.errorBody, url: url, attempts: attempts, model: model) {
            failure.error = failure.error.with(attempts: attempts, receivedCharacters: received)
            return failure
        }
        if let json = reply.plainJSONBody {
            // A server that ignored `stream: true` and answered with one JSON completion.
            do { try reply.deliverPlainCompletion(json) } catch {
                return fail(ModelErrors.malformed(
                    url: url, what: "a reply that is neither an event stream nor a chat completion",
                    sample: ModelErrors.sample(String(decoding: json, as: UTF8.self)), received: received))
            }
            return nil
        }
        if !reply.sawDone && reply.finishReason == nil {
            // Cut off before any text (a proxy or a restarting server dropped the connection):
            // nothing was lost, so it is retried like a 5xx. Cut off later, it is reported.
            return Failure(error: ModelErrors.truncated(url: url, received: received).with(attempts: attempts),
                           retryable: received == 0)
        }
        return nil
    }

    /// The error for a transfer that failed at the network or HTTP level, or nil when it got a
    /// 2xx response to the end (the body may still be incomplete: callers check that).
    private func failure(_ result: CurlTransfer.Result, body: [UInt8], url: String, attempts: Int, model: String?) -> Failure? {
        let status = result.status
        if result.code != CURLE_OK, !(200..<300).contains(status) || !Self.isCutShort(result.code) {
            if result.code == CURLE_COULDNT_CONNECT {
                return Failure(error: ModelErrors.connectionRefused(endpoint, url: url, attempts: attempts), retryable: true)
            }
            if result.code == CURLE_OPERATION_TIMEDOUT {
                let kind: ModelError.TimeoutKind = result.connected ? .total : .connect
                return Failure(error: ModelErrors.timeout(kind, endpoint, url: url, received: 0), retryable: false)
            }
            if status == 0 || (200..<300).contains(status) {
                // A reset or dropped connection is retried (only if no text arrived); a DNS, TLS
                // or certificate failure would fail the same way again.
                let dropped = [CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE].contains(result.code)
                return Failure(error: ModelErrors.transport(endpoint, url: url, detail: result.detail), retryable: dropped)
            }
        }
        let serverMessage = (200..<300).contains(status) ? nil : ServerErrorBody.message(from: body)
        switch status {
        case 200..<300:
            return nil
        case 401, 403:
            return Failure(error: ModelErrors.unauthorized(endpoint, url: url, status: status, serverMessage: serverMessage), retryable: false)
        case 404:
            return Failure(error: ModelErrors.notFound(endpoint, url: url, model: model, serverMessage: serverMessage, available: nil), retryable: false)
        case 400, 413, 422:
            return Failure(error: ModelErrors.badRequest(endpoint, url: url, status: status, serverMessage: serverMessage), retryable: false)
        case 429:
            let retryAfter = RetryPolicy.parseRetryAfter(result.header("Retry-After"))
            return Failure(error: ModelErrors.rateLimited(endpoint, url: url, retryAfter: retryAfter, serverMessage: serverMessage, attempts: attempts), retryable: true)
        case 500..<600:
            let retryAfter = RetryPolicy.parseRetryAfter(result.header("Retry-After"))
            return Failure(error: ModelErrors.server(endpoint, url: url, status: status, serverMessage: serverMessage, retryAfter: retryAfter, attempts: attempts), retryable: true)
        default:
            return Failure(error: ModelErrors.unexpectedStatus(endpoint, url: url, status: status, serverMessage: serverMessage), retryable: false)
        }
    }

    /// Codes for a 2xx body that stopped early; the stream check then reports it as truncated.
    private static func isCutShort(_ code: CURLcode) -> Bool {
        code == CURLE_PARTIAL_FILE || code == CURLE_RECV_ERROR || code == CURLE_GOT_NOTHING
            || code == CURLE_WRITE_ERROR || code == CURLE_HTTP2_STREAM
    }

    private func modelsIfListed() async -> [String]? {
        (await quickFetch(endpoint.url("models"))).flatMap(Self.modelIDs)
    }

    /// vLLM's `max_model_len` in `/models`, else llama.cpp's `n_ctx` in `/props`, which that
    /// server keeps at its root, beside `/v1`.
    public func reportedContextWindow(model: String) async -> Int? {
        if let body = await quickFetch(endpoint.url("models")), let window = ServerContextWindow.fromModelList(body, model: model) {
            return window
        }
        return await quickFetch(endpoint.serverURL("props")).flatMap(ServerContextWindow.fromProps)
    }

    /// The body of a successful GET with short timeouts, or nil: for optional information.
    private func quickFetch(_ url: String) async -> [UInt8]? {
        var quick = endpoint
        quick.connectTimeout = min(endpoint.connectTimeout, 5)
        quick.idleTimeout = min(endpoint.idleTimeout, 5)
        quick.totalTimeout = min(endpoint.totalTimeout, 10)
        let (result, body, tooLarge) = await fetch(url: url, timeouts: quick)
        guard result.code == CURLE_OK, tooLarge == nil, (200..<300).contains(result.status) else { return nil }
        return body
    }

    /// A GET whose body is read whole; the limit says which size limit closed the transfer.
    private func fetch(url: String, timeouts: ModelEndpoint) async -> (CurlTransfer.Result, [UInt8], ResponseLimit?) {
        let collector = BodyCollector()
        let transfer = CurlTransfer(
            CurlTransfer.Request(
                method: "GET", url: url, headers: headers(accept: "application/json"), body: nil,
                connectTimeout: timeouts.connectTimeout, idleTimeout: timeouts.idleTimeout,
                totalTimeout: timeouts.totalTimeout, caInfo: endpoint.caInfo,
                maxHeaderBytes: ResponseLimits.wholeBody.headerBytes),
            onBody: collector.receive)
        let result = await transfer.run()
        let tooLarge: ResponseLimit? = result.headersTooLarge ? .headers : collector.exceededLimit ? .body : nil
        return (result, collector.bytes, tooLarge)
    }

    private func headers(accept: String) -> [String] {
        var headers = ["Accept: \(accept)", "Content-Type: application/json", "Expect:"]
        if let key = endpoint.apiKey, !key.isEmpty { headers.append("Authorization: Bearer \(key)") }
        return headers
    }

    static func modelIDs(in body: [UInt8]) -> [String]? {
        struct List: Decodable {
            struct Entry: Decodable { var id: String }
            var data: [Entry]
        }
        return (try? JSONDecoder().decode(List.self, from: Data(body)))?.data.map(\.id)
    }

    static func seconds(since start: DispatchTime) -> Double {
        Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
    }
}

/// The consumer's side of a stream with a time limit: hands on the events of the underlying
/// stream until it ends, or until the limit ends it first. Unchecked Sendable: an
/// AsyncThrowingStream's consumer calls its closure for one element at a time, so the state
/// here is never touched by two tasks at once.
private final class DeadlineIterator: @unchecked Sendable {
    private var iterator: AsyncThrowingStream<ModelEvent, Error>.AsyncIterator?

    init(_ iterator: AsyncThrowingStream<ModelEvent, Error>.AsyncIterator) {
        self.iterator = iterator
    }

    var ended: Bool { iterator == nil }
    private(set) var deliveredCharacters = 0

    /// Drops the underlying iterator, which cancels its stream.
    func end() { iterator = nil }

    func next() async throws -> ModelEvent? {
        guard iterator != nil else { return nil }
        do {
            guard let event = try await iterator!.next() else {
                iterator = nil
                return nil
            }
            if case .delta(let text) = event { deliveredCharacters += text.count }
            return event
        } catch {
            iterator = nil
            throw error
        }
    }
}
