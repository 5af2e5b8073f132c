/// How a run compares with the one before it: the repair loop's acceptance rule reads this.
///
/// A test failing before is *newly passing* when the later run shows it passed, or when the later
/// run vouches for it without naming it: it exited cleanly with everything passing, or its format
/// names only failures (pytest's default) and it ran to completion without losing tests. It is
/// *still failing* when it fails again, or when the later run cannot tell (it fell back to its
/// exit code and failed). Otherwise it is *missing*: deleted, renamed, skipped, or not reached
/// because the run stopped early. Stand-ins (the whole run, a crashed binary) are resolved as soon
/// as a later run completes without them.
///
/// A test failing now that the earlier run never reached, because that run crashed or was cut
/// short, or because its build or collection failed (the whole run, a test file, a package), is
/// *revealed* rather than newly failing: it was never seen passing, and fixing the crash or the
/// build is what let it run. A run whose build or collection failed counts every test as failing.
public struct ReportComparison: Sendable {
    public let newlyFailing: [String]
    /// Failing now, and never reached by an earlier run that stopped early.
    public let revealed: [String]
    public let newlyPassing: [String]
    public let stillFailing: [String]
    /// Failing before, and neither passing nor failing now.
    public let missing: [String]
    /// Failing before as the rule counts it: every test the later run knows of, when the earlier
    /// run's build or collection failed.
    public let beforeFailingCount: Int
    public let afterFailingCount: Int
    /// Revealed tests count as failing after, since the earlier run counted them failing too.
    private let revealedCounted: Bool

    public init(before: TestReport, after: TestReport) {
        let beforeFailing = before.failing
        let beforeFailingIDs = Set(beforeFailing.map(\.id))
        let beforeIDs = Set(before.cases.map(\.id))
        let beforeStoppedEarly = !before.isExitCodeFallback && !before.ranToCompletion
        let standIns = before.failing.filter { $0.isSynthetic && $0.id != TestReport.wholeRunID }.map(\.id)
        func neverReached(_ test: TestCaseResult) -> Bool {
            if test.isSynthetic || beforeIDs.contains(test.id) { return false }
            if beforeStoppedEarly || before.stoppedBeforeTests { return true }
            return standIns.contains { test.id.hasPrefix($0 + "::") || test.id.hasPrefix($0 + ".") }
        }
        let failingNow = after.failing.filter { !beforeFailingIDs.contains($0.id) }
        let revealedNow = failingNow.filter(neverReached).map(\.id)
        revealed = revealedNow
        newlyFailing = failingNow.map(\.id).filter { !revealedNow.contains($0) }

        var newlyPassing: [String] = []
        var stillFailing: [String] = []
        var missing: [String] = []
        let afterLostTests = after.totalCount < before.totalCount
        let afterByID = Dictionary(after.cases.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        for test in beforeFailing {
            if let now = afterByID[test.id] {
                switch now.status {
                case .passed: newlyPassing.append(test.id)
                case .failed, .errored: stillFailing.append(test.id)
                case .skipped: missing.append(test.id)
                }
                continue
            }
            if after.isExitCodeFallback {
                if after.allPassed { newlyPassing.append(test.id) } else { stillFailing.append(test.id) }
            } else if test.isSynthetic {
                if after.ranToCompletion { newlyPassing.append(test.id) } else { missing.append(test.id) }
            } else if !after.listsPassingTests && after.ranToCompletion && !afterLostTests {
                newlyPassing.append(test.id)
            } else {
                missing.append(test.id)
            }
        }
        self.newlyPassing = newlyPassing
        self.stillFailing = stillFailing
        self.missing = missing
        revealedCounted = before.stoppedBeforeTests && !after.stoppedBeforeTests
        beforeFailingCount = revealedCounted ? max(beforeFailing.count, after.totalCount) : beforeFailing.count
        afterFailingCount = after.failingCount
    }

    /// Better, and nothing got worse: no test newly failing, none missing, at least one newly
    /// passing, and fewer failures (after a failed build: fewer than all tests; after a crash:
    /// not counting revealed ones). When either run was judged by its exit code alone (one
    /// stand-in test) and no build failed, this means exactly: the earlier run failed and the
    /// later one passed.
    public var isImprovement: Bool {
        newlyFailing.isEmpty && missing.isEmpty && !newlyPassing.isEmpty
            && afterFailingCount - (revealedCounted ? 0 : revealed.count) < beforeFailingCount
    }

    /// Something got worse: a test fails that did not, or a failing test vanished from the run.
    public var isRegression: Bool { !newlyFailing.isEmpty || !missing.isEmpty }
}
