import AutofixGit
import AutofixSandbox
import Foundation

/// The environment part of a stored result's key: two runs with the same tree, command and
/// environment show the same thing, so one may stand for the other.
public enum TestEnvironment {
    /// The user's own shell, where the pre-push hook runs the tests.
    public static let host = "host"
}

extension SandboxSettings {
    /// Every sandbox setting that can change what the tests show, as one line: the backend and
    /// its image, what is bound and passed in (the passed values as a digest, so that none is
    /// written down), the limits and the work tree whose environments a relative command finds.
    public func resultEnvironment(host: [String: String] = ProcessInfo.processInfo.environment) -> String {
        let passed = (environment + ["LANG"]).map { "\($0)=\(host[$0] ?? "")" }.joined(separator: "\u{0}")
        let parts: [String] = [
            "sandbox=\(backend.rawValue)",
            "image=\(image ?? "")",
            "runtime=\(runtime ?? "")",
            "binds=\(binds.joined(separator: ","))",
            "env=\(environment.joined(separator: ","))",
            "env-values=\(TextDigest.hex(passed).prefix(16))",
            "timeout=\(limits.timeout)",
            "memory=\(limits.memoryBytes.map(String.init) ?? "")",
            "processes=\(limits.maxProcesses.map(String.init) ?? "")",
            "disk=\(limits.diskBytes.map(String.init) ?? "")",
            "output=\(limits.outputBytes)",
            "project=\(projectDirectory?.path ?? "")",
        ]
        return parts.joined(separator: "; ")
    }
}
