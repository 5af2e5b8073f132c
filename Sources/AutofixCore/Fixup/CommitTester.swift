import AutofixGit
import Foundation

/// Runs the tests on a commit in a scratch session of its own, as a run's baseline would, and
/// keeps the result by tree (`TestResultStore`): a commit whose tree was tested before, by this
/// fixup or an earlier one, a run or doctor in the same environment, is not tested again.
final class CommitTester {
    private let repository: Repository
    private let tests: TestExecutor
    private let timeout: Double
    private let scratchParent: URL?
    private let results: TreeResults?
    private let reuse: Bool

    init(repository: Repository, tests: TestExecutor, command: String, timeout: Double, reuse: Bool, scratchParent: URL?) {
        self.repository = repository
        self.tests = tests
        self.timeout = timeout
        self.scratchParent = scratchParent
        self.reuse = reuse
        results = TreeResults(repository: repository, tests: tests, command: command)
    }

    /// Whether every test passes on `commit`; the second value says it was remembered, not run.
    func passes(_ commit: ObjectID) async throws -> (passed: Bool, remembered: Bool) {
        let tree = try repository.commit(commit).tree
        if reuse, let stored = results?.stored(tree: tree) {
            return (SessionTestRun(stored: stored, checkout: nil).report.allPassed, true)
        }
        let scratch = try ScratchSession(repository: repository, commit: commit, under: scratchParent)
        defer { scratch.remove() }
        let run = try await SessionTestRun.run(tests, in: scratch, timeout: timeout)
        results?.record(run, tree: tree, by: TestResultSource.fixup, root: scratch.checkout.directory, timeout: timeout, testTimeout: timeout)
        return (run.report.allPassed, false)
    }
}
