import Foundation

/// The real model client and sandboxed test runner for a run, made from its settings. Fails
/// before any work starts when the sandbox is unavailable (fail closed) or the key is missing.
public struct RunComponents {
    public let model: ChatModel
    public let tests: TestExecutor

    public init(settings: RepairSettings, environment: [String: String]) throws {
        let endpoint = try ModelEndpoint.resolved(baseURL: settings.endpoint, environment: environment,
                                                  apiKeyVariable: settings.apiKeyVariable)
        model = OpenAICompatibleClient(endpoint: endpoint)
        let sandbox = try SandboxFactory.make(settings.sandbox, image: settings.image)
        tests = SandboxTestExecutor(sandbox: sandbox, command: settings.testCommand,
                                    readOnlyBinds: settings.sandboxBinds, passEnvironment: settings.sandboxEnvironment)
    }
}

/// Runs the test command through a sandbox backend.
public struct SandboxTestExecutor: TestExecutor {
    let sandbox: Sandbox
    let command: String
    let readOnlyBinds: [String]
    let passEnvironment: [String]

    public init(sandbox: Sandbox, command: String, readOnlyBinds: [String] = [], passEnvironment: [String] = []) {
        self.sandbox = sandbox
        self.command = command
        self.readOnlyBinds = readOnlyBinds
        self.passEnvironment = passEnvironment
    }

    public func runTests(in directory: URL, timeout: Double) async throws -> TestExecution {
        let request = SandboxRequest(command: command, workDirectory: directory, readOnlyBinds: readOnlyBinds,
                                     passEnvironment: passEnvironment, limits: SandboxLimits(timeout: timeout))
        let result = try await sandbox.run(request)
        var note: String?
        switch result.limitHit {
        case .timeout: note = "the tests were stopped after \(DurationText.format(timeout)) (test timeout)"
        case .memory: note = "the tests hit the memory limit"
        case .processes: note = "the tests hit the process limit"
        case .output: note = "the test output was cut to its head and tail"
        case nil: note = nil
        }
        return TestExecution(output: result.combinedOutput, exitCode: result.exitCode,
                             timedOut: result.limitHit == .timeout, seconds: result.wallSeconds, limitNote: note)
    }
}
