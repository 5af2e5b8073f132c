import AutofixSupport
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// docker or podman with every hardening flag: no network, read-only root, private /tmp, no
/// capabilities, no privilege gain, pids/memory/cpu limits, the caller's uid, and the checkout
/// bind-mounted at /workspace. The engine's socket is never mounted.
public struct ContainerSandbox: Sandbox {
    public let kind: SandboxBackendKind
    let program: String
    let image: String
    let runtime: String?

    public static let workspace = "/workspace"

    init(kind: SandboxBackendKind, program: String, image: String, runtime: String?) {
        self.kind = kind
        self.program = program
        self.image = image
        self.runtime = runtime
    }

    /// The `run` command line (without the program). Public so tests and users can see exactly
    /// what runs.
    public func arguments(for request: SandboxRequest, name: String) throws -> [String] {
        let checkout = request.workDirectory.resolvingSymlinksInPath().path
        var arguments = [
            "run", "--name", name, "--init",
            "--network", "none", "--read-only", "--tmpfs", "/tmp:rw,exec,nosuid,nodev" + (request.limits.diskBytes.map { ",size=\($0)" } ?? ""),
            "--cap-drop", "ALL", "--security-opt", "no-new-privileges",
            "--pids-limit", "\(request.limits.maxProcesses ?? SandboxLimits.defaultMaxProcesses)",
            "--cpus", "\(ProcessInfo.processInfo.activeProcessorCount)",
            "--user", "\(getuid()):\(getgid())",
        ]
        if let memory = request.limits.memoryBytes {
            arguments += ["--memory", "\(memory)", "--memory-swap", "\(memory)"]
        }
        // Engines default to ulimits above what an unprivileged host allows; inherit ours.
        var files = rlimit()
        getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &files)
        var processes = rlimit()
        getrlimit(__rlimit_resource_t(__RLIMIT_NPROC.rawValue), &processes)
        arguments += ["--ulimit", "nofile=\(files.rlim_max):\(files.rlim_max)",
                      "--ulimit", "nproc=\(min(processes.rlim_max, 32768)):\(min(processes.rlim_max, 32768))"]
        if let runtime { arguments += ["--runtime", runtime] }
        let environment = try SandboxEnvironment.variables(
            passing: request.passEnvironment, path: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
        for (variable, value) in environment.sorted(by: { $0.key < $1.key }) where variable != "PATH" {
            arguments += ["--env", "\(variable)=\(value)"]
        }
        for bind in request.readOnlyBinds {
            guard FileManager.default.fileExists(atPath: bind) else { throw SandboxError(.bindMissing(path: bind)) }
            arguments += ["--volume", "\(bind):\(bind):ro"]
        }
        // nosuid: a setuid file the tests make there gives nobody anything, inside or out.
        arguments += ["--volume", "\(checkout):\(Self.workspace):rw,nosuid,nodev", "--workdir", Self.workspace]
        if let home = request.home {
            arguments += ["--volume", "\(home.path):\(SandboxEnvironment.home):rw,nosuid,nodev"]
        }
        arguments += [image, "/bin/sh", "-c", #"mkdir -p "$HOME" && exec /bin/sh -c "$1""#, "autofix", request.command]
        return arguments
    }

    public func run(_ request: SandboxRequest) async throws -> SandboxResult {
        let checkout = request.workDirectory.resolvingSymlinksInPath().path
        guard FileManager.default.fileExists(atPath: checkout) else {
            throw SandboxError(.workDirectoryMissing(path: checkout))
        }
        let name = "git-autofix-\(UUID().uuidString.prefix(12).lowercased())"
        let engine = EngineCommand(program: program, kind: kind)
        // Whether the container ever started, written once by the inspection after the run.
        let started = Locked(false)
        let launch = Launch(
            arguments: [program] + (try arguments(for: request, name: name)),
            environment: engine.clientEnvironment,
            directory: checkout, ownResourceGroup: false, otherWritable: request.home.map { [$0.path] } ?? [],
            // The client dying leaves the container running (its monitor is reparented), so a
            // kill must remove the container itself.
            onKill: { engine.remove(name) },
            inspect: {
                let state = engine.state(of: name)
                engine.remove(name)
                started.set(state.started)
                // With --init the engine may not flag an OOM kill of a child; a SIGKILL under a
                // memory limit is that in practice.
                let outOfMemory = state.oomKilled || (request.limits.memoryBytes != nil && state.exitCode == 137)
                return (outOfMemory ? .memory : nil, state.exitCode)
            })
        let result = try await ProcessRunner.run(launch, limits: request.limits)
        // 125-127 from the client with a container that never started: the engine failed.
        if let code = result.exitCode, (125...127).contains(code), result.limitHit == nil, !started.current {
            throw SandboxError(.containerEngineFailed(kind, detail: result.stderr.trimmingCharacters(in: .whitespacesAndNewlines)))
        }
        return result
    }
}

/// Short engine commands around a run: inspect and remove a container.
struct EngineCommand: Sendable {
    let program: String
    let kind: SandboxBackendKind

    /// The engine client is not confined (it talks to the engine), but it gets no API keys either.
    var clientEnvironment: [String: String] {
        ProcessInfo.processInfo.environment.filter { !SandboxEnvironment.isSecret($0.key) || $0.key == "DOCKER_HOST" || $0.key == "XDG_RUNTIME_DIR" }
    }

    struct State {
        var exitCode: Int32?
        var oomKilled: Bool
        /// Whether the container process ever ran ("exited"), as opposed to failing in creation.
        var started: Bool
    }

    func state(of name: String) -> State {
        guard let text = try? output(["inspect", "--format", "{{.State.ExitCode}} {{.State.OOMKilled}} {{.State.Status}}", name]) else {
            return State(exitCode: nil, oomKilled: false, started: false)
        }
        let fields = text.split(separator: " ")
        return State(exitCode: fields.first.flatMap { Int32($0) }, oomKilled: fields.count > 1 && fields[1] == "true",
                     started: fields.count > 2 && ["exited", "stopped", "running"].contains(fields[2]))
    }

    func remove(_ name: String) {
        _ = try? output(kind == .podman ? ["rm", "--force", "--time", "0", name] : ["rm", "--force", name])
    }

    private func output(_ arguments: [String]) throws -> String {
        let result = try ProcessLauncher.run(ProcessSpec([program] + arguments, environment: clientEnvironment), outputBytes: 1 << 20)
        guard result.succeeded else {
            let said = String(decoding: result.stderr.prefix(4096), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw SandboxError(.containerEngineFailed(kind, detail: "`\(kind.rawValue) \(arguments.first ?? "")` failed: \(said)"))
        }
        return result.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// The init program podman runs for `--init` (the sandbox always asks for one, so SIGTERM reaches
/// the tests): catatonit where Debian, Fedora and podman's own builds put it, or the `init_path`
/// a containers.conf names.
enum PodmanInit {
    static let candidates = ["/usr/libexec/podman/catatonit", "/usr/libexec/catatonit/catatonit", "/usr/lib/podman/catatonit"]

    static func find(searchPath: String = HostPrograms.searchPath) -> String? {
        let configured = configuredPaths().first { FileManager.default.isExecutableFile(atPath: $0) }
        return configured ?? candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
            ?? HostPrograms.find("catatonit", in: searchPath)
    }

    /// `init_path = "..."` from the containers.conf files podman reads.
    private static func configuredPaths() -> [String] {
        let environment = ProcessInfo.processInfo.environment
        let home = environment["HOME"] ?? NSHomeDirectory()
        let files = [environment["CONTAINERS_CONF"], "/etc/containers/containers.conf", "/usr/share/containers/containers.conf",
                     (environment["XDG_CONFIG_HOME"] ?? home + "/.config") + "/containers/containers.conf"].compactMap { $0 }
        return files.compactMap { try? String(contentsOfFile: $0, encoding: .utf8) }.flatMap { text in
            text.split(separator: "\n").compactMap { line -> String? in
                let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                guard parts.count == 2, parts[0] == "init_path" else { return nil }
                return parts[1].trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
            }
        }
    }
}
