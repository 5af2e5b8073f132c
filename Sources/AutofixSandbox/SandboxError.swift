import AutofixSupport

/// Why a sandbox could not be set up or run. Never means "the tests failed": that is a result.
public struct SandboxError: AutofixError, Equatable {
    public enum Reason: Sendable, Equatable {
        case backendMissing(SandboxBackendKind)
        case namespacesUnavailable(detail: String)
        case containerEngineFailed(SandboxBackendKind, detail: String)
        case imageMissing
        case podmanInitMissing
        case bindMissing(path: String)
        case secretInEnvironment(name: String)
        case workDirectoryMissing(path: String)
        case spawnFailed(program: String, errno: Int32)
    }

    public let reason: Reason
    public var category: ExitCategory { .sandbox }

    public init(_ reason: Reason) { self.reason = reason }

    public var message: String {
        switch reason {
        case .backendMissing(let kind):
            return "the \(kind.rawValue) sandbox is not available: `\(SandboxError.program(kind))` was not found on PATH"
        case .namespacesUnavailable(let detail):
            return "bubblewrap cannot create the namespaces the sandbox needs: \(detail)"
        case .containerEngineFailed(let kind, let detail):
            return "\(kind.rawValue) could not start a container: \(detail)"
        case .imageMissing:
            return "the container sandbox needs an image and none was given"
        case .podmanInitMissing:
            return "podman cannot start containers with --init here: catatonit, its init program, is not installed"
        case .bindMissing(let path):
            return "the read-only bind \(path) does not exist"
        case .secretInEnvironment(let name):
            return "\(name) holds a secret and is never passed into the sandbox"
        case .workDirectoryMissing(let path):
            return "the checkout \(path) does not exist"
        case .spawnFailed(let program, let errno):
            return "could not start \(program): \(SystemCallError("spawn", path: program, code: errno).reason)"
        }
    }

    public var hint: String? {
        switch reason {
        case .backendMissing(.bwrap):
            return "install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap; Fedora: dnf install bubblewrap), or choose another backend with --sandbox podman"
        case .backendMissing(let kind):
            return "install \(kind.rawValue), or use the default bubblewrap sandbox (--sandbox bwrap)"
        case .namespacesUnavailable:
            return "enable unprivileged user namespaces (sysctl -w kernel.unprivileged_userns_clone=1, or on Ubuntu 24.04 kernel.apparmor_restrict_unprivileged_userns=0), or choose --sandbox docker / --sandbox podman"
        case .containerEngineFailed(let kind, _):
            return "check that `\(kind.rawValue) run --rm IMAGE true` works; on hybrid cgroup hosts try git config autofix.sandboxRuntime runc"
        case .imageMissing:
            return "name one with --image IMAGE or git config autofix.image IMAGE"
        case .podmanInitMissing:
            return "install it (Debian/Ubuntu: apt-get install catatonit; it is a recommended package of podman, which --no-install-recommends leaves out), or set init_path in containers.conf"
        case .bindMissing:
            return "fix or remove it: git config --unset-all autofix.sandboxBind"
        case .secretInEnvironment(let name):
            return "remove it from autofix.sandboxEnv: git config --unset autofix.sandboxEnv \(name)"
        case .workDirectoryMissing:
            return nil
        case .spawnFailed:
            return "check that the program is installed and executable"
        }
    }

    static func program(_ kind: SandboxBackendKind) -> String {
        switch kind {
        case .bwrap: return "bwrap"
        case .docker: return "docker"
        case .podman: return "podman"
        case .none: return "sh"
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
