internal import CCurl

/// Checking and showing endpoint URLs. The endpoint comes from configuration a user may have
/// copied from anywhere, so it is checked before any request (only http and https, a host, no
/// query or fragment that would swallow the API path), and whatever credentials it holds are
/// never shown: every message, log line, transcript and note shows `redacted(url)`.
extension ModelEndpoint {
    /// The only schemes requested or followed in a redirect (libcurl's `CURLOPT_PROTOCOLS_STR`).
    public static let allowedSchemes = ["http", "https"]

    /// `url` with any `user:password@` replaced by `***@`, for messages, transcripts and notes.
    /// Works on any text, a malformed URL included, so a bad URL in an error message is safe too.
    /// Everything up to the last `@` is hidden, not only up to the first `/`: a password with an
    /// unescaped `/`, `?` or `#` in it must not show either (a path with `@` is hidden with it).
    public static func redacted(_ url: String) -> String {
        let authorityStart = url.range(of: "://")?.upperBound ?? url.startIndex
        guard let at = url[authorityStart...].lastIndex(of: "@") else { return url }
        return String(url[..<authorityStart]) + "***" + String(url[at...])
    }

    /// The `user:password` part of `url` (what `redacted` hides), or nil when it has none.
    static func credentials(in url: String) -> Substring? {
        let authorityStart = url.range(of: "://")?.upperBound ?? url.startIndex
        guard let at = url[authorityStart...].lastIndex(of: "@") else { return nil }
        return url[authorityStart..<at]
    }

    /// `baseURL` as it may be shown.
    public var redactedBaseURL: String { Self.redacted(baseURL) }

    /// Throws a `ModelError` of kind `.invalidEndpoint` (a usage error, exit 2) unless `url` is an
    /// absolute http or https URL with a host and nothing after the path.
    public static func validate(_ url: String) throws {
        if let problem = problem(with: url) {
            throw ModelErrors.invalidEndpoint(url: url, problem: problem)
        }
    }

    /// Why `url` cannot be an endpoint, or nil when it can.
    static func problem(with url: String) -> String? {
        let shown = redacted(url)
        if url.isEmpty { return "the endpoint URL is empty" }
        if url.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7F || (0x80...0x9F).contains($0.value) }) {
            return "the endpoint URL \(ModelErrors.sample(shown, limit: 120).debugDescription) contains spaces or control characters"
        }
        guard let separator = url.range(of: "://") else {
            return "\(shown) is not an absolute URL (it needs http:// or https:// in front)"
        }
        let scheme = url[..<separator.lowerBound].lowercased()
        guard allowedSchemes.contains(scheme) else {
            let name = scheme.isEmpty ? "no scheme" : "the scheme \"\(ModelErrors.sample(scheme, limit: 40))\""
            return "\(shown) uses \(name): only http and https endpoints are allowed"
        }
        // libcurl reads "http:///v1" as the host "v1"; an empty authority is a typo.
        if url[separator.upperBound...].first.map({ $0 == "/" }) ?? true {
            return "\(shown) has no host name"
        }
        if url.contains("?") || url.contains("#") {
            return "\(shown) has a query or fragment (? or #): the endpoint is a base URL such as \(defaultBaseURL), and the API path is added after it"
        }
        guard let handle = curl_url() else { return nil }
        defer { curl_url_cleanup(handle) }
        let code = curl_url_set(handle, CURLUPART_URL, url, 0)
        guard code == CURLUE_OK else {
            return "\(shown) is not a valid URL (\(String(cString: curl_url_strerror(code))))"
        }
        var host: UnsafeMutablePointer<CChar>?
        let hostCode = curl_url_get(handle, CURLUPART_HOST, &host, 0)
        defer { curl_free(host) }
        guard hostCode == CURLUE_OK, let host, host.pointee != 0 else {
            return "\(shown) has no host name"
        }
        return nil
    }
}
