import Foundation

/// What one `chat.completion.chunk` event means to the client.
enum ChatStreamItem: Equatable {
    case delta(String)
    case finishReason(String)
    case usage(TokenUsage)
    case done
}

/// Why a stream event could not be turned into items.
enum ChatStreamProblem: Error, Equatable {
    /// The server put an error object in the stream.
    case serverError(String)
    /// The event is not the JSON it should be.
    case malformed(String)
    /// The response is not an event stream at all (an HTML page).
    case notAStream(contentType: String, sample: String)
    /// The server sent more than one of the client's limits allows.
    case tooLarge(ResponseLimit, limitBytes: Int)
}

/// Turns the bytes of an OpenAI-style chat completion stream into deltas, the finish reason,
/// usage and `[DONE]`.
struct ChatStreamDecoder {
    private var parser: SSEParser
    private let decoder = JSONDecoder()

    init(limits: ResponseLimits = .forReply(maxTokens: 0)) {
        parser = SSEParser(maxLineBytes: limits.lineBytes, maxEventBytes: limits.eventBytes)
    }

    mutating func feed<Bytes: Sequence>(_ bytes: Bytes) throws -> [ChatStreamItem] where Bytes.Element == UInt8 {
        var items: [ChatStreamItem] = []
        for event in parser.feed(bytes) {
            try decode(event, into: &items)
        }
        switch parser.exceededLimit {
        case .line?: throw ChatStreamProblem.tooLarge(.line, limitBytes: parser.maxLineBytes)
        case .event?: throw ChatStreamProblem.tooLarge(.event, limitBytes: parser.maxEventBytes)
        default: return items
        }
    }

    func decode(_ event: SSEEvent, into items: inout [ChatStreamItem]) throws {
        // Foundation's trimming is slow enough to show per token; only trim when needed.
        var text = event.data
        if text.first == " " || text.last == " " { text = text.trimmingCharacters(in: .whitespaces) }
        if text == "[DONE]" {
            items.append(.done)
            return
        }
        if text.isEmpty { return }
        let chunk: StreamChunk
        do {
            chunk = try decoder.decode(StreamChunk.self, from: Data(text.utf8))
        } catch {
            if event.type == "error" { throw ChatStreamProblem.serverError(ModelErrors.sample(text)) }
            throw ChatStreamProblem.malformed(ModelErrors.sample(text))
        }
        if let message = chunk.errorMessage ?? (event.type == "error" ? ModelErrors.sample(text) : nil) {
            throw ChatStreamProblem.serverError(message)
        }
        for choice in chunk.choices ?? [] where (choice.index ?? 0) == 0 {
            if let content = choice.delta?.content ?? choice.text, !content.isEmpty {
                items.append(.delta(content))
            }
            if let reason = choice.finishReason { items.append(.finishReason(reason)) }
        }
        if let usage = chunk.usage {
            items.append(.usage(TokenUsage(promptTokens: usage.promptTokens ?? 0, completionTokens: usage.completionTokens ?? 0)))
        }
    }
}

/// The parts of a `chat.completion.chunk` the client reads. Everything optional: servers differ.
struct StreamChunk: Decodable {
    struct Choice: Decodable {
        struct Delta: Decodable {
            var content: String?
        }
        var index: Int?
        var delta: Delta?
        /// Legacy completions-style chunks carry `text` instead of `delta`.
        var text: String?
        var finishReason: String?

        enum CodingKeys: String, CodingKey {
            case index, delta, text
            case finishReason = "finish_reason"
        }
    }
    struct Usage: Decodable {
        var promptTokens: Int?
        var completionTokens: Int?

        enum CodingKeys: String, CodingKey {
            case promptTokens = "prompt_tokens"
            case completionTokens = "completion_tokens"
        }
    }

    var choices: [Choice]?
    var usage: Usage?
    var errorMessage: String?

    enum CodingKeys: String, CodingKey {
        case choices, usage, error, object, message
    }

    init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        choices = try container.decodeIfPresent([Choice].self, forKey: .choices)
        usage = try? container.decodeIfPresent(Usage.self, forKey: .usage)
        if container.contains(.error), !(try container.decodeNil(forKey: .error)) {
            errorMessage = ServerErrorBody.message(fromErrorField: try container.decode(JSONValue.self, forKey: .error))
                ?? "unspecified error"
        } else if (try? container.decodeIfPresent(String.self, forKey: .object)) == "error" {
            // vLLM's older streaming errors: {"object":"error","message":...,"code":400}
            errorMessage = (try? container.decodeIfPresent(String.self, forKey: .message)) ?? "unspecified error"
        }
    }
}

/// Pulls the human message out of the error bodies OpenAI-compatible servers send:
/// `{"error":{"message":...}}`, `{"error":"..."}`, `{"object":"error","message":...}` (vLLM),
/// `{"detail":...}` (FastAPI validation), or plain text.
enum ServerErrorBody {
    static func message(from body: [UInt8]) -> String? {
        let text = String(decoding: body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { return nil }
        guard let value = JSONValue.parse(text), case .object(let members) = value else {
            return ModelErrors.sample(text)
        }
        if let error = members["error"], let message = message(fromErrorField: error) { return message }
        if case .string(let message)? = members["message"] { return message }
        if let detail = members["detail"] {
            if case .string(let message) = detail { return message }
            return ModelErrors.sample(detail.jsonText)
        }
        return ModelErrors.sample(text)
    }

    static func message(fromErrorField error: JSONValue) -> String? {
        switch error {
        case .string(let message): return message
        case .object(let fields):
            if case .string(let message)? = fields["message"] { return message }
            return ModelErrors.sample(error.jsonText)
        case .null: return nil
        default: return ModelErrors.sample(error.jsonText)
        }
    }
}
