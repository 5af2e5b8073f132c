internal import CCurl

/// The linked libcurl, for `doctor` and bug reports.
public enum CurlLibrary {
    /// e.g. "7.88.1 (OpenSSL/3.0.17)".
    public static var version: String {
        guard let info = autofix_curl_version_info()?.pointee else { return "unknown" }
        let version = info.version.map { String(cString: $0) } ?? "unknown"
        let tls = info.ssl_version.map { String(cString: $0) }
        return tls.map { "\(version) (\($0))" } ?? version
    }
}
