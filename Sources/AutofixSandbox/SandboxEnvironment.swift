import Foundation

/// The environment a test command sees: a short allow-list, never the parent's secrets.
enum SandboxEnvironment {
    static let home = "/tmp/home"
    static let standardPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    /// Names that hold credentials or reach the host; refused even when the user lists them.
    static func isSecret(_ name: String) -> Bool {
        let upper = name.uppercased()
        let exact: Set<String> = ["SSH_AUTH_SOCK", "DOCKER_HOST", "GIT_ASKPASS", "SSH_ASKPASS", "DBUS_SESSION_BUS_ADDRESS",
                                  "XDG_RUNTIME_DIR", "GPG_AGENT_INFO", "NETRC"]
        if exact.contains(upper) { return true }
        return ["_API_KEY", "_TOKEN", "_SECRET", "_PASSWORD", "_CREDENTIALS"].contains { upper.hasSuffix($0) }
            || upper.hasPrefix("AWS_SECRET") || upper == "AUTOFIX_API_KEY"
    }

    /// The variables for a run. `path` is what PATH becomes inside; `host` is the parent's.
    static func variables(passing names: [String], path: String, home: String = SandboxEnvironment.home,
                          host: [String: String] = ProcessInfo.processInfo.environment) throws -> [String: String] {
        var result: [String: String] = [
            "PATH": path,
            "HOME": home,
            "TERM": "dumb",
            "LANG": host["LANG"] ?? "C.UTF-8",
        ]
        for name in names {
            if isSecret(name) { throw SandboxError(.secretInEnvironment(name: name)) }
            if let value = host[name] { result[name] = value }
        }
        return result
    }
}
