import AutofixSupport
import Foundation

/// Where the model server is and how patient to be with it.
public struct ModelEndpoint: Sendable {
    /// The environment variables an API key is read from, in order, when none is named.
    public static let apiKeyVariables = ["AUTOFIX_API_KEY", "MISTRAL_API_KEY", "OPENAI_API_KEY"]
    public static let defaultBaseURL = "http://localhost:8000/v1"
    public static let defaultModel = "mistralai/Devstral-Small-2505"

    /// The OpenAI-compatible base URL, ending in `/v1` (a trailing slash is ignored).
    public var baseURL: String
    /// Sent as `Authorization: Bearer …`; never logged or shown.
    public var apiKey: String?
    /// The environment variable the key came from, so messages can name it without showing it.
    public var apiKeySource: String?
    /// Seconds to establish the TCP (and TLS) connection.
    public var connectTimeout: Double
    /// Seconds without a single byte from the server before giving up. Includes the wait for the
    /// first token, which on a long prompt is the server's prompt processing.
    public var idleTimeout: Double
    /// Seconds for one whole request, retries not counted.
    public var totalTimeout: Double
    /// Extra attempts after connection refused, 429 or 5xx, only before any text arrived.
    public var maxRetries: Int
    /// First backoff delay in seconds; doubles each retry, with jitter, capped at `maxRetryDelay`.
    public var retryBaseDelay: Double
    public var maxRetryDelay: Double
    /// A PEM file of certificate authorities to trust for https instead of the system's, for a
    /// server whose certificate a private CA signed (`autofix.sslCAInfo`).
    public var caInfo: String?

    public init(
        baseURL: String = ModelEndpoint.defaultBaseURL,
        apiKey: String? = nil,
        apiKeySource: String? = nil,
        connectTimeout: Double = 10,
        idleTimeout: Double = 120,
        totalTimeout: Double = 600,
        maxRetries: Int = 3,
        retryBaseDelay: Double = 0.5,
        maxRetryDelay: Double = 30
    ) {
        self.baseURL = baseURL
        self.apiKey = apiKey
        self.apiKeySource = apiKeySource
        self.connectTimeout = connectTimeout
        self.idleTimeout = idleTimeout
        self.totalTimeout = totalTimeout
        self.maxRetries = maxRetries
        self.retryBaseDelay = retryBaseDelay
        self.maxRetryDelay = maxRetryDelay
    }

    /// The key and the variable it came from: `preferredVariable` alone when given (as with
    /// `--api-key-env NAME`), else the first non-empty of `apiKeyVariables`.
    public static func resolveAPIKey(
        environment: [String: String], preferredVariable: String? = nil
    ) -> (key: String, source: String)? {
        let candidates = preferredVariable.map { [$0] } ?? apiKeyVariables
        for name in candidates {
            if let value = environment[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty {
                return (value, name)
            }
        }
        return nil
    }

    /// An endpoint with the key looked up in `environment` (see `resolveAPIKey`). Without a key
    /// the endpoint still works for servers that need none; a variable named with
    /// `--api-key-env` that is unset or empty is a usage error, so a typo is not silently ignored.
    /// A URL that is not http or https, or malformed, is a `ModelError` of kind `.invalidEndpoint`
    /// (category `.usage`, exit 2), thrown before any request.
    public static func resolved(
        baseURL: String, environment: [String: String], apiKeyVariable: String? = nil, caInfo: String? = nil
    ) throws -> ModelEndpoint {
        let key = resolveAPIKey(environment: environment, preferredVariable: apiKeyVariable)
        if let apiKeyVariable, key == nil {
            throw UsageError("--api-key-env \(apiKeyVariable): that environment variable is not set or is empty",
                             hint: "export \(apiKeyVariable)=..., or leave out --api-key-env to use \(apiKeyVariables.joined(separator: ", "))")
        }
        try validate(baseURL)
        var endpoint = ModelEndpoint(baseURL: baseURL, apiKey: key?.key, apiKeySource: key?.source)
        endpoint.caInfo = caInfo
        return endpoint
    }

    /// `baseURL` without trailing slashes, then `/` and `path`.
    func url(_ path: String) -> String {
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        return base + "/" + path
    }

    /// `path` at the server's root: the base URL without a trailing `/v1`.
    func serverURL(_ path: String) -> String {
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        if base.hasSuffix("/v1") { base.removeLast(3) }
        return base + "/" + path
    }
}

/// Printing an endpoint (in a log, a test failure, `dump`) must not print the key.
extension ModelEndpoint: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        let key = apiKey == nil ? "none" : "from \(apiKeySource ?? "configuration") (hidden)"
        return "ModelEndpoint(\(redactedBaseURL), key: \(key), connect \(connectTimeout)s, idle \(idleTimeout)s, total \(totalTimeout)s, retries \(maxRetries))"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        Mirror(self, children: [
            "baseURL": redactedBaseURL, "apiKey": apiKey == nil ? "none" : "(hidden)", "apiKeySource": apiKeySource as Any,
            "connectTimeout": connectTimeout, "idleTimeout": idleTimeout, "totalTimeout": totalTimeout,
            "maxRetries": maxRetries,
        ])
    }
}
