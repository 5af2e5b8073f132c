import AutofixGit
import Foundation

/// Runs the tests on a commit in a scratch session of its own, as a run's baseline would, and
/// remembers the verdict by tree.
final class CommitTester {
    private let repository: Repository
    private let tests: TestExecutor
    private let timeout: Double
    private let scratchParent: URL?
    private var results = TreeTestResults()

    init(repository: Repository, tests: TestExecutor, timeout: Double, scratchParent: URL?) {
        self.repository = repository
        self.tests = tests
        self.timeout = timeout
        self.scratchParent = scratchParent
    }

    /// Whether every test passes on `commit`; the second value says it was remembered, not run.
    func passes(_ commit: ObjectID) async throws -> (passed: Bool, remembered: Bool) {
        let tree = try repository.commit(commit).tree
        if let known = results[tree] { return (known, true) }
        let scratch = try ScratchSession(repository: repository, commit: commit, under: scratchParent)
        defer { scratch.remove() }
        let passed = try await SessionTestRun.run(tests, in: scratch, timeout: timeout).report.allPassed
        results[tree] = passed
        return (passed, false)
    }
}
