import Foundation

/// When to try a request again: exponential backoff with jitter, or the server's `Retry-After`.
struct RetryPolicy: Sendable {
    var maxRetries: Int
    var baseDelay: Double
    var maxDelay: Double
    /// A factor in [0.5, 1]; spreads clients that failed together so they do not return together.
    var jitter: @Sendable () -> Double = { Double.random(in: 0.5...1) }

    init(endpoint: ModelEndpoint) {
        maxRetries = endpoint.maxRetries
        baseDelay = endpoint.retryBaseDelay
        maxDelay = endpoint.maxRetryDelay
    }

    /// Seconds to wait before retry number `retry` (1-based), or nil to give up: out of retries,
    /// or the server asks for a longer wait than `maxDelay`.
    func delay(beforeRetry retry: Int, retryAfter: Double?) -> Double? {
        guard retry <= maxRetries else { return nil }
        if let retryAfter {
            return retryAfter <= maxDelay ? retryAfter : nil
        }
        let exponential = baseDelay * pow(2, Double(retry - 1))
        return min(maxDelay, exponential) * jitter()
    }

    /// `Retry-After` as seconds: a number of seconds or an HTTP date.
    static func parseRetryAfter(_ value: String?, now: Date = Date()) -> Double? {
        guard let value = value?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        if let seconds = Double(value) { return max(0, seconds) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: value) else { return nil }
        return max(0, date.timeIntervalSince(now))
    }
}
