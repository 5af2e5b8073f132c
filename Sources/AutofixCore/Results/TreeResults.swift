import AutofixGit
import AutofixTestReport
import Foundation

/// The store as one test runner and one test command see it: the results keyed by tree for
/// this runner's environment, and those the pre-push hook left on the host.
struct TreeResults {
    let store: TestResultStore
    let command: String
    let environment: String

    /// nil when the runner's results cannot be keyed (`TestExecutor.resultEnvironment`).
    init?(repository: Repository, tests: TestExecutor, command: String) {
        guard let environment = tests.resultEnvironment else { return nil }
        store = TestResultStore(repository: repository)
        self.command = command
        self.environment = environment
    }

    /// A result of this runner's environment.
    func stored(tree: ObjectID) -> StoredTestResult? {
        store.result(for: TestResultKey(tree: tree.hex, command: command, environment: environment))
    }

    /// A result the pre-push hook recorded on the host.
    func storedOnHost(tree: ObjectID) -> StoredTestResult? {
        store.result(for: TestResultKey(tree: tree.hex, command: command, environment: TestEnvironment.host))
    }

    /// Keeps `run`, a run of the whole suite on `tree`, unless the run's own time budget rather
    /// than the test time limit stopped it: that says nothing of the tree.
    func record(_ run: SessionTestRun, tree: ObjectID, by: String, root: URL, timeout: Double, testTimeout: Double) {
        let execution = run.execution
        guard !(execution.timedOut && timeout < testTimeout), !Task.isCancelled else { return }
        // A result that cannot be kept costs a test run later, nothing more.
        try? store.record(StoredTestResult(
            key: TestResultKey(tree: tree.hex, command: command, environment: environment),
            exitCode: execution.exitCode, timedOut: execution.timedOut, seconds: execution.seconds,
            limitNote: execution.limitNote, at: Date(), by: by, root: root.path, output: run.output))
    }
}

extension SessionTestRun {
    /// A stored result read as a run in `checkout` (nil: where it ran).
    init(stored: StoredTestResult, checkout: URL?) {
        let output = stored.output(naming: checkout?.path)
        self.init(execution: TestExecution(output: output, exitCode: stored.exitCode, timedOut: stored.timedOut,
                                           seconds: stored.seconds, limitNote: stored.limitNote),
                  output: output,
                  report: TestReportParser.parse(output: output, exitCode: stored.exitCode, timedOut: stored.timedOut))
    }
}

extension ReusedResult {
    init(_ stored: StoredTestResult) {
        self.init(by: stored.by, at: stored.at,
                  environment: stored.key.environment == TestEnvironment.host ? TestEnvironment.host : "sandbox")
    }
}
