import ArgumentParser
import AutofixCore
import AutofixGit
import AutofixSandbox
import AutofixSupport
import Foundation

extension SandboxBackendKind: ExpressibleByArgument {}

/// `git autofix sandbox [--backend B] [--test-timeout D] -- CMD ...`: runs CMD the way a repair
/// run would run the tests (a fresh snapshot of the working tree, checked out into a scratch
/// directory, confined by the chosen backend), so users can check their setup before a real run.
struct SandboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sandbox",
        abstract: "Run a command in the test sandbox, in a scratch checkout of your working tree.",
        discussion: """
            Settings: autofix.sandbox (backend), autofix.image and autofix.sandboxRuntime (containers), \
            autofix.testTimeout, autofix.sandboxMemory, autofix.sandboxDisk, autofix.sandboxProcesses, autofix.sandboxBind (extra read-only paths, repeatable), \
            autofix.sandboxEnv (environment variable names to pass in, repeatable).
            """
    )

    @Option(help: "Sandbox backend: bwrap (default), docker, podman, or none (no confinement).")
    var backend: SandboxBackendKind?

    @OptionGroup var testTimeout: TestTimeoutOption

    @Option(help: "Memory for the whole run, e.g. 2g (default: autofix.sandboxMemory, else unlimited).")
    var memory: String?

    @Option(help: "What the tests may write, e.g. 8g (default: autofix.sandboxDisk, else 4g).")
    var disk: String?

    @Option(name: .customLong("max-processes"), help: "Processes the run may have at once (default: autofix.sandboxProcesses, else 4096).")
    var maxProcesses: Int?

    @Option(help: "Container image for --backend docker/podman (default: git config autofix.image).")
    var image: String?

    @Option(help: "Container runtime for docker/podman, e.g. runsc for gVisor (default: autofix.sandboxRuntime).")
    var runtime: String?

    @Argument(parsing: .postTerminator, help: "The command, after `--`. One argument is run by /bin/sh -c as is.")
    var command: [String] = []

    func run() async throws {
        let status = try await reportingErrors { () async throws -> Int32 in
            // Checked here rather than in validate() so usage errors exit with the project's 2.
            if command.isEmpty {
                throw UsageError("no command to run", hint: "name it after `--`, e.g. git autofix sandbox -- swift test")
            }
            return try await runInSandbox()
        }
        if status != 0 { throw ExitCode(status) }
    }

    private func runInSandbox() async throws -> Int32 {
        let repository = try currentRepository()
        var settings = try SandboxSettings.resolve(
            SandboxSettings.Flags(backend: backend?.rawValue, image: image, runtime: runtime, memory: memory, disk: disk,
                                  maxProcesses: maxProcesses, testTimeout: testTimeout.testTimeout),
            config: { try repository.configString($0) }, configList: { try repository.configStrings($0) })
        settings.projectDirectory = repository.workingDirectory
        let sandbox = try settings.makeSandbox()

        let snapshot = try Snapshotter(repository: repository).snapshot()
        let terminal = Terminal.current
        for warning in snapshot.capture.warnings { terminal.err("warning: \(warning.terminalSafe)") }
        // This is a check, not a run: the snapshot ref goes again afterwards.
        defer { try? repository.deleteReference(snapshot.run.ref, expected: snapshot.commit) }
        let scratch = try ScratchSession(repository: repository, commit: snapshot.commit)
        defer { scratch.remove() }

        let shellCommand = command.count == 1 ? command[0] : command.map(ShellWord.quoted).joined(separator: " ")
        let result = try await sandbox.run(settings.request(command: shellCommand, in: scratch.prepareTestRun()))
        terminal.write(result.stdout)
        FileHandle.standardError.write(Data(result.stderr.utf8))
        // The command's own status is reported, never passed through: its exit 4 is not a broken sandbox.
        let verdict = result.succeeded ? "the command succeeded" : "the command failed"
        terminal.err("git autofix sandbox (\(settings.backend.rawValue)): \(verdict): \(result.summary)")
        if result.succeeded { return 0 }
        return ExitCategory.testsFailing.rawValue
    }
}
