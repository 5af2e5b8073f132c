import Foundation

/// How much the client takes from a server before it closes the transfer. A server is not
/// trusted to stop (or to send a line break): without these a stream with no newline, one huge
/// event or an endless body would grow memory until the process dies.
public struct ResponseLimits: Sendable, Equatable {
    /// One SSE line (the bytes between two line breaks).
    public var lineBytes: Int
    /// One SSE event (its `data:` lines together).
    public var eventBytes: Int
    /// The text of one reply (the deltas added up), whatever `max_tokens` the server was sent.
    public var replyBytes: Int
    /// A body read whole: an error body, `/models`, a completion sent as one JSON object.
    public var bodyBytes: Int
    /// All response headers together.
    public var headerBytes: Int

    public init(lineBytes: Int, eventBytes: Int, replyBytes: Int, bodyBytes: Int, headerBytes: Int = 256 * 1024) {
        self.lineBytes = lineBytes
        self.eventBytes = eventBytes
        self.replyBytes = replyBytes
        self.bodyBytes = bodyBytes
        self.headerBytes = headerBytes
    }

    /// Bytes of reply allowed per requested token. A token is about 4 bytes of code; 16 leaves
    /// room for long tokens and multi-byte text without letting a server run on unchecked.
    public static let bytesPerToken = 16
    /// The smallest reply limit, so a small `max_tokens` never cuts a normal reply.
    public static let minimumReplyBytes = 1 << 20
    /// Error bodies only feed a message: their first 64 KiB are plenty.
    public static let errorBodyBytes = 64 * 1024

    /// The limits for a reply of at most `maxTokens` tokens (`--max-diff-tokens`).
    public static func forReply(maxTokens: Int) -> ResponseLimits {
        let reply = max(minimumReplyBytes, max(maxTokens, 0).multipliedReportingOverflow(by: bytesPerToken).partialValue)
        // One event may carry the whole reply (some servers send it in one chunk), and JSON
        // escaping can double it; a line holds at most one event's worth.
        let event = max(4 << 20, reply.multipliedReportingOverflow(by: 2).partialValue)
        return ResponseLimits(lineBytes: event, eventBytes: event, replyBytes: reply, bodyBytes: event + (64 * 1024))
    }

    /// Limits for requests that do not stream a reply (`/models`, a connection check): a model
    /// list of a few hundred models with descriptions is a few MiB.
    public static let wholeBody = ResponseLimits(
        lineBytes: 16 << 20, eventBytes: 16 << 20, replyBytes: 16 << 20, bodyBytes: 16 << 20)

    /// "1 MiB", "64 KiB", "512 bytes": sizes as messages show them.
    static func describe(_ bytes: Int) -> String {
        if bytes >= 1 << 20, bytes % (1 << 20) == 0 { return "\(bytes >> 20) MiB" }
        if bytes >= 1 << 20 { return String(format: "%.1f MiB", Double(bytes) / Double(1 << 20)) }
        if bytes >= 1024, bytes % 1024 == 0 { return "\(bytes >> 10) KiB" }
        return "\(bytes) bytes"
    }
}

/// Which limit a server ran into.
public enum ResponseLimit: String, Sendable, Equatable {
    /// One SSE line without a line break.
    case line
    /// One SSE event.
    case event
    /// The reply's text.
    case reply
    /// A body read whole.
    case body
    /// The response headers.
    case headers
}
