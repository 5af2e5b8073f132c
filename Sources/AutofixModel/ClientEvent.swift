import AutofixSupport

/// What the client is doing, for a progress line or a debug log. Carries no API key and no
/// prompt text, so it is safe to print or store.
public enum ModelClientEvent: Sendable, Equatable, CustomStringConvertible {
    /// An HTTP request is going out (attempt counts from 1).
    case request(method: String, url: String, attempt: Int, bodyBytes: Int)
    /// The response status line arrived.
    case response(status: Int, url: String)
    /// The request failed in a way worth retrying; the next attempt starts after `delay` seconds.
    case retry(RetryNotice)
    /// The reply ended normally.
    case finished(ModelFinish)

    public var description: String {
        switch self {
        case .request(let method, let url, let attempt, let bytes):
            return "\(method) \(url) (attempt \(attempt), \(bytes) bytes)"
        case .response(let status, let url):
            return "HTTP \(status) from \(url)"
        case .retry(let notice):
            return "retrying in \(DurationText.format(notice.delay)): \(notice.reason)"
        case .finished(let finish):
            let tokens = finish.usage.map { ", \($0.promptTokens) prompt + \($0.completionTokens) completion tokens" } ?? ""
            return "finished (\(finish.finishReason ?? "no reason")) in \(DurationText.format(finish.totalSeconds))\(tokens)"
        }
    }
}

public struct RetryNotice: Sendable, Equatable {
    /// The attempt that is about to start (2 for the first retry).
    public var nextAttempt: Int
    public var delay: Double
    /// True when the delay is the server's own `Retry-After`.
    public var fromRetryAfter: Bool
    public var reason: String
    public var errorKind: ModelError.Kind
}
