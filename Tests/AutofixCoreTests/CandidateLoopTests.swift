import AutofixCore
import AutofixGit
import AutofixModel
import AutofixSupport
import AutofixTestSupport
import XCTest

/// Rounds of several candidates, in this process, with a scripted model and tests judged by
/// what the view holds: the best improving reply becomes the commit, the others stay on refs
/// of the run, and every request carries its own seed.
final class CandidateLoopTests: XCTestCase {
    private let halfFails = ScriptedTests.Run.pytest(passing: ["test_add", "test_mul"], failing: ["test_add_negative"])

    /// Fixes add() and says so in a comment: a bigger change than the plain fix.
    private let commentedFix = """
        Summary: fix add with a comment

        ```diff
        --- a/calc.py
        +++ b/calc.py
        @@ -1,2 +1,3 @@
        +# adds now
         def add(a, b):
        -    return a - b
        +    return a + b
        ```
        """

    /// Fixes add() for positive numbers only.
    private let halfFix = """
        Summary: half a fix

        ```diff
        --- a/calc.py
        +++ b/calc.py
        @@ -1,2 +1,2 @@
         def add(a, b):
        -    return a - b
        +    return abs(a) + abs(b)
        ```
        """

    override class func setUp() {
        super.setUp()
        Hermetic.applyToCurrentProcess()
    }

    /// The pytest output calc.py's content in the view earns.
    private func judge(_ view: URL) -> ScriptedTests.Run {
        let calc = (try? String(contentsOf: view.appendingPathComponent("calc.py"), encoding: .utf8)) ?? ""
        if calc.contains("abs(a) + abs(b)") { return halfFails }
        return calc.contains("return a + b") ? CalculatorScript.allPass : CalculatorScript.addFails
    }

    private func play(_ repo: TestRepository, _ model: ChatModel, _ tests: TestExecutor, candidates: Int,
                      adjust: (inout RepairSettings) -> Void = { _ in }) async throws -> (RunOutcome, [RunEvent]) {
        var flags = RepairFlags()
        flags.test = "python3 -m pytest -v"
        flags.endpoint = "http://127.0.0.1:9/v1"
        flags.model = "scripted-model"
        flags.sandbox = "none"
        flags.candidates = candidates
        var settings = try SettingsResolver(flags: flags, environment: Hermetic.environment, projectRoot: repo.url,
                                            config: { _ in nil }).resolve()
        adjust(&settings)
        let events = Locked<[RunEvent]>([])
        let loop = RepairLoop(repository: try Repository.discover(from: repo.url), settings: settings, model: model, tests: tests,
                              events: { event in events.withLock { $0.append(event) } })
        let scratchParent = try TemporaryDirectory(prefix: "autofix-candidates-scratch")
        loop.scratchParent = scratchParent.url
        let outcome = try await loop.run()
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: scratchParent.path), [], "the session was removed")
        return (outcome, events.current)
    }

    private func rounds(_ events: [RunEvent]) -> [RoundResult] {
        events.compactMap { if case .roundFinished(let result) = $0 { return result } else { return nil } }
    }

    private func userFiles(_ repo: TestRepository) throws -> [String: String] {
        try repo.fingerprint(excluding: [".git/objects", ".git/refs/autofix", ".git/refs/autofix-candidates", ".git/refs/notes",
                                         ".git/autofix", ".git/logs"])
    }

    func testTheSmallestOfTheFixesIsCommittedAndTheOthersAreKeptOnRefsOfTheRun() async throws {
        let repo = try SampleProjects.pythonCalculator()
        let before = try userFiles(repo)
        let model = ScriptedModel([CalculatorScript.commentOnly, commentedFix, SampleProjects.pythonCalculatorFix])
        let tests = JudgedTests(judge)

        let (outcome, events) = try await play(repo, model, tests, candidates: 3)
        XCTAssertEqual(outcome.status, .fixed)
        let round = try XCTUnwrap(rounds(events).first)
        XCTAssertEqual(round.verdict, .accepted)
        XCTAssertEqual(round.candidate, 3)
        XCTAssertEqual(round.candidates?.map(\.verdict), [.notImproving, .outdone, .accepted])
        XCTAssertEqual(round.candidates?.map(\.failingAfter), [2, 0, 0])
        XCTAssertEqual(round.candidates?.map(\.changedLines), [1, 3, 2])
        XCTAssertEqual(try repo.git("log", "-1", "--format=%s", outcome.ref), "make add() add instead of subtract\n")
        XCTAssertFalse(try repo.git("show", "\(outcome.ref):calc.py").contains("#"), "the commit is candidate 3's")

        let refs = try XCTUnwrap(round.candidates).map(\.ref)
        let name = try XCTUnwrap(RunName(ref: outcome.ref))
        XCTAssertEqual(refs, [name.candidateRef(round: 1, candidate: 1), name.candidateRef(round: 1, candidate: 2), nil])
        XCTAssertTrue(try repo.git("show", "\(refs[0]!):calc.py").contains("# adds, eventually"))
        XCTAssertTrue(try repo.git("show", "\(refs[1]!):calc.py").contains("# adds now"))
        XCTAssertEqual(try repo.revParse("\(refs[1]!)^"), outcome.snapshot, "a candidate sits on the tip it was asked on")

        XCTAssertEqual(model.requests.map(\.seed), [1, 2, 3])
        XCTAssertEqual(model.requests.map(\.temperature), [SettingDefaults.temperature, 0.7, 0.7])
        XCTAssertEqual(Set(tests.calls.dropFirst().map(\.directory.lastPathComponent)), ["sandbox", "sandbox-2", "sandbox-3"],
                       "each candidate was tested in a view of its own")
        let candidateEvents = events.compactMap { if case .candidate(let number, _) = $0 { return number } else { return nil } }
        XCTAssertEqual(Set(candidateEvents), [1, 2, 3])
        XCTAssertEqual(try userFiles(repo), before, "the user's work tree, index and HEAD are untouched")
    }

    func testFewerFailingTestsWinOverASmallerChange() async throws {
        let repo = try SampleProjects.pythonCalculator()
        let model = ScriptedModel([halfFix, commentedFix])
        let (outcome, events) = try await play(repo, model, JudgedTests(judge), candidates: 2)
        let round = try XCTUnwrap(rounds(events).first)
        XCTAssertEqual(round.candidate, 2)
        XCTAssertEqual(round.candidates?.map(\.verdict), [.outdone, .accepted])
        XCTAssertEqual(outcome.failingAfter, 0)
        XCTAssertTrue(try repo.git("show", "\(outcome.ref):calc.py").contains("# adds now"))
    }

    func testWhenNoCandidateImprovesTheModelHearsOfTheNearestAndTheRunRefStays() async throws {
        let repo = try SampleProjects.pythonCalculator()
        let broken = "Summary: broken\n\n```diff\n--- a/nowhere.py\n+++ b/nowhere.py\n@@ -1,1 +1,1 @@\n-x\n+y\n```\n"
        let model = ScriptedModel([broken, CalculatorScript.commentOnly, "CANNOT FIX: no idea", "CANNOT FIX: no idea"])
        let (outcome, events) = try await play(repo, model, JudgedTests(judge), candidates: 2) { $0.maxRounds = 2 }
        let played = rounds(events)
        XCTAssertEqual(played.first?.verdict, .rejected)
        XCTAssertEqual(played.first?.candidate, 2, "the candidate that applied is the one the model hears about")
        XCTAssertEqual(played.first?.candidates?.map(\.verdict), [.patchFailed, .notImproving])
        XCTAssertEqual(try repo.revParse(outcome.ref), outcome.snapshot, "the run ref did not move")
        XCTAssertTrue(model.feedback(inRequest: 2).contains("rolled back"), model.feedback(inRequest: 2))
        XCTAssertEqual(model.requests.map(\.seed), [1, 2, 3, 4], "round 2's candidates have seeds of their own")
    }

    func testNoMoreCandidateTestRunsGoOnAtOnceThanParallelTestsAllows() async throws {
        let repo = try SampleProjects.pythonCalculator()
        let tests = JudgedTests(judge, pause: 0.05)
        _ = try await play(repo, ScriptedModel([CalculatorScript.commentOnly, halfFix, SampleProjects.pythonCalculatorFix]), tests, candidates: 3) {
            $0.parallelTests = 1
        }
        XCTAssertEqual(tests.calls.count, 4)
        XCTAssertEqual(tests.mostAtOnce, 1)
    }

    func testCandidateTestRunsOverlapWhenSlotsAllow() async throws {
        let repo = try SampleProjects.pythonCalculator()
        // Each candidate's run waits until the other has started too: they can only end together.
        let tests = JudgedTests(judge, waitForOthers: 2)
        _ = try await play(repo, ScriptedModel([CalculatorScript.commentOnly, SampleProjects.pythonCalculatorFix]), tests, candidates: 2) {
            $0.parallelTests = 2
        }
        XCTAssertEqual(tests.mostAtOnce, 2)
    }
}
