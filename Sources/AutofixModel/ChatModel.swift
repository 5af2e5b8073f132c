import AutofixSupport

/// One message of a chat conversation, as OpenAI-compatible servers take it.
public struct ChatMessage: Codable, Sendable, Equatable {
    public enum Role: String, Codable, Sendable { case system, user, assistant }
    public var role: Role
    public var content: String

    public init(role: Role, content: String) {
        self.role = role
        self.content = content
    }
}

/// Token counts reported by the server (absent when the server does not send them).
public struct TokenUsage: Codable, Sendable, Equatable {
    public var promptTokens: Int
    public var completionTokens: Int

    public init(promptTokens: Int, completionTokens: Int) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
    }
}

/// One streamed chat completion request. Defaults follow the reference deployment.
public struct ChatRequest: Sendable {
    public var model: String
    public var messages: [ChatMessage]
    public var temperature: Double = 0.15
    public var topP: Double = 0.95
    public var maxTokens: Int = 2048
    public var stop: [String] = []
    public var seed: Int? = nil
    /// Server-specific fields sent as given (for example vLLM's `repetition_penalty`, Ollama's
    /// `options`). They override the fields above of the same name; `model`, `messages` and
    /// `stream` are the client's own and cannot be overridden.
    public var extraFields: [String: JSONValue] = [:]
    /// Seconds the whole call may take, retries included, when less than the endpoint's own
    /// total timeout (a run's remaining time budget). Running out ends the stream with a
    /// `.timeout(.timeLimit)` error and aborts the transfer.
    public var timeLimit: Double? = nil

    public init(model: String, messages: [ChatMessage]) {
        self.model = model
        self.messages = messages
    }
}

/// How a streamed reply ended.
public struct ModelFinish: Sendable, Equatable {
    public var finishReason: String?
    public var usage: TokenUsage?
    /// Seconds from the `stream` call to the first text delta (including any retries).
    public var timeToFirstToken: Double?
    /// Seconds from the `stream` call to the end of the reply.
    public var totalSeconds: Double
    /// How many HTTP requests it took (more than 1 when the server was busy or not up yet).
    public var attempts: Int

    public init(
        finishReason: String?, usage: TokenUsage?, timeToFirstToken: Double?, totalSeconds: Double, attempts: Int = 1
    ) {
        self.finishReason = finishReason
        self.usage = usage
        self.timeToFirstToken = timeToFirstToken
        self.totalSeconds = totalSeconds
        self.attempts = attempts
    }
}

/// What a stream yields: text as it arrives, then exactly one `finished`.
public enum ModelEvent: Sendable, Equatable {
    case delta(String)
    case finished(ModelFinish)
}

/// The one thing the repair loop needs from a model. Cancelling the consuming task aborts the
/// transfer.
public protocol ChatModel: Sendable {
    func stream(_ request: ChatRequest) -> AsyncThrowingStream<ModelEvent, Error>
    /// Throws when the model cannot be reached at all, so a run can stop before spending time
    /// on its baseline tests. Anything more (a wrong key, an unknown model) is left to the
    /// first request, which reports it in full.
    func checkReachable() async throws
    /// The context window the server reports for `model`, in tokens; nil when it reports none.
    func reportedContextWindow(model: String) async -> Int?
}

extension ChatModel {
    public func checkReachable() async throws {}
    public func reportedContextWindow(model: String) async -> Int? { nil }
}
