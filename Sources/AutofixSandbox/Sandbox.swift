import AutofixSupport
import Foundation

/// Runs one test command in a disposable, confined place. Cancelling the calling task kills the
/// whole process tree and leaves nothing running.
public protocol Sandbox: Sendable {
    var kind: SandboxBackendKind { get }
    func run(_ request: SandboxRequest) async throws -> SandboxResult
}

/// Finds programs on the host PATH (plus the usual system directories, which a minimal PATH in
/// a service manager may lack).
enum HostPrograms {
    static var searchPath: String {
        (ProcessInfo.processInfo.environment["PATH"] ?? "") + ":/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"
    }

    static func find(_ name: String, in searchPath: String = HostPrograms.searchPath) -> String? {
        ExecutableSearch.find(name, in: searchPath)
    }
}

/// Chooses and checks a backend. Never falls back to running unconfined: a backend that is
/// missing or cannot work here is an error that says how to fix it.
public enum SandboxFactory {
    public static func make(_ kind: SandboxBackendKind, image: String? = nil, runtime: String? = nil) throws -> Sandbox {
        try make(kind, image: image, runtime: runtime, searchPath: HostPrograms.searchPath)
    }

    static func make(_ kind: SandboxBackendKind, image: String?, runtime: String?, searchPath: String) throws -> Sandbox {
        switch kind {
        case .bwrap:
            guard let program = HostPrograms.find("bwrap", in: searchPath) else { throw SandboxError(.backendMissing(.bwrap)) }
            try BubblewrapSandbox.checkNamespaces(program: program)
            return BubblewrapSandbox(program: program)
        case .docker, .podman:
            guard let program = HostPrograms.find(kind.rawValue, in: searchPath) else { throw SandboxError(.backendMissing(kind)) }
            guard let image, !image.isEmpty else { throw SandboxError(.imageMissing) }
            if kind == .podman, PodmanInit.find() == nil { throw SandboxError(.podmanInitMissing) }
            return ContainerSandbox(kind: kind, program: program, image: image, runtime: runtime)
        case .none:
            return UnconfinedSandbox()
        }
    }

    /// The outcome of `probe`: whether `true` ran in the backend, and how long it took.
    public enum ProbeOutcome: Sendable {
        case ok(seconds: Double)
        case failed(SandboxError)
    }

    /// For `git autofix doctor`: makes the backend and runs `true` in a throwaway directory.
    public static func probe(_ kind: SandboxBackendKind, image: String? = nil, runtime: String? = nil) async -> ProbeOutcome {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("git-autofix-probe-\(UUID().uuidString.prefix(8))")
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let sandbox = try make(kind, image: image, runtime: runtime)
            let result = try await sandbox.run(SandboxRequest(
                command: "true", workDirectory: directory, limits: SandboxLimits(timeout: 60), discoverToolchains: false))
            guard result.succeeded else {
                let detail = result.combinedOutput.isEmpty ? result.summary : result.combinedOutput
                return .failed(kind == .bwrap
                    ? SandboxError(.namespacesUnavailable(detail: detail))
                    : SandboxError(.containerEngineFailed(kind, detail: detail)))
            }
            return .ok(seconds: result.wallSeconds)
        } catch let error as SandboxError {
            return .failed(error)
        } catch {
            return .failed(SandboxError(.containerEngineFailed(kind, detail: "\(error)")))
        }
    }
}
