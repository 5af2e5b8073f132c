import Foundation

/// One run of the test command.
public struct TestExecution: Sendable {
    public let output: String
    public let exitCode: Int32?
    public let timedOut: Bool
    public let seconds: Double
    /// A limit the run hit (memory, processes, output), said to the user and the model.
    public let limitNote: String?

    public init(output: String, exitCode: Int32?, timedOut: Bool, seconds: Double, limitNote: String?) {
        self.output = output
        self.exitCode = exitCode
        self.timedOut = timedOut
        self.seconds = seconds
        self.limitNote = limitNote
    }
}

/// Runs the test command in a directory. Cancelling the calling task stops the tests.
public protocol TestExecutor: Sendable {
    func runTests(in directory: URL, timeout: Double) async throws -> TestExecution
    /// The same with `home` (a host directory the session keeps) as the tests' HOME.
    func runTests(in directory: URL, home: URL?, timeout: Double) async throws -> TestExecution
    /// The same runner with `command` (the test command narrowed to some tests) in place of the
    /// test command, or nil when it runs only its own command.
    func selecting(_ command: String) -> TestExecutor?
    /// Everything besides the tree and the command that can change what the tests show
    /// (`TestEnvironment`), keying the results this runner's runs leave; nil: its results are
    /// neither stored nor taken from the store.
    var resultEnvironment: String? { get }
}

extension TestExecutor {
    public func selecting(_ command: String) -> TestExecutor? { nil }
    public var resultEnvironment: String? { nil }

    public func runTests(in directory: URL, home: URL?, timeout: Double) async throws -> TestExecution {
        try await runTests(in: directory, timeout: timeout)
    }
}
