import AutofixModel
import AutofixSandbox
import AutofixSupport
import Foundation

/// The real model client and sandboxed test runner for a run, made from its settings. Fails
/// before any work starts when the sandbox is unavailable (fail closed) or the key is missing.
public struct RunComponents {
    public let model: ChatModel
    public let tests: TestExecutor

    public init(settings: RepairSettings, environment: [String: String]) throws {
        let endpoint = try ModelEndpoint.resolved(baseURL: settings.endpoint, environment: environment,
                                                  apiKeyVariable: settings.apiKeyVariable, caInfo: settings.sslCAInfo)
        model = OpenAICompatibleClient(endpoint: endpoint)
        tests = SandboxTestExecutor(sandbox: try settings.sandboxSettings.makeSandbox(), settings: settings.sandboxSettings,
                                    command: settings.testCommand)
    }
}

/// Runs the test command through a sandbox backend.
public struct SandboxTestExecutor: TestExecutor {
    let sandbox: Sandbox
    let settings: SandboxSettings
    let command: String

    public init(sandbox: Sandbox, settings: SandboxSettings, command: String) {
        self.sandbox = sandbox
        self.settings = settings
        self.command = command
    }

    public func selecting(_ command: String) -> TestExecutor? {
        SandboxTestExecutor(sandbox: sandbox, settings: settings, command: command)
    }

    public var resultEnvironment: String? { settings.resultEnvironment() }

    public func runTests(in directory: URL, timeout: Double) async throws -> TestExecution {
        try await runTests(in: directory, home: nil, timeout: timeout)
    }

    public func runTests(in directory: URL, home: URL?, timeout: Double) async throws -> TestExecution {
        // One pipe for both streams, so the output keeps the order it was written in: two pipes
        // read as they fill can put a line of stderr (cargo's "Running <target>") after the
        // stdout lines that followed it, and test ids built from that order would change.
        var request = settings.request(command: "exec 2>&1\n" + command, in: directory, timeout: timeout)
        request.home = home
        let result = try await sandbox.run(request)
        var note: String?
        switch result.limitHit {
        case .timeout: note = "the tests were stopped after \(DurationText.format(timeout)) (test timeout)"
        case .memory: note = "the tests hit the memory limit"
        case .processes: note = "the tests hit the process limit"
        case .output: note = "the test output was cut to its head and tail"
        case .disk: note = "the tests hit the disk limit (autofix.sandboxDisk) and were stopped"
        case nil: note = nil
        }
        return TestExecution(output: result.combinedOutput, exitCode: result.exitCode,
                             timedOut: result.limitHit == .timeout, seconds: result.wallSeconds, limitNote: note)
    }
}
