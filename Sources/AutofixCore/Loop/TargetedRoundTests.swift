import AutofixTestReport

/// How a round's tests run, so that a patch that fixes nothing costs only the tests it was meant
/// to fix: first the tests that failed before, alone, in the framework's own selection. When
/// each of them fails again in a run that finished, the patch is rejected at once: the whole
/// suite would show no newly passing test either, and without one nothing is accepted. Otherwise
/// the whole suite runs and judges, exactly as without the selection.
struct TargetedRoundTests {
    /// The test command narrowed to the tests that failed before; nil when the whole suite runs.
    let command: String?

    /// With a task in words a patch may be accepted without fixing a test, so only the whole
    /// suite can judge it; so too when the earlier failures are not tests a framework can name.
    init(testCommand: String, before: TestReport, mayRejectWithoutFix: Bool) {
        let failing = before.failing
        guard mayRejectWithoutFix, !before.isExitCodeFallback, !before.stoppedBeforeTests,
              !failing.isEmpty, !failing.contains(where: \.isSynthetic) else {
            command = nil
            return
        }
        command = TestSelection.command(testCommand, selecting: failing.map(\.id), framework: before.framework)
    }

    /// True when `targeted` finished and shows every test that failed in `before` failing again.
    static func rejectsAtOnce(before: TestReport, targeted: TestReport) -> Bool {
        guard targeted.ranToCompletion, !targeted.isExitCodeFallback, !targeted.stoppedBeforeTests else { return false }
        let failingNow = targeted.failingIDs
        return before.failing.allSatisfy { failingNow.contains($0.id) }
    }
}
