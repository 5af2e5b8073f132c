import Foundation
import AutofixSupport

/// Why talking to the model failed, with what a user needs to fix it. Never contains the API key:
/// messages name the variable it came from instead.
public struct ModelError: AutofixError, Equatable {
    public enum Kind: Sendable, Equatable {
        /// Nothing listens at the endpoint.
        case connectionRefused
        /// Other network failures before an HTTP answer (DNS, TLS, reset).
        case transport
        /// HTTP 401 or 403.
        case unauthorized
        /// HTTP 404: unknown model or wrong base URL.
        case notFound
        /// HTTP 400/422: the server rejected the request (context too long, bad field).
        case badRequest
        /// HTTP 429 still after all retries.
        case rateLimited
        /// HTTP 5xx still after all retries.
        case server
        /// Another HTTP status the client does not handle.
        case unexpectedStatus
        /// The server sent an error object inside the stream.
        case streamError
        /// A stream event or reply body that is not the JSON it should be.
        case malformedStream
        /// The stream ended without `[DONE]` or a finish reason.
        case truncatedStream
        case timeout(TimeoutKind)
        /// The consuming task was cancelled.
        case cancelled
        /// The server sent more than a limit allows (a line, an event, the reply, a body); the
        /// transfer was closed at once.
        case responseTooLarge(ResponseLimit)
        /// The endpoint URL is malformed or not http/https. A usage error (exit 2): no request
        /// was made.
        case invalidEndpoint
    }

    public enum TimeoutKind: String, Sendable, Equatable {
        case connect, idle, total
        /// The caller's time limit for the request (`ChatRequest.timeLimit`) ran out.
        case timeLimit
    }

    public let kind: Kind
    public let message: String
    public let hint: String?
    /// The URL requested.
    public let url: String
    /// The HTTP status, when the server answered.
    public let status: Int?
    /// The server's own error text, when it sent one.
    public let serverMessage: String?
    /// `Retry-After` in seconds, for 429 and 503.
    public let retryAfter: Double?
    /// Models the server lists at `/models`, gathered when the model was not found.
    public let availableModels: [String]?
    /// HTTP requests made, retries included.
    public let attempts: Int
    /// Text already delivered to the consumer before the failure.
    public let receivedCharacters: Int

    public var category: ExitCategory { kind == .invalidEndpoint ? .usage : .model }

    public init(
        kind: Kind, message: String, hint: String? = nil, url: String, status: Int? = nil,
        serverMessage: String? = nil, retryAfter: Double? = nil, availableModels: [String]? = nil,
        attempts: Int = 1, receivedCharacters: Int = 0
    ) {
        // Credentials in the URL never leave this type, whichever message forgot to redact them.
        // The full `user:password@` only occurs in a URL; a password alone is hidden too when it
        // is long enough not to match ordinary words.
        let secret = ModelEndpoint.credentials(in: url).map(String.init)
        var password: String?
        if let secret, let colon = secret.firstIndex(of: ":") { password = String(secret[secret.index(after: colon)...]) }
        func scrub(_ text: String) -> String {
            guard let secret, !secret.isEmpty, secret != "***" else { return text }
            var text = text.replacingOccurrences(of: secret + "@", with: "***@")
            if let password, password.count >= 6 { text = text.replacingOccurrences(of: password, with: "***") }
            return text
        }
        self.kind = kind
        self.message = scrub(message)
        self.hint = hint.map(scrub)
        self.url = ModelEndpoint.redacted(url)
        self.status = status
        self.serverMessage = serverMessage.map(scrub)
        self.retryAfter = retryAfter
        self.availableModels = availableModels
        self.attempts = attempts
        self.receivedCharacters = receivedCharacters
    }

    func with(attempts: Int? = nil, receivedCharacters: Int? = nil, availableModels: [String]? = nil) -> ModelError {
        ModelError(
            kind: kind, message: message, hint: hint, url: url, status: status, serverMessage: serverMessage,
            retryAfter: retryAfter, availableModels: availableModels ?? self.availableModels,
            attempts: attempts ?? self.attempts, receivedCharacters: receivedCharacters ?? self.receivedCharacters)
    }
}

/// Builds the messages. One place, so wording stays consistent and testable.
enum ModelErrors {
    static let keyVariables = ModelEndpoint.apiKeyVariables.joined(separator: ", ")

    static func connectionRefused(_ endpoint: ModelEndpoint, url: String, attempts: Int) -> ModelError {
        ModelError(
            kind: .connectionRefused,
            message: "no model server at \(endpoint.redactedBaseURL) (connection refused after \(attempts) attempt\(attempts == 1 ? "" : "s"))",
            hint: "start one, e.g. `vllm serve \(ModelEndpoint.defaultModel)`, or set the endpoint with `git config autofix.endpoint URL` (or AUTOFIX_ENDPOINT)",
            url: url, attempts: attempts)
    }

    static func transport(_ endpoint: ModelEndpoint, url: String, detail: String) -> ModelError {
        let certificate = detail.localizedCaseInsensitiveContains("certificate")
        return ModelError(
            kind: .transport, message: "could not talk to the model server at \(endpoint.redactedBaseURL): \(detail)",
            hint: certificate
                ? "its certificate is not trusted; if a private CA signed it, point git config autofix.sslCAInfo (or AUTOFIX_SSL_CAINFO) at that CA's PEM file"
                : "check that autofix.endpoint is right and the server is reachable", url: url)
    }

    static func timeout(_ kind: ModelError.TimeoutKind, _ endpoint: ModelEndpoint, url: String, received: Int) -> ModelError {
        let message: String
        let hint: String
        switch kind {
        case .connect:
            message = "could not connect to \(endpoint.redactedBaseURL) within \(DurationText.format(endpoint.connectTimeout))"
            hint = "check that the server is up and reachable, or raise the connect timeout"
        case .idle:
            message = "the model server at \(endpoint.redactedBaseURL) sent nothing for \(DurationText.format(endpoint.idleTimeout))"
                + (received > 0 ? " after \(received) characters" : "")
            hint = "the server may be overloaded or stuck; check its log, or raise the idle timeout for slow prompt processing"
        case .total:
            message = "the request to \(endpoint.redactedBaseURL) took longer than \(DurationText.format(endpoint.totalTimeout))"
            hint = "raise the total timeout, or lower max_tokens"
        case .timeLimit:
            message = "the time allowed for this request ran out before the model at \(endpoint.redactedBaseURL) finished its reply"
                + (received > 0 ? " (\(received) characters received)" : "")
            hint = "allow more time (git autofix --timeout, or autofix.timeout)"
        }
        return ModelError(kind: .timeout(kind), message: message, hint: hint, url: url, receivedCharacters: received)
    }

    static func unauthorized(_ endpoint: ModelEndpoint, url: String, status: Int, serverMessage: String?) -> ModelError {
        let message: String
        let hint: String
        if let source = endpoint.apiKeySource {
            message = "the model server at \(endpoint.redactedBaseURL) rejected the API key from \(source) (HTTP \(status))"
                + (serverMessage.map { ": \($0)" } ?? "")
            hint = "check the key in \(source), or name another variable with --api-key-env NAME"
        } else {
            message = "the model server at \(endpoint.redactedBaseURL) needs an API key (HTTP \(status))"
                + (serverMessage.map { ": \($0)" } ?? "")
            hint = "export the key in one of \(keyVariables), or name the variable with --api-key-env NAME"
        }
        return ModelError(kind: .unauthorized, message: message, hint: hint, url: url, status: status, serverMessage: serverMessage)
    }

    static func notFound(_ endpoint: ModelEndpoint, url: String, model: String?, serverMessage: String?, available: [String]?) -> ModelError {
        var message = "HTTP 404 from \(ModelEndpoint.redacted(url)): "
        message += model.map { "the server does not know the model \"\($0)\", or \(endpoint.redactedBaseURL) is not the right base URL" }
            ?? "\(endpoint.redactedBaseURL) is not the right base URL"
        if let serverMessage { message += " (\(serverMessage))" }
        let hint: String
        if let available, !available.isEmpty {
            hint = "the server serves: \(available.joined(separator: ", ")); set one with `git config autofix.model NAME`"
        } else if available != nil {
            hint = "the server lists no models at \(ModelEndpoint.redacted(endpoint.url("models")))"
        } else {
            hint = "\(ModelEndpoint.redacted(endpoint.url("models"))) did not answer either: the base URL usually ends in /v1 (e.g. \(ModelEndpoint.defaultBaseURL))"
        }
        return ModelError(
            kind: .notFound, message: message, hint: hint, url: url, status: 404, serverMessage: serverMessage,
            availableModels: available)
    }

    static func badRequest(_ endpoint: ModelEndpoint, url: String, status: Int, serverMessage: String?) -> ModelError {
        ModelError(
            kind: .badRequest,
            message: "the model server rejected the request (HTTP \(status)): \(serverMessage ?? "no reason given")",
            hint: "if the prompt is too long for the model's context, lower the context budget or max_tokens; if a field is rejected, check the extra request fields in the configuration",
            url: url, status: status, serverMessage: serverMessage)
    }

    static func rateLimited(_ endpoint: ModelEndpoint, url: String, retryAfter: Double?, serverMessage: String?, attempts: Int) -> ModelError {
        ModelError(
            kind: .rateLimited,
            message: "the model server at \(endpoint.redactedBaseURL) is rate limiting (HTTP 429) after \(attempts) attempts"
                + (serverMessage.map { ": \($0)" } ?? ""),
            hint: retryAfter.map { "it asks to wait \(DurationText.format($0)); try again later" } ?? "try again later, or check your plan's limits",
            url: url, status: 429, serverMessage: serverMessage, retryAfter: retryAfter, attempts: attempts)
    }

    static func server(_ endpoint: ModelEndpoint, url: String, status: Int, serverMessage: String?, retryAfter: Double?, attempts: Int) -> ModelError {
        ModelError(
            kind: .server,
            message: "the model server at \(endpoint.redactedBaseURL) failed (HTTP \(status)) after \(attempts) attempt\(attempts == 1 ? "" : "s")"
                + (serverMessage.map { ": \($0)" } ?? ""),
            hint: "check the server's log; it may still be loading the model or be out of memory",
            url: url, status: status, serverMessage: serverMessage, retryAfter: retryAfter, attempts: attempts)
    }

    static func unexpectedStatus(_ endpoint: ModelEndpoint, url: String, status: Int, serverMessage: String?) -> ModelError {
        ModelError(
            kind: .unexpectedStatus,
            message: "unexpected HTTP \(status) from \(ModelEndpoint.redacted(url))" + (serverMessage.map { ": \($0)" } ?? ""),
            hint: "check that \(endpoint.redactedBaseURL) is an OpenAI-compatible endpoint",
            url: url, status: status, serverMessage: serverMessage)
    }

    static func streamError(url: String, serverMessage: String, received: Int) -> ModelError {
        ModelError(
            kind: .streamError, message: "the model server reported an error mid-stream: \(serverMessage)",
            hint: "check the server's log; the request may be too long for the model", url: url, status: 200,
            serverMessage: serverMessage, receivedCharacters: received)
    }

    static func malformed(url: String, what: String, sample: String, received: Int) -> ModelError {
        ModelError(
            kind: .malformedStream, message: "the model server sent \(what): \(sample)",
            hint: "check that the endpoint is OpenAI-compatible and streams chat.completion.chunk events",
            url: url, status: 200, receivedCharacters: received)
    }

    static func truncated(url: String, received: Int) -> ModelError {
        ModelError(
            kind: .truncatedStream,
            message: "the reply stream from \(ModelEndpoint.redacted(url)) ended without [DONE] or a finish reason, after \(received) characters",
            hint: "the server may have crashed or dropped the connection; check its log and run again",
            url: url, status: 200, receivedCharacters: received)
    }

    static func cancelled(url: String, received: Int) -> ModelError {
        ModelError(kind: .cancelled, message: "the model request was cancelled", url: url, receivedCharacters: received)
    }

    static func invalidEndpoint(url: String, problem: String) -> ModelError {
        ModelError(
            kind: .invalidEndpoint, message: "invalid model endpoint: \(problem)",
            hint: "set an http or https base URL such as \(ModelEndpoint.defaultBaseURL) with --endpoint, `git config autofix.endpoint URL` or AUTOFIX_ENDPOINT",
            url: url, attempts: 0)
    }

    static func tooLarge(_ limit: ResponseLimit, limitBytes: Int, _ endpoint: ModelEndpoint, url: String, received: Int) -> ModelError {
        let size = ResponseLimits.describe(limitBytes)
        let server = "the model server at \(endpoint.redactedBaseURL)"
        let message: String
        let hint: String
        switch limit {
        case .line:
            message = "\(server) sent more than \(size) without a line break; the stream was closed"
            hint = "an OpenAI-compatible server streams short `data:` lines; check that the endpoint is one (and not a proxy or a file server)"
        case .event:
            message = "\(server) sent a single stream event of more than \(size); the stream was closed"
            hint = "check that the endpoint is an OpenAI-compatible server that streams chat.completion.chunk events"
        case .reply:
            message = "\(server) sent a reply of more than \(size), more than the completion token limit allows; the stream was closed"
                + (received > 0 ? " after \(received) characters" : "")
            hint = "the server did not stop at max_tokens; if such long replies are wanted, raise --max-diff-tokens (autofix.maxDiffTokens)"
        case .body:
            message = "\(server) sent a response body of more than \(size); the transfer was closed"
            hint = "check that the endpoint is an OpenAI-compatible API and not a file or media server"
        case .headers:
            message = "\(server) sent more than \(size) of response headers; the transfer was closed"
            hint = "check that the endpoint is an OpenAI-compatible API, and any proxy in front of it"
        }
        return ModelError(kind: .responseTooLarge(limit), message: message, hint: hint, url: url, receivedCharacters: received)
    }

    /// A short, single-line excerpt for messages.
    static func sample(_ text: String, limit: Int = 200) -> String {
        let flat = text.replacingOccurrences(of: "\n", with: "\\n")
        return flat.count > limit ? String(flat.prefix(limit)) + "…" : flat
    }
}
