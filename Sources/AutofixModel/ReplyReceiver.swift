import Foundation

/// Collects a response body read whole, up to `limit` bytes (an error body: up to `errorLimit`).
/// A body that goes past it stops the transfer at once and sets `exceededLimit`. Unchecked
/// Sendable: filled on the transfer's thread while it runs, read only after `run()` returned.
final class BodyCollector: @unchecked Sendable {
    let limit: Int
    let errorLimit: Int
    private(set) var bytes: [UInt8] = []
    private(set) var exceededLimit = false

    init(limit: Int = ResponseLimits.wholeBody.bodyBytes, errorLimit: Int = ResponseLimits.errorBodyBytes) {
        self.limit = limit
        self.errorLimit = errorLimit
    }

    func receive(status: Int, contentType: String?, chunk: UnsafeRawBufferPointer) -> Bool {
        let room = ((200..<300).contains(status) ? limit : errorLimit) - bytes.count
        if chunk.count > room {
            bytes.append(contentsOf: chunk.prefix(max(room, 0)))
            exceededLimit = true
            return false
        }
        bytes.append(contentsOf: chunk)
        return true
    }
}

/// The receiving side of one streamed attempt. Runs on the transfer's thread while the transfer
/// runs, and is read by the client after `run()` returned, so it needs no lock (hence the
/// unchecked Sendable).
final class ReplyReceiver: @unchecked Sendable {
    private let continuation: AsyncThrowingStream<ModelEvent, Error>.Continuation
    private let start: DispatchTime
    let limits: ResponseLimits
    private var decoder: ChatStreamDecoder
    private(set) var deliveredCharacters = 0
    /// UTF-8 bytes of text delivered, counted against `limits.replyBytes`.
    private(set) var deliveredBytes = 0
    private(set) var firstTokenSeconds: Double?
    private(set) var finishReason: String?
    private(set) var usage: TokenUsage?
    private(set) var sawDone = false
    private(set) var problem: ChatStreamProblem?
    /// The body of a non-2xx response, for its error message (its first `errorBodyBytes`).
    private(set) var errorBody: [UInt8] = []
    /// The body of a 2xx response that came as `application/json` instead of an event stream.
    private(set) var plainJSONBody: [UInt8]?

    init(continuation: AsyncThrowingStream<ModelEvent, Error>.Continuation, start: DispatchTime,
         limits: ResponseLimits = .forReply(maxTokens: 0)) {
        self.continuation = continuation
        self.start = start
        self.limits = limits
        decoder = ChatStreamDecoder(limits: limits)
    }

    /// Returns false to close the transfer: the stream is wrong, or a limit was reached.
    func receive(status: Int, contentType: String?, chunk: UnsafeRawBufferPointer) -> Bool {
        guard (200..<300).contains(status) else {
            // The status already says what went wrong; the body's start is enough for its message.
            let room = ResponseLimits.errorBodyBytes - errorBody.count
            errorBody.append(contentsOf: chunk.prefix(max(room, 0)))
            return chunk.count < room
        }
        let type = contentType?.lowercased() ?? ""
        if type.hasPrefix("text/html") {
            // A web page, not an API: usually a base URL pointing at a UI or a proxy's error page.
            problem = .notAStream(contentType: contentType ?? "", sample: ModelErrors.sample(String(decoding: chunk, as: UTF8.self)))
            return false
        }
        if plainJSONBody != nil || type.hasPrefix("application/json") {
            if plainJSONBody == nil { plainJSONBody = [] }
            guard plainJSONBody!.count + chunk.count <= limits.bodyBytes else {
                plainJSONBody = nil
                problem = .tooLarge(.body, limitBytes: limits.bodyBytes)
                return false
            }
            plainJSONBody!.append(contentsOf: chunk)
            return true
        }
        do {
            for item in try decoder.feed(chunk) { try handle(item) }
            return true
        } catch let stop as ChatStreamProblem {
            problem = stop
            return false
        } catch {
            problem = .malformed("\(error)")
            return false
        }
    }

    /// Throws `.tooLarge(.reply)` instead of delivering text past the reply limit: the client
    /// holds the reply to what was asked for, whatever `max_tokens` the server honoured.
    private func handle(_ item: ChatStreamItem) throws {
        switch item {
        case .delta(let text):
            let bytes = text.utf8.count
            guard deliveredBytes + bytes <= limits.replyBytes else {
                throw ChatStreamProblem.tooLarge(.reply, limitBytes: limits.replyBytes)
            }
            if firstTokenSeconds == nil { firstTokenSeconds = OpenAICompatibleClient.seconds(since: start) }
            deliveredBytes += bytes
            deliveredCharacters += text.count
            continuation.yield(.delta(text))
        case .finishReason(let reason): finishReason = reason
        case .usage(let value): usage = value
        case .done: sawDone = true
        }
    }

    func deliverPlainCompletion(_ body: [UInt8]) throws {
        struct Completion: Decodable {
            struct Choice: Decodable {
                struct Message: Decodable { var content: String? }
                var message: Message
                var finish_reason: String?
            }
            var choices: [Choice]
            var usage: StreamChunk.Usage?
        }
        let completion = try JSONDecoder().decode(Completion.self, from: Data(body))
        guard let choice = completion.choices.first else { throw ChatStreamProblem.malformed("no choices") }
        if let content = choice.message.content, !content.isEmpty { try handle(.delta(content)) }
        finishReason = choice.finish_reason ?? "stop"
        if let usage = completion.usage {
            self.usage = TokenUsage(promptTokens: usage.promptTokens ?? 0, completionTokens: usage.completionTokens ?? 0)
        }
    }
}
