import Foundation

/// No confinement at all: only when the user names `none`, and it says so on every run. The
/// environment allow-list, the limits and the kill-everything-on-timeout still apply.
public struct UnconfinedSandbox: Sandbox {
    public var kind: SandboxBackendKind { .none }

    public static let warning = "warning: running tests WITHOUT a sandbox (backend none): the test command can read and write anything you can, and reach the network"

    /// Where the warning goes; standard error unless a caller wants it elsewhere.
    let warn: @Sendable (String) -> Void

    public init(warn: @escaping @Sendable (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }) {
        self.warn = warn
    }

    public func run(_ request: SandboxRequest) async throws -> SandboxResult {
        warn(Self.warning)
        let checkout = request.workDirectory.resolvingSymlinksInPath().path
        guard FileManager.default.fileExists(atPath: checkout) else {
            throw SandboxError(.workDirectoryMissing(path: checkout))
        }
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("git-autofix-home-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: home) }
        let environment = try SandboxEnvironment.variables(
            passing: request.passEnvironment,
            path: ProcessInfo.processInfo.environment["PATH"] ?? SandboxEnvironment.standardPath, home: home.path)
        let launch = Launch(arguments: ["/bin/sh", "-c", request.command], environment: environment,
                            directory: checkout, ownResourceGroup: true)
        return try await ProcessRunner.run(launch, limits: request.limits)
    }
}
