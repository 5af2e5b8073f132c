import Foundation

/// Collects a (small) response body.
final class BodyCollector: @unchecked Sendable {
    static let limit = 1 << 20
    private(set) var bytes: [UInt8] = []

    func receive(status: Int, contentType: String?, chunk: UnsafeRawBufferPointer) -> Bool {
        if bytes.count < Self.limit { bytes.append(contentsOf: chunk.prefix(Self.limit - bytes.count)) }
        return true
    }
}

/// The receiving side of one streamed attempt. Runs on the transfer's thread while the transfer
/// runs, and is read by the client after `run()` returned, so it needs no lock.
final class ReplyReceiver: @unchecked Sendable {
    static let errorBodyLimit = 64 * 1024
    private let continuation: AsyncThrowingStream<ModelEvent, Error>.Continuation
    private let start: DispatchTime
    private var decoder = ChatStreamDecoder()
    private(set) var deliveredCharacters = 0
    private(set) var firstTokenSeconds: Double?
    private(set) var finishReason: String?
    private(set) var usage: TokenUsage?
    private(set) var sawDone = false
    private(set) var problem: ChatStreamProblem?
    /// The body of a non-2xx response, for its error message.
    private(set) var errorBody: [UInt8] = []
    /// The body of a 2xx response that came as `application/json` instead of an event stream.
    private(set) var plainJSONBody: [UInt8]?

    init(continuation: AsyncThrowingStream<ModelEvent, Error>.Continuation, start: DispatchTime) {
        self.continuation = continuation
        self.start = start
    }

    func receive(status: Int, contentType: String?, chunk: UnsafeRawBufferPointer) -> Bool {
        guard (200..<300).contains(status) else {
            if errorBody.count < Self.errorBodyLimit { errorBody.append(contentsOf: chunk.prefix(Self.errorBodyLimit - errorBody.count)) }
            return true
        }
        let type = contentType?.lowercased() ?? ""
        if type.hasPrefix("text/html") {
            // A web page, not an API: usually a base URL pointing at a UI or a proxy's error page.
            problem = .notAStream(contentType: contentType ?? "", sample: ModelErrors.sample(String(decoding: chunk, as: UTF8.self)))
            return false
        }
        if plainJSONBody != nil || type.hasPrefix("application/json") {
            plainJSONBody = (plainJSONBody ?? []) + chunk
            return true
        }
        do {
            for item in try decoder.feed(chunk) { handle(item) }
            return true
        } catch let stop as ChatStreamProblem {
            problem = stop
            return false
        } catch {
            problem = .malformed("\(error)")
            return false
        }
    }

    private func handle(_ item: ChatStreamItem) {
        switch item {
        case .delta(let text):
            if firstTokenSeconds == nil { firstTokenSeconds = OpenAICompatibleClient.seconds(since: start) }
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
        if let content = choice.message.content, !content.isEmpty { handle(.delta(content)) }
        finishReason = choice.finish_reason ?? "stop"
        if let usage = completion.usage {
            self.usage = TokenUsage(promptTokens: usage.promptTokens ?? 0, completionTokens: usage.completionTokens ?? 0)
        }
    }
}
