import AutofixCore
import AutofixGit
import AutofixSupport
import AutofixTestSupport
import XCTest

/// Baselines taken from the results stored by tree: a second run on the same tree, command and
/// environment runs no baseline, any change to those does; a result of the pre-push hook (the
/// host) stands for the baseline until the sandbox shows otherwise, and then the round is
/// judged against the sandbox's own baseline.
final class ResultReuseLoopTests: XCTestCase {
    private let testCommand = "python3 -m pytest -v"
    private let targeted = "python3 -m pytest -v test_calc.py::test_add test_calc.py::test_add_negative"

    override class func setUp() {
        super.setUp()
        Hermetic.applyToCurrentProcess()
    }

    private struct Played {
        let outcome: RunOutcome
        let events: [RunEvent]

        var baseline: TestSummary? {
            events.lazy.compactMap { if case .baseline(let summary) = $0 { return summary } else { return nil } }.first
        }

        var rechecked: (summary: TestSummary, reason: String)? {
            events.lazy.compactMap { event -> (TestSummary, String)? in
                if case .baselineRechecked(let summary, let reason) = event { return (summary, reason) } else { return nil }
            }.first
        }

        var rounds: [RoundResult] {
            events.compactMap { if case .roundFinished(let result) = $0 { return result } else { return nil } }
        }
    }

    /// One run, one round at most, in `environment`.
    private func play(_ repo: TestRepository, _ replies: [String], _ tests: ScriptedTests, environment: String? = "sandbox A",
                      adjust: (inout RepairSettings) -> Void = { _ in }) async throws -> Played {
        tests.resultEnvironment = environment
        var flags = RepairFlags()
        flags.test = testCommand
        flags.endpoint = "http://127.0.0.1:9/v1"
        flags.model = "scripted-model"
        flags.sandbox = "none"
        var settings = try SettingsResolver(flags: flags, environment: Hermetic.environment, projectRoot: repo.url,
                                            config: { _ in nil }).resolve()
        settings.maxRounds = 1
        adjust(&settings)
        let events = Locked<[RunEvent]>([])
        let loop = RepairLoop(repository: try Repository.discover(from: repo.url), settings: settings, model: ScriptedModel(replies),
                              tests: tests, events: { event in events.withLock { $0.append(event) } })
        let scratchParent = try TemporaryDirectory(prefix: "autofix-reuse-scratch")
        loop.scratchParent = scratchParent.url
        let outcome = try await loop.run()
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: scratchParent.path), [], "every session was removed")
        return Played(outcome: outcome, events: events.withLock { $0 })
    }

    /// A first run whose baseline is stored: add fails, its round changes nothing.
    private func firstRun(_ repo: TestRepository) async throws -> Played {
        let tests = ScriptedTests([CalculatorScript.addFails, CalculatorScript.addFails])
        let played = try await play(repo, [CalculatorScript.commentOnly], tests)
        XCTAssertEqual(tests.calls.count, 2)
        XCTAssertNil(played.baseline?.reusedFrom, "nothing was stored before it")
        return played
    }

    func testASecondRunOnTheSameTreeTakesTheFirstRunsBaselineWithoutRunningIt() async throws {
        let repo = try SampleProjects.pythonCalculator()
        let first = try await firstRun(repo)

        let tests = ScriptedTests([CalculatorScript.addFails])
        let second = try await play(repo, [CalculatorScript.commentOnly], tests)
        XCTAssertEqual(tests.calls.count, 1, "only the round's tests ran")
        let reused = try XCTUnwrap(second.baseline?.reusedFrom)
        XCTAssertEqual(reused.by, "run \(first.outcome.run)")
        XCTAssertEqual(reused.environment, "sandbox")
        XCTAssertEqual(second.baseline?.failingTests, ["test_calc.py::test_add", "test_calc.py::test_add_negative"])
        XCTAssertEqual(second.rounds.map(\.verdict), [.rejected], "judged against the reused baseline")
        XCTAssertEqual(second.outcome.failingBefore, 2)
    }

    func testAChangedTestCommandEnvironmentOrWorkTreeRunsTheBaselineAgain() async throws {
        let repo = try SampleProjects.pythonCalculator()
        _ = try await firstRun(repo)

        func baselineRuns(environment: String? = "sandbox A", adjust: (inout RepairSettings) -> Void = { _ in }) async throws -> Bool {
            let tests = ScriptedTests([CalculatorScript.addFails, CalculatorScript.addFails])
            let played = try await play(repo, [CalculatorScript.commentOnly], tests, environment: environment, adjust: adjust)
            XCTAssertEqual(played.baseline?.reusedFrom == nil, tests.calls.count == 2)
            return tests.calls.count == 2
        }
        let changedCommand = try await baselineRuns { $0.testCommand = "python3 -m pytest -v -p no:randomly" }
        XCTAssertTrue(changedCommand, "another test command")
        let changedSandbox = try await baselineRuns(environment: "sandbox B")
        XCTAssertTrue(changedSandbox, "another sandbox setting")
        let unkeyed = try await baselineRuns(environment: nil)
        XCTAssertTrue(unkeyed, "a runner whose results cannot be keyed")
        let turnedOff = try await baselineRuns { $0.reuseResults = false }
        XCTAssertTrue(turnedOff, "--no-reuse")
        let same = try await baselineRuns()
        XCTAssertFalse(same, "the first run's key again")

        try repo.write("calc.py", try repo.read("calc.py") + "# changed\n")
        let changedTree = try await baselineRuns()
        XCTAssertTrue(changedTree, "another tree")
    }

    func testABaselineStoppedByTheRunsTimeBudgetIsNotKept() async throws {
        let repo = try SampleProjects.pythonCalculator()
        let stopped = ScriptedTests([ScriptedTests.Run.pytestTimedOut(passed: ["test_mul"], running: "test_add").taking(.infinity)])
        let first = try await play(repo, [], stopped) { $0.timeout = 1 }
        XCTAssertEqual(first.outcome.stopReason, "time budget of 1.0s used up")

        let tests = ScriptedTests([CalculatorScript.addFails, CalculatorScript.addFails])
        let second = try await play(repo, [CalculatorScript.commentOnly], tests)
        XCTAssertEqual(tests.calls.count, 2, "the baseline ran again")
        XCTAssertNil(second.baseline?.reusedFrom)
    }

    // MARK: the pre-push hook's results

    /// What the hook stored after a blocked push: add fails on the host, mul passes there.
    private func storeHostResult(_ repo: TestRepository, command: String? = nil) throws {
        let store = TestResultStore(repository: try Repository.discover(from: repo.url))
        try store.record(StoredTestResult(
            key: TestResultKey(tree: try repo.revParse("HEAD^{tree}"), command: command ?? testCommand, environment: TestEnvironment.host),
            exitCode: 1, timedOut: false, seconds: 3, limitNote: nil, at: Date(timeIntervalSince1970: 1_764_597_720),
            by: TestResultSource.prePushHook, root: repo.path, output: CalculatorScript.addFails.execution.output))
    }

    /// mul reads a variable the sandbox does not pass: it fails there whatever the patch does.
    private let mulFailsInTheSandbox = ScriptedTests.Run.pytest(passing: [], failing: ["test_add", "test_add_negative", "test_mul"])
    private let fixedButMulFailsInTheSandbox = ScriptedTests.Run.pytest(passing: ["test_add", "test_add_negative"], failing: ["test_mul"])
    private let targetsPass = ScriptedTests.Run.pytest(passing: ["test_add", "test_add_negative"], failing: [])

    func testTheHooksResultIsTheBaselineAndATestFailingOnlyInTheSandboxDoesNotRejectAGoodPatch() async throws {
        let repo = try SampleProjects.pythonCalculator()
        try storeHostResult(repo)
        let tests = ScriptedTests([targetsPass, fixedButMulFailsInTheSandbox, mulFailsInTheSandbox])
        tests.runsSelections = true

        let played = try await play(repo, [SampleProjects.pythonCalculatorFix], tests)
        XCTAssertEqual(tests.commands, [targeted, nil, nil], "no baseline before the round; the snapshot's suite after it")
        let reused = try XCTUnwrap(played.baseline?.reusedFrom)
        XCTAssertEqual(reused.by, "pre-push hook")
        XCTAssertEqual(reused.environment, "host")
        XCTAssertEqual(reused.at, Date(timeIntervalSince1970: 1_764_597_720))

        let rechecked = try XCTUnwrap(played.rechecked, "the baseline ran again in the sandbox")
        XCTAssertEqual(rechecked.summary.failing, 3)
        XCTAssertTrue(rechecked.reason.contains("test_calc.py::test_mul"), rechecked.reason)
        XCTAssertTrue(rechecked.reason.contains("the pre-push hook's run"), rechecked.reason)
        XCTAssertEqual(tests.calls[2].directory.deletingLastPathComponent().deletingLastPathComponent(),
                       tests.calls[1].directory.deletingLastPathComponent().deletingLastPathComponent(),
                       "in a session of its own next to the run's")
        XCTAssertNotEqual(tests.calls[2].directory, tests.calls[1].directory)

        XCTAssertEqual(played.rounds.map(\.verdict), [.accepted], "3 failing in the sandbox, 1 after the fix: an improvement")
        XCTAssertEqual(played.rounds.first?.newlyFailing, [])
        XCTAssertEqual(played.outcome.failingBefore, 3)
        XCTAssertEqual(played.outcome.failingAfter, 1)
        XCTAssertEqual(played.outcome.commits.count, 1)
    }

    func testThePatchIsStillRejectedWhenTheSandboxsOwnBaselineHadTheTestPassing() async throws {
        let repo = try SampleProjects.pythonCalculator()
        try storeHostResult(repo)
        // The patch really breaks mul: the snapshot's suite in the sandbox has it passing.
        let tests = ScriptedTests([targetsPass, fixedButMulFailsInTheSandbox, CalculatorScript.addFails])
        tests.runsSelections = true

        let played = try await play(repo, [SampleProjects.pythonCalculatorFixThatBreaksMul], tests)
        XCTAssertNotNil(played.rechecked)
        XCTAssertEqual(played.rounds.map(\.verdict), [.rejected])
        XCTAssertEqual(played.rounds.first?.newlyFailing, ["test_calc.py::test_mul"])
        XCTAssertEqual(played.outcome.failingBefore, 2, "the sandbox's baseline")
    }

    func testTheHooksResultForAnotherCommandOrWithoutTargetedRoundsIsNotTheBaseline() async throws {
        let repo = try SampleProjects.pythonCalculator()
        try storeHostResult(repo, command: "sh test.sh")
        let otherCommand = ScriptedTests([CalculatorScript.addFails, targetsPass, CalculatorScript.allPass])
        otherCommand.runsSelections = true
        let first = try await play(repo, [SampleProjects.pythonCalculatorFix], otherCommand, environment: "sandbox B")
        XCTAssertNil(first.baseline?.reusedFrom)
        XCTAssertEqual(otherCommand.commands, [nil, targeted, nil])

        let other = try SampleProjects.pythonCalculator()
        try storeHostResult(other)
        // Without a selection the rounds could not tell the host from the sandbox in time.
        let wholeSuiteOnly = ScriptedTests([CalculatorScript.addFails, CalculatorScript.allPass])
        let second = try await play(other, [SampleProjects.pythonCalculatorFix], wholeSuiteOnly)
        XCTAssertNil(second.baseline?.reusedFrom)
        XCTAssertEqual(wholeSuiteOnly.commands, [nil, nil])
    }

    func testAHostBaselineThatTheSandboxAgreesWithIsNotRunAgain() async throws {
        let repo = try SampleProjects.pythonCalculator()
        try storeHostResult(repo)
        let tests = ScriptedTests([targetsPass, CalculatorScript.allPass])
        tests.runsSelections = true

        let played = try await play(repo, [SampleProjects.pythonCalculatorFix], tests)
        XCTAssertEqual(tests.commands, [targeted, nil])
        XCTAssertNil(played.rechecked)
        XCTAssertEqual(played.outcome.status, .fixed)
    }
}
