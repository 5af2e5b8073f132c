import AutofixSupport
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The default backend: bubblewrap with every namespace unshared, no capabilities, a cleared
/// environment, the system read-only, the checkout the only writable place, and a private /tmp.
public struct BubblewrapSandbox: Sandbox {
    public var kind: SandboxBackendKind { .bwrap }
    let program: String
    let discovery: ToolchainDiscovery

    /// The user the command runs as inside (mapped to the caller outside).
    static let sandboxUID = 1000

    init(program: String, discovery: ToolchainDiscovery = ToolchainDiscovery()) {
        self.program = program
        self.discovery = discovery
    }

    private static let checkedNamespaces = NamespaceCheck()

    /// Runs an empty sandbox once per process, so a host without user namespaces fails here,
    /// with the fix, and not later as a mysteriously failing test.
    static func checkNamespaces(program: String) throws {
        try checkedNamespaces.check(program) {
            var probe = ProcessSpec(
                [program, "--unshare-all", "--unshare-user", "--uid", "\(sandboxUID)", "--gid", "\(sandboxUID)",
                 "--disable-userns", "--cap-drop", "ALL", "--die-with-parent"]
                    + systemBinds() + ["--", "/bin/sh", "-c", "true"],
                environment: ["PATH": SandboxEnvironment.standardPath])
            probe.stdout = .discard
            let result = try ProcessLauncher.run(probe, outputBytes: 64 * 1024)
            guard result.succeeded else {
                throw SandboxError(.namespacesUnavailable(detail: result.stderrText.trimmingCharacters(in: .whitespacesAndNewlines)))
            }
        }
    }

    /// The read-only system: /usr, the merged-/usr links (or real dirs on older systems) and the
    /// parts of /etc that programs need to start; not /etc as a whole (no host secrets).
    static func systemBinds() -> [String] {
        var arguments = ["--ro-bind", "/usr", "/usr"]
        for dir in ["/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32"] {
            if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: dir) {
                arguments += ["--symlink", target, dir]
            } else {
                arguments += ["--ro-bind-try", dir, dir]
            }
        }
        for file in ["/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/alternatives", "/etc/localtime",
                     "/etc/nsswitch.conf", "/etc/passwd", "/etc/group", "/etc/hosts", "/etc/ssl", "/etc/ca-certificates",
                     "/etc/mime.types", "/etc/protocols", "/etc/services", "/etc/python3", "/etc/python3.11"] {
            arguments += ["--ro-bind-try", file, file]
        }
        return arguments + ["--proc", "/proc", "--dev", "/dev"]
    }

    /// The full bwrap command line for `request` (without the program itself). Public so tests
    /// and `git autofix sandbox --print` can show exactly what runs.
    public func arguments(for request: SandboxRequest, toolchains: ToolchainDiscovery.Toolchains) throws -> [String] {
        let checkout = request.workDirectory.resolvingSymlinksInPath().path
        var arguments = [
            "--unshare-all", "--unshare-user", "--uid", "\(Self.sandboxUID)", "--gid", "\(Self.sandboxUID)",
            "--disable-userns", "--cap-drop", "ALL", "--die-with-parent", "--new-session",
            "--hostname", "autofix-sandbox", "--clearenv",
        ]
        let path = (toolchains.binDirectories + [SandboxEnvironment.standardPath]).joined(separator: ":")
        let environment = try SandboxEnvironment.variables(passing: request.passEnvironment, path: path)
            .merging(toolchains.environment) { listed, _ in listed }
        for (name, value) in environment.sorted(by: { $0.key < $1.key }) {
            arguments += ["--setenv", name, value]
        }
        arguments += Self.systemBinds()
        if let disk = request.limits.diskBytes { arguments += ["--size", "\(disk)"] }
        arguments += ["--tmpfs", "/tmp"]
        if let home = request.home {
            arguments += ["--bind", home.path, SandboxEnvironment.home]
        } else {
            arguments += ["--dir", SandboxEnvironment.home]
        }
        for prefix in toolchains.prefixes { arguments += ["--ro-bind", prefix, prefix] }
        for bind in request.readOnlyBinds {
            guard FileManager.default.fileExists(atPath: bind) else { throw SandboxError(.bindMissing(path: bind)) }
            arguments += ["--ro-bind", bind, bind]
        }
        // Last, so no read-only bind above can cover it.
        arguments += ["--bind", checkout, checkout]
        for mount in toolchains.projectMounts { arguments += ["--ro-bind", mount.source, mount.destination] }
        arguments += ["--chdir", checkout]
        // bwrap builds the root on a tmpfs; make it read-only so /etc, /var and friends cannot
        // be written even in memory. /tmp and the checkout are mounts of their own and stay writable.
        arguments += ["--remount-ro", "/"]
        arguments += ["--", "/bin/sh", "-c", request.command]
        return arguments
    }

    public func run(_ request: SandboxRequest) async throws -> SandboxResult {
        let checkout = request.workDirectory.resolvingSymlinksInPath().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: checkout, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw SandboxError(.workDirectoryMissing(path: checkout))
        }
        let toolchains = request.discoverToolchains
            ? discovery.discover(command: request.command, checkout: request.workDirectory, project: request.projectDirectory)
            : .init()
        let launch = Launch(
            arguments: [program] + (try arguments(for: request, toolchains: toolchains)),
            environment: ["PATH": SandboxEnvironment.standardPath, "LANG": "C.UTF-8"],
            directory: checkout, ownResourceGroup: true, otherWritable: request.home.map { [$0.path] } ?? [])
        let result = try await ProcessRunner.run(launch, limits: request.limits)
        // bwrap reports its own set-up failures as "bwrap: ..." with status 1 before the command
        // exists; that is a broken sandbox, not a failing test.
        if result.exitCode == 1, result.stdout.isEmpty, result.stderr.hasPrefix("bwrap: "),
           result.stderr.split(separator: "\n").count == 1 {
            throw SandboxError(.namespacesUnavailable(detail: result.stderr.trimmingCharacters(in: .whitespacesAndNewlines)))
        }
        return result
    }
}

/// Remembers which programs passed the check so it runs once per process; a failure is
/// retried next time.
final class NamespaceCheck: Sendable {
    private let passed = Locked<Set<String>>([])

    func check(_ program: String, _ body: () throws -> Void) throws {
        try passed.withLock { passed in
            if passed.contains(program) { return }
            try body()
            passed.insert(program)
        }
    }
}
