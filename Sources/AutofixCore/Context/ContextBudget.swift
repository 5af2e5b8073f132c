import Foundation

/// How much a run's requests may hold: the model's context window, less the room its reply
/// needs, less a margin for the estimate of four characters per token (code often takes three).
public struct ContextBudget: Sendable, Equatable {
    public static let defaultWindow = 32_000

    /// The whole context window in tokens: prompt and reply.
    public let window: Int
    /// Where the window came from, for the user.
    public let source: String
    /// Tokens the reply may take (`max_tokens`): at most half the window.
    public let completionTokens: Int

    public init(window: Int, source: String, maxCompletionTokens: Int) {
        self.window = window
        self.source = source
        completionTokens = max(16, min(maxCompletionTokens, window / 2))
    }

    /// The configured window, else the one the server reports, else 32,000 tokens.
    public static func resolve(configured: Int?, reported: Int?, maxCompletionTokens: Int) -> ContextBudget {
        if let configured {
            return ContextBudget(window: configured, source: "configured", maxCompletionTokens: maxCompletionTokens)
        }
        if let reported {
            return ContextBudget(window: reported, source: "reported by the server", maxCompletionTokens: maxCompletionTokens)
        }
        return ContextBudget(window: defaultWindow, source: "default", maxCompletionTokens: maxCompletionTokens)
    }

    /// Estimated tokens (`PromptBuilder.estimatedTokens`) all messages of one request may take.
    public var promptTokens: Int { (window - completionTokens) * 3 / 4 }

    /// The share of `promptTokens` for the first message: the rest is for later rounds.
    public var firstMessageTokens: Int { promptTokens * 6 / 10 }

    /// The share for what the model is told after a round.
    public var feedbackTokens: Int { promptTokens / 5 }
}
