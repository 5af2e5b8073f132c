import AutofixCore
import AutofixGit
import AutofixSupport
import AutofixTestSupport
import XCTest

/// Rounds that run the tests that failed before first, alone: a patch that fixes none of them
/// is rejected on that run, any other is judged by the whole suite, so that every verdict is the
/// one the whole suite alone would give.
final class TargetedRoundLoopTests: XCTestCase {
    private let testCommand = "python3 -m pytest -v"
    private let targeted = "python3 -m pytest -v test_calc.py::test_add test_calc.py::test_add_negative"
    private let mulBroken = ScriptedTests.Run.pytest(passing: ["test_add", "test_add_negative"], failing: ["test_mul"])
    private let targetsFail = ScriptedTests.Run.pytest(passing: [], failing: ["test_add", "test_add_negative"])
    private let targetsPass = ScriptedTests.Run.pytest(passing: ["test_add", "test_add_negative"], failing: [])

    override class func setUp() {
        super.setUp()
        Hermetic.applyToCurrentProcess()
    }

    private struct Played {
        let outcome: RunOutcome
        let rounds: [RoundResult]
    }

    private func play(_ replies: [String], _ tests: ScriptedTests,
                      adjust: (inout RepairSettings) -> Void = { _ in }) async throws -> Played {
        let repo = try SampleProjects.pythonCalculator()
        var flags = RepairFlags()
        flags.test = testCommand
        flags.endpoint = "http://127.0.0.1:9/v1"
        flags.model = "scripted-model"
        flags.sandbox = "none"
        var settings = try SettingsResolver(flags: flags, environment: Hermetic.environment, projectRoot: repo.url,
                                            config: { _ in nil }).resolve()
        adjust(&settings)
        let rounds = Locked<[RoundResult]>([])
        let loop = RepairLoop(repository: try Repository.discover(from: repo.url), settings: settings,
                              model: ScriptedModel(replies), tests: tests, events: { event in
                                  if case .roundFinished(let result) = event { rounds.withLock { $0.append(result) } }
                              })
        let scratchParent = try TemporaryDirectory(prefix: "autofix-targeted-scratch")
        loop.scratchParent = scratchParent.url
        let outcome = try await loop.run()
        return Played(outcome: outcome, rounds: rounds.withLock { $0 })
    }

    func testAPatchThatFixesNoTargetIsRejectedWithoutRunningTheWholeSuite() async throws {
        let tests = ScriptedTests([CalculatorScript.addFails, targetsFail, targetsPass, CalculatorScript.allPass])
        tests.runsSelections = true

        let played = try await play([CalculatorScript.commentOnly, SampleProjects.pythonCalculatorFix], tests)
        XCTAssertEqual(tests.commands, [nil, targeted, targeted, nil])
        XCTAssertEqual(played.rounds.map(\.verdict), [.rejected, .accepted])
        XCTAssertEqual(played.rounds[0].reason,
                       "failing tests did not go down (2 before, 2 after) (only the tests that failed before were run)")
        XCTAssertEqual(played.rounds[0].targetedTestSeconds, 0.01)
        XCTAssertNil(played.rounds[0].fullTestSeconds, "the whole suite did not run")
        XCTAssertEqual(played.rounds[0].testSeconds, 0.01)
        XCTAssertEqual(played.rounds[1].targetedTestSeconds, 0.01)
        XCTAssertEqual(played.rounds[1].fullTestSeconds, 0.01)
        XCTAssertEqual(played.rounds[1].testSeconds, 0.02)
        XCTAssertEqual(played.outcome.status, .fixed)
    }

    /// The same story with and without the targeted runs ends with the same verdicts: fixing
    /// the targets while breaking another test is still a rejection.
    func testEveryVerdictIsTheWholeSuitesOwn() async throws {
        let replies = [CalculatorScript.commentOnly, SampleProjects.pythonCalculatorFixThatBreaksMul, SampleProjects.pythonCalculatorFix]
        let whole = ScriptedTests([CalculatorScript.addFails, CalculatorScript.addFails, mulBroken, CalculatorScript.allPass])
        let targetedFirst = ScriptedTests([CalculatorScript.addFails, targetsFail, targetsPass, mulBroken, targetsPass, CalculatorScript.allPass])
        targetedFirst.runsSelections = true

        let alone = try await play(replies, whole)
        let narrowed = try await play(replies, targetedFirst)
        XCTAssertEqual(whole.commands, [nil, nil, nil, nil])
        XCTAssertEqual(targetedFirst.commands, [nil, targeted, targeted, nil, targeted, nil])
        XCTAssertEqual(alone.rounds.map(\.verdict), [.rejected, .rejected, .accepted])
        XCTAssertEqual(narrowed.rounds.map(\.verdict), alone.rounds.map(\.verdict))
        XCTAssertEqual(narrowed.rounds[1].newlyFailing, ["test_calc.py::test_mul"])
        XCTAssertEqual(narrowed.rounds.map(\.newlyFailing), alone.rounds.map(\.newlyFailing))
        XCTAssertEqual(narrowed.rounds.map(\.failingAfter), alone.rounds.map(\.failingAfter))
        XCTAssertEqual(narrowed.rounds[1].reason, alone.rounds[1].reason)
        XCTAssertTrue(narrowed.rounds[0].reason.hasPrefix(alone.rounds[0].reason), narrowed.rounds[0].reason)
        XCTAssertEqual(narrowed.outcome.status, alone.outcome.status)
        XCTAssertEqual(narrowed.outcome.commits.count, alone.outcome.commits.count)
    }

    /// A targeted run that cannot vouch for its tests (it was cut short) leaves the verdict to the whole suite.
    func testATargetedRunCutShortLeavesTheVerdictToTheWholeSuite() async throws {
        let cutShort = ScriptedTests.Run.pytestTimedOut(passed: [], running: "test_add")
        let tests = ScriptedTests([CalculatorScript.addFails, cutShort, CalculatorScript.addFails])
        tests.runsSelections = true

        let played = try await play([CalculatorScript.commentOnly, "CANNOT FIX: out of ideas"], tests)
        XCTAssertEqual(tests.commands, [nil, targeted, nil])
        XCTAssertEqual(played.rounds.first?.verdict, .rejected)
        XCTAssertNotNil(played.rounds.first?.fullTestSeconds)
    }

    /// With a task in words a patch may be kept without fixing a test: only the whole suite can say.
    func testATaskInWordsRunsTheWholeSuiteOnly() async throws {
        let tests = ScriptedTests([CalculatorScript.addFails, CalculatorScript.addFails])
        tests.runsSelections = true

        let played = try await play([CalculatorScript.commentOnly], tests) {
            $0.issueText = "add() must say what it does"
            $0.maxRounds = 1
        }
        XCTAssertEqual(tests.commands, [nil, nil])
        XCTAssertNil(played.rounds.first?.targetedTestSeconds)
    }

    func testATestCommandThatCannotBeNarrowedRunsTheWholeSuite() async throws {
        let tests = ScriptedTests([CalculatorScript.addFails, CalculatorScript.addFails])
        tests.runsSelections = true

        let played = try await play([CalculatorScript.commentOnly, "CANNOT FIX: out of ideas"], tests) { $0.testCommand = "cd . && python3 -m pytest -v" }
        XCTAssertEqual(tests.commands, [nil, nil])
        XCTAssertEqual(played.rounds.map(\.verdict), [.rejected, .noEdit])
    }
}
