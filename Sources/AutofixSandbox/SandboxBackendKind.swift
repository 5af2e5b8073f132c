import AutofixSupport

/// The sandbox backends a user can name with `--sandbox` or `autofix.sandbox`.
public enum SandboxBackendKind: String, Sendable, CaseIterable, Codable {
    case bwrap
    case docker
    case podman
    case none
}
