import AutofixCore
import AutofixGit
import AutofixTestSupport
import XCTest

/// The repair loop in this process, with a scripted model and scripted test outputs on a real
/// repository: what each kind of round does to the run ref, what the model is told next, and
/// why the run stops. The built binary's tests tell the same stories with a real sandbox.
final class RepairLoopTests: XCTestCase {
    private let testCommand = "python3 -m pytest -v"

    /// Another change to calc.py that the tests do not see.
    private let anotherComment = """
        Summary: explain add again

        ```diff
        --- a/calc.py
        +++ b/calc.py
        @@ -1,2 +1,3 @@
        +# adds, one day
         def add(a, b):
             return a - b
        ```
        """

    override class func setUp() {
        super.setUp()
        // libgit2 runs in this process: it must read the same empty global config as git does.
        Hermetic.applyToCurrentProcess()
    }

    private struct Played {
        let outcome: RunOutcome
        let rounds: [RoundResult]
        let baseline: TestSummary?
        let scratchParent: TemporaryDirectory
    }

    private func play(_ repo: TestRepository, _ model: ScriptedModel, _ tests: ScriptedTests,
                      hostEnvironment: [String: String] = Hermetic.environment,
                      adjust: (inout RepairSettings) -> Void = { _ in }) async throws -> Played {
        var flags = RepairFlags()
        flags.test = testCommand
        flags.endpoint = "http://127.0.0.1:9/v1"
        flags.model = "scripted-model"
        flags.sandbox = "none"
        var settings = try SettingsResolver(flags: flags, environment: Hermetic.environment, projectRoot: repo.url,
                                            config: { _ in nil }).resolve()
        adjust(&settings)
        let events = EventLog()
        let loop = RepairLoop(repository: try Repository.discover(from: repo.url), settings: settings, model: model, tests: tests,
                              events: { events.append($0) })
        let scratchParent = try TemporaryDirectory(prefix: "autofix-loop-scratch")
        loop.scratchParent = scratchParent.url
        loop.hostEnvironment = hostEnvironment
        let outcome = try await loop.run()

        // Wherever the story goes, the tests ran in the session's sandbox view, never in the
        // user's work tree nor in the host's own checkout next to the view.
        XCTAssertFalse(tests.calls.isEmpty, "the baseline tests ran")
        for call in tests.calls {
            let session = call.directory.deletingLastPathComponent()
            XCTAssertEqual(call.directory.lastPathComponent, "sandbox", call.directory.path)
            XCTAssertEqual(session.deletingLastPathComponent().standardizedFileURL.path, scratchParent.url.standardizedFileURL.path)
            XCTAssertTrue(session.lastPathComponent.hasPrefix("git-autofix-"), session.path)
            XCTAssertFalse(call.directory.path.hasPrefix(repo.url.path + "/"), "the tests ran in the user's work tree")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: scratchParent.path), [], "the session was removed")
        return Played(outcome: outcome, rounds: events.rounds, baseline: events.baseline, scratchParent: scratchParent)
    }

    /// Everything the user owns; run refs, objects, notes and run records are the tool's own.
    private func userFiles(_ repo: TestRepository) throws -> [String: String] {
        try repo.fingerprint(excluding: [".git/objects", ".git/refs/autofix", ".git/refs/notes", ".git/autofix", ".git/logs"])
    }

    // MARK: acceptance

    func testAFixThatLowersTheFailuresIsCommittedOnTheRunRefWithItsTrailers() async throws {
        let repo = try SampleProjects.pythonCalculator()
        try repo.write("NOTES.md", "uncommitted\n")
        let head = try repo.revParse("HEAD")
        let before = try userFiles(repo)
        let model = ScriptedModel([SampleProjects.pythonCalculatorFix])
        let tests = ScriptedTests([CalculatorScript.addFails, CalculatorScript.allPass], watching: ["calc.py"])

        let played = try await play(repo, model, tests)
        XCTAssertEqual(played.outcome.status, .fixed)
        XCTAssertEqual(played.outcome.stopReason, "all tests pass")
        XCTAssertEqual(played.outcome.rounds, 1)
        XCTAssertEqual(played.outcome.failingBefore, 2)
        XCTAssertEqual(played.outcome.failingAfter, 0)
        XCTAssertEqual(played.rounds.map(\.verdict), [.accepted])

        let ref = played.outcome.ref
        XCTAssertEqual(played.outcome.commits, [try repo.revParse(ref)])
        XCTAssertEqual(played.rounds.first?.commit, try repo.revParse(ref))
        XCTAssertEqual(try repo.revParse("\(ref)^"), played.outcome.snapshot)
        XCTAssertEqual(try repo.revParse("\(ref)^^"), head, "the snapshot sits on the user's HEAD")
        XCTAssertEqual(try repo.git("log", "-1", "--format=%s", ref), "make add() add instead of subtract\n")
        let trailers = try repo.git("log", "-1", "--format=%(trailers:only,unfold)", ref)
            .split(separator: "\n").map(String.init)
        XCTAssertEqual(trailers, [
            "Autofix-Run: \(played.outcome.run)",
            "Autofix-Round: 1",
            "Autofix-Model: scripted-model",
            "Autofix-Test-Command: \(testCommand)",
            "Autofix-Failing: 2 -> 0",
        ])
        XCTAssertTrue(try repo.git("show", "\(ref):calc.py").contains("return a + b"))
        XCTAssertEqual(try repo.git("show", "\(ref):NOTES.md"), "uncommitted\n")

        XCTAssertEqual(tests.calls.count, 2)
        XCTAssertTrue(tests.calls[0].files["calc.py"]??.contains("return a - b") ?? false, "the baseline ran on the snapshot")
        XCTAssertTrue(tests.calls[1].files["calc.py"]??.contains("return a + b") ?? false, "the view had the patch when the tests ran")
        XCTAssertEqual(try userFiles(repo), before, "the user's work tree, index and HEAD are untouched")
        XCTAssertEqual(model.requests.first?.model, "scripted-model")
        XCTAssertEqual(model.requests.first?.messages.first?.role, .system)
    }

    // MARK: rollback

    func testAChangeThatLeavesTheFailuresAsTheyWereIsRolledBackAndExplained() async throws {
        let repo = try SampleProjects.pythonCalculator()
        let model = ScriptedModel([CalculatorScript.commentOnly, SampleProjects.pythonCalculatorFix])
        let tests = ScriptedTests([CalculatorScript.addFails, CalculatorScript.addFails, CalculatorScript.allPass], watching: ["calc.py"])

        let played = try await play(repo, model, tests)
        XCTAssertEqual(played.rounds.map(\.verdict), [.rejected, .accepted])
        XCTAssertNil(played.rounds[0].commit, "the run ref did not move")
        XCTAssertEqual(played.rounds[0].reason, "failing tests did not go down (2 before, 2 after)")
        XCTAssertTrue(model.feedback(inRequest: 1).contains(
            "it was rolled back because failing tests did not go down (2 before, 2 after)"), model.feedback(inRequest: 1))
        XCTAssertTrue(model.feedback(inRequest: 1).contains("test_add"), "the failures are named again")

        XCTAssertTrue(tests.calls[1].files["calc.py"]??.contains("# adds, eventually") ?? false)
        XCTAssertFalse(tests.calls[2].files["calc.py"]??.contains("# adds, eventually") ?? true, "the rejected change was undone")
        let ref = played.outcome.ref
        XCTAssertEqual(played.outcome.commits, [try repo.revParse(ref)])
        XCTAssertEqual(try repo.revParse("\(ref)^"), played.outcome.snapshot, "only the accepted round is on the run ref")
        XCTAssertFalse(try repo.git("show", "\(ref):calc.py").contains("# adds, eventually"))
    }

    func testAChangeThatBreaksAPassingTestIsRolledBackAndTheTestIsNamed() async throws {
        let repo = try SampleProjects.pythonCalculator()
        let breaksMul = SampleProjects.pythonCalculatorFixThatBreaksMul
        let model = ScriptedModel([breaksMul, "CANNOT FIX: out of ideas"])
        // Fewer failures than before, but one of them is new: not an improvement.
        let tests = ScriptedTests([CalculatorScript.addFails, .pytest(passing: ["test_add", "test_add_negative"], failing: ["test_mul"])])

        let played = try await play(repo, model, tests)
        XCTAssertEqual(played.outcome.status, .failing)
        XCTAssertEqual(played.rounds.map(\.verdict), [.rejected, .noEdit])
        XCTAssertEqual(played.rounds[0].newlyFailing, ["test_calc.py::test_mul"])
        XCTAssertEqual(played.outcome.commits, [])
        XCTAssertEqual(try repo.revParse(played.outcome.ref), played.outcome.snapshot, "the run ref did not move")
        XCTAssertTrue(model.feedback(inRequest: 1).contains("rolled back because it broke tests that passed before: test_calc.py::test_mul"),
                      model.feedback(inRequest: 1))
    }

    func testAPatchThatDoesNotApplyUndoesTheWholeReplyAndSaysWhy() async throws {
        let repo = try SampleProjects.pythonCalculator()
        let halfBroken = """
            Summary: two changes

            ```diff
            --- a/calc.py
            +++ b/calc.py
            @@ -1,2 +1,3 @@
            +# adds, eventually
             def add(a, b):
                 return a - b
            --- a/test_calc.py
            +++ b/test_calc.py
            @@ -1,3 +1,3 @@
             # a comment that is not there
            -not_there = 1
            +not_there = 2
             # nor is this one
            ```
            """
        let model = ScriptedModel([halfBroken, SampleProjects.pythonCalculatorFix])
        let tests = ScriptedTests([CalculatorScript.addFails, CalculatorScript.allPass], watching: ["calc.py", "test_calc.py"])

        let played = try await play(repo, model, tests)
        XCTAssertEqual(played.rounds.map(\.verdict), [.patchFailed, .accepted])
        XCTAssertNil(played.rounds[0].commit)
        XCTAssertEqual(played.rounds[0].appliedFiles, ["calc.py"], "the first file patch applied before the second failed")
        XCTAssertEqual(tests.calls.count, 2, "no tests ran for the reply that did not apply")
        let feedback = model.feedback(inRequest: 1)
        XCTAssertTrue(feedback.contains("Your change could not be applied, so nothing of it was kept"), feedback)
        XCTAssertTrue(feedback.contains("test_calc.py"), feedback)

        let view = tests.calls[1].files
        XCTAssertFalse(view["calc.py"]??.contains("# adds, eventually") ?? true, "the applied half was rolled back")
        XCTAssertTrue(view["calc.py"]??.contains("return a + b") ?? false)
        XCTAssertEqual(view["test_calc.py"] ?? nil, try repo.read("test_calc.py"))
        XCTAssertEqual(try repo.revParse("\(played.outcome.ref)^"), played.outcome.snapshot)
        XCTAssertFalse(try repo.git("show", "\(played.outcome.ref):calc.py").contains("# adds, eventually"))
    }

    // MARK: stopping

    func testADeclineStopsTheRunWithTheModelsReason() async throws {
        let repo = try SampleProjects.pythonCalculator()
        let model = ScriptedModel(["I looked at it.\nCANNOT FIX: the test needs the network\n", SampleProjects.pythonCalculatorFix])
        let tests = ScriptedTests([CalculatorScript.addFails])

        let played = try await play(repo, model, tests)
        XCTAssertEqual(played.outcome.status, .failing)
        XCTAssertEqual(played.outcome.stopReason, "the model declined: the test needs the network")
        XCTAssertEqual(played.outcome.rounds, 1)
        XCTAssertEqual(played.rounds.map(\.verdict), [.noEdit])
        XCTAssertEqual(model.requests.count, 1, "no request after the decline")
        XCTAssertEqual(tests.calls.count, 1)
        XCTAssertEqual(try repo.revParse(played.outcome.ref), played.outcome.snapshot)
    }

    func testTwoRepliesWithoutAnEditInARowStopTheRun() async throws {
        let repo = try SampleProjects.pythonCalculator()
        // An edit between two empty replies starts the count again.
        let model = ScriptedModel(["I am not sure.", CalculatorScript.commentOnly, "Let me think.", "Still thinking.", SampleProjects.pythonCalculatorFix])
        let tests = ScriptedTests([CalculatorScript.addFails, CalculatorScript.addFails])

        let played = try await play(repo, model, tests)
        XCTAssertEqual(played.outcome.status, .failing)
        XCTAssertEqual(played.outcome.stopReason, "the model gave no usable edit twice in a row")
        XCTAssertEqual(played.rounds.map(\.verdict), [.noEdit, .rejected, .noEdit, .noEdit])
        XCTAssertEqual(model.requests.count, 4)
        XCTAssertTrue(model.feedback(inRequest: 1).contains("Your reply contained no edit I could use"), model.feedback(inRequest: 1))
        XCTAssertTrue(model.feedback(inRequest: 1).contains("```diff"), "it says what an edit looks like")
    }

    func testTheTimeBudgetEndsTheRunAfterTheRoundThatUsedItUp() async throws {
        let repo = try SampleProjects.pythonCalculator()
        let model = ScriptedModel([CalculatorScript.commentOnly, SampleProjects.pythonCalculatorFix])
        // Round 1's tests run until the time left to them is up, however long the set-up took.
        let tests = ScriptedTests([CalculatorScript.addFails, CalculatorScript.addFails.taking(.infinity)])

        let played = try await play(repo, model, tests) { $0.timeout = 5 }
        XCTAssertEqual(played.outcome.status, .failing)
        XCTAssertEqual(played.outcome.stopReason, "time budget of 5.0s used up")
        XCTAssertEqual(played.outcome.rounds, 1)
        XCTAssertEqual(model.requests.count, 1, "no round starts once the budget is used up")
        let limit = try XCTUnwrap(model.requests[0].timeLimit, "the reply must end within the budget")
        XCTAssertGreaterThan(limit, 0)
        XCTAssertLessThanOrEqual(limit, 5)
        XCTAssertLessThan(tests.calls[1].timeout, 5, "the tests get what is left of the budget")
    }

    func testMaxRoundsEndsTheRun() async throws {
        let repo = try SampleProjects.pythonCalculator()
        let model = ScriptedModel([CalculatorScript.commentOnly, anotherComment, SampleProjects.pythonCalculatorFix])
        let tests = ScriptedTests([.tap([("add", false), ("mul", true)]), .tap([("add", false), ("mul", true)]),
                                   .tap([("add", false), ("mul", true)])])

        let played = try await play(repo, model, tests) { $0.maxRounds = 2 }
        XCTAssertEqual(played.outcome.status, .failing)
        XCTAssertEqual(played.outcome.stopReason, "reached the maximum of 2 rounds")
        XCTAssertEqual(played.outcome.rounds, 2)
        XCTAssertEqual(played.outcome.failingBefore, 1)
        XCTAssertEqual(played.rounds.map(\.verdict), [.rejected, .rejected])
        XCTAssertEqual(model.requests.count, 2)
        XCTAssertEqual(tests.calls.count, 3)
        XCTAssertEqual(try repo.revParse(played.outcome.ref), played.outcome.snapshot)
    }

    func testTheTestsRunInTheSandboxViewNeverInTheHostsCheckout() async throws {
        let repo = try SampleProjects.pythonCalculator()
        let model = ScriptedModel([CalculatorScript.commentOnly, SampleProjects.pythonCalculatorFix])
        let tests = ScriptedTests([CalculatorScript.addFails, CalculatorScript.addFails, CalculatorScript.allPass], watching: ["calc.py"])
        let seen = Seen()
        // The host's checkout is the view's sibling; the view must be a directory of its own.
        tests.whileRunning = { view in
            let checkout = view.deletingLastPathComponent().appendingPathComponent("work")
            seen.note(view: view.resolvingSymlinksInPath().path, checkout: checkout.resolvingSymlinksInPath().path,
                      checkoutHasFiles: FileManager.default.fileExists(atPath: checkout.appendingPathComponent("calc.py").path))
        }

        let played = try await play(repo, model, tests)
        XCTAssertEqual(played.outcome.status, .fixed)
        XCTAssertEqual(seen.runs.count, 3)
        for run in seen.runs {
            XCTAssertNotEqual(run.view, run.checkout)
            XCTAssertTrue(run.checkoutHasFiles, "the host's checkout sits next to the view: \(run.checkout)")
        }
    }
}

/// Real progress is kept, and a run that goes in circles stops.
extension RepairLoopTests {
    /// `pytest -q` when test_calc.py cannot be imported: the collection failed, no test ran.
    private var collectionFails: ScriptedTests.Run {
        .output(["", "==================================== ERRORS ====================================",
                 "________________________ ERROR collecting test_calc.py _________________________",
                 "test_calc.py:1: in <module>", "    from calc import add, mul",
                 "E   ImportError: cannot import name 'mul' from 'calc'",
                 "=========================== short test summary info ============================",
                 "ERROR test_calc.py",
                 "!!!!!!!!!!!!!!!!!!!! Interrupted: 1 error during collection !!!!!!!!!!!!!!!!!!!!",
                 "1 error in 0.40s"], exitCode: 2)
    }

    func testFixingTheCollectionIsKeptAlthoughTestsThatCouldNotRunBeforeFailNow() async throws {
        let repo = try SampleProjects.pythonCalculator()
        let model = ScriptedModel([CalculatorScript.commentOnly, SampleProjects.pythonCalculatorFix])
        let tests = ScriptedTests([collectionFails, CalculatorScript.addFails, CalculatorScript.allPass])

        let played = try await play(repo, model, tests)
        XCTAssertEqual(played.rounds.map(\.verdict), [.accepted, .accepted])
        XCTAssertEqual(played.rounds[0].reason, "failing 3 -> 2", "every test counted failing while none could run")
        XCTAssertEqual(played.outcome.status, .fixed)
        XCTAssertEqual(played.outcome.failingBefore, 3)
        let first = try XCTUnwrap(played.outcome.commits.first)
        XCTAssertTrue(try repo.git("log", "-1", "--format=%(trailers:only,unfold)", first).contains("Autofix-Failing: 3 -> 2"))
    }

    func testWithAnIssueOnAPassingSuiteAChangeThatBreaksNothingIsKeptUntilTheModelIsDone() async throws {
        let repo = try SampleProjects.pythonCalculator()
        let addsAFailingTest = ScriptedTests.Run.pytest(passing: ["test_add", "test_add_negative", "test_mul"], failing: ["test_sub"])
        let model = ScriptedModel([anotherComment, CalculatorScript.commentOnly + "\nDONE\n"])
        let tests = ScriptedTests([CalculatorScript.allPass, addsAFailingTest, CalculatorScript.allPass])

        let played = try await play(repo, model, tests) { $0.issueText = "add() must say what it does" }
        XCTAssertEqual(played.rounds.map(\.verdict), [.rejected, .accepted])
        XCTAssertEqual(played.rounds[0].newlyFailing, ["test_calc.py::test_sub"], "a test the change adds must pass")
        XCTAssertEqual(played.rounds[1].reason, "failing 0 -> 0")
        XCTAssertEqual(played.outcome.status, .fixed)
        XCTAssertEqual(played.outcome.stopReason, "the model said the task is done")
        XCTAssertEqual(played.outcome.commits.count, 1)
        XCTAssertTrue(try repo.git("show", "\(played.outcome.ref):calc.py").contains("# adds, eventually"))
        XCTAssertTrue(model.requests[0].messages[1].content.contains("reply with a line that says only DONE"))
    }

    func testWithAnIssueARunThatKeptNothingIsNotReportedAsFixed() async throws {
        let repo = try SampleProjects.pythonCalculator()
        let model = ScriptedModel(["Nothing to change.\nDONE"])
        let tests = ScriptedTests([CalculatorScript.allPass])

        let played = try await play(repo, model, tests) { $0.issueText = "add() must say what it does" }
        XCTAssertEqual(played.outcome.status, .failing)
        XCTAssertEqual(played.outcome.stopReason, "the model said it is done, but no change was accepted")
        XCTAssertEqual(played.outcome.commits, [])
    }

    func testTheSameReplyTwiceInARowEndsTheRun() async throws {
        let repo = try SampleProjects.pythonCalculator()
        let model = ScriptedModel([CalculatorScript.commentOnly, CalculatorScript.commentOnly, SampleProjects.pythonCalculatorFix])
        let tests = ScriptedTests([CalculatorScript.addFails, CalculatorScript.addFails, CalculatorScript.addFails])

        let played = try await play(repo, model, tests)
        XCTAssertEqual(played.outcome.status, .failing)
        XCTAssertEqual(played.outcome.stopReason, "the model sent the same reply twice in a row")
        XCTAssertEqual(played.rounds.map(\.verdict), [.rejected, .rejected])
        XCTAssertEqual(model.requests.count, 2)
    }

    func testPatchesThatFailTheSameWayTwiceInARowEndTheRun() async throws {
        let repo = try SampleProjects.pythonCalculator()
        let hunk = """

            ```diff
            --- a/calc.py
            +++ b/calc.py
            @@ -1,2 +1,2 @@
             def add(x, y):
            -    return x - y
            +    return x + y
            ```
            """
        let model = ScriptedModel(["Summary: fix add" + hunk, "Summary: fix add, as asked" + hunk, SampleProjects.pythonCalculatorFix])
        let tests = ScriptedTests([CalculatorScript.addFails])

        let played = try await play(repo, model, tests)
        XCTAssertEqual(played.rounds.map(\.verdict), [.patchFailed, .patchFailed])
        XCTAssertTrue(played.outcome.stopReason.hasPrefix("the model's patches failed the same way twice in a row: "),
                      played.outcome.stopReason)
        XCTAssertTrue(played.outcome.stopReason.contains("calc.py"), played.outcome.stopReason)
        XCTAssertEqual(model.requests.count, 2)
    }

    func testTwoRoundsInARowThatHitTheTestTimeLimitEndTheRunAndNameWhatWasRunning() async throws {
        let repo = try SampleProjects.pythonCalculator()
        let slow = ScriptedTests.Run.pytestTimedOut(passed: ["test_add"], running: "test_mul")
        let model = ScriptedModel([CalculatorScript.commentOnly, anotherComment, SampleProjects.pythonCalculatorFix])
        // The baseline timing out is a failure to fix; only rounds count toward the stop.
        let tests = ScriptedTests([slow, slow, slow])

        let played = try await play(repo, model, tests) { $0.sandboxSettings.limits.timeout = 40 }
        XCTAssertEqual(played.rounds.map(\.verdict), [.rejected, .rejected])
        XCTAssertEqual(played.outcome.stopReason,
                       "the tests hit the time limit of 40.0s in two rounds in a row without progress (still running: test_calc.py::test_mul); "
                       + "raise --test-timeout or give a faster test command")
        XCTAssertEqual(model.requests.count, 2)
        XCTAssertEqual(played.baseline?.note, "still running when it stopped: test_calc.py::test_mul")
    }

    // MARK: the environment, not the code

    /// Plays a run whose baseline printed `output`: it must stop before the model is asked, with
    /// a sandbox error (exit 4).
    private func stopsBeforeRoundOne(_ output: [String], exitCode: Int32, hostEnvironment: [String: String] = Hermetic.environment,
                                     file: StaticString = #filePath, line: UInt = #line) async throws -> RunError? {
        let repo = try SampleProjects.pythonCalculator()
        let model = ScriptedModel([SampleProjects.pythonCalculatorFix])
        do {
            let played = try await play(repo, model, ScriptedTests([.output(output, exitCode: exitCode)]), hostEnvironment: hostEnvironment)
            XCTFail("the run played \(played.rounds.count) round(s): \(played.outcome.stopReason)", file: file, line: line)
            return nil
        } catch let error as RunError {
            XCTAssertEqual(model.requests.count, 0, "no tokens are spent on the environment", file: file, line: line)
            XCTAssertEqual(error.category, .sandbox, file: file, line: line)
            XCTAssertEqual(error.category.rawValue, 4, file: file, line: line)
            return error
        }
    }

    private func environment(_ extra: [String: String]) -> [String: String] {
        Hermetic.environment.merging(extra) { _, new in new }
    }

    private func makeExecutable(_ url: URL, _ text: String = "#!/bin/sh\nexit 0\n") throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: url, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: url.path)
    }

    func testACommandMissingHereTooStopsTheRunWithoutABindThatCannotHelp() async throws {
        let error = try await stopsBeforeRoundOne(["/bin/sh: 1: no-such-runner: not found"], exitCode: 127)
        XCTAssertTrue(error?.message.contains("could not start in the none sandbox (exit 127: command not found)") ?? false, "\(String(describing: error))")
        let hint = try XCTUnwrap(error?.hint)
        XCTAssertTrue(hint.hasPrefix("`no-such-runner` is not found on this machine either: install it"), hint)
        XCTAssertFalse(hint.contains("sandboxBind"), "binding cannot show what does not exist: \(hint)")
    }

    func testAProgramTheHostHasButTheSandboxDoesNotShowIsNamedWithTheBindThatShowsIt() async throws {
        let tools = try TemporaryDirectory(prefix: "autofix-tools")
        try makeExecutable(tools.file("runner/bin/fancy-runner"))
        let host = environment(["PATH": tools.file("runner/bin").path + ":" + (Hermetic.environment["PATH"] ?? "")])
        let error = try await stopsBeforeRoundOne(["sh: 1: fancy-runner: not found"], exitCode: 127, hostEnvironment: host)
        XCTAssertEqual(error?.hint, "`fancy-runner` is \(tools.file("runner/bin/fancy-runner").path) here, which the sandbox does not show: "
                       + "git config --add autofix.sandboxBind \(tools.file("runner").path); try it with `git autofix sandbox -- \(testCommand)`")
    }

    private var rustupCannotChoose: [String] { [
        "error: rustup could not choose a version of cargo to run, because one wasn't specified explicitly, and no default is configured.",
        "help: run 'rustup default stable' to download the latest stable release of Rust and set it as your default toolchain.",
    ] }

    func testRustupThatCannotChooseAToolchainInTheSandboxNamesItsHomeAndRUSTUP_HOME() async throws {
        let rustup = try TemporaryDirectory(prefix: "autofix-rustup")
        try FileManager.default.createDirectory(at: rustup.file("toolchains/stable-x86_64-unknown-linux-gnu/bin"), withIntermediateDirectories: true)
        try "default_toolchain = \"stable-x86_64-unknown-linux-gnu\"\n".write(to: rustup.file("settings.toml"), atomically: true, encoding: .utf8)
        let error = try await stopsBeforeRoundOne(rustupCannotChoose, exitCode: 1, hostEnvironment: environment(["RUSTUP_HOME": rustup.path]))
        XCTAssertTrue(error?.message.hasPrefix("rustup could not start a toolchain in the sandbox: error: rustup could not choose") ?? false,
                      "\(String(describing: error))")
        XCTAssertEqual(error?.hint, "rustup's toolchains are in \(rustup.path), which the sandbox does not see: "
                       + "git config --add autofix.sandboxBind \(rustup.path); export RUSTUP_HOME=\(rustup.path) and git config --add autofix.sandboxEnv RUSTUP_HOME")
    }

    func testRustupWithoutAToolchainOnTheHostEitherSaysToInstallOne() async throws {
        let rustup = try TemporaryDirectory(prefix: "autofix-rustup")
        let error = try await stopsBeforeRoundOne(rustupCannotChoose, exitCode: 1, hostEnvironment: environment(["RUSTUP_HOME": rustup.path]))
        XCTAssertEqual(error?.hint, "no rustup toolchain is installed on this machine either: rustup default stable")
    }

    func testPyenvWithoutTheVersionInTheSandboxNamesItsRoot() async throws {
        let pyenv = try TemporaryDirectory(prefix: "autofix-pyenv")
        try FileManager.default.createDirectory(at: pyenv.file("versions/3.11.7/bin"), withIntermediateDirectories: true)
        let missing = ["pyenv: version `3.11.7' is not installed (set by /home/dev/project/.python-version)"]
        let error = try await stopsBeforeRoundOne(missing, exitCode: 1, hostEnvironment: environment(["PYENV_ROOT": pyenv.path]))
        XCTAssertEqual(error?.hint, "pyenv's Python 3.11.7 is in \(pyenv.path), which the sandbox does not see: "
                       + "git config --add autofix.sandboxBind \(pyenv.path); export PYENV_ROOT=\(pyenv.path) and git config --add autofix.sandboxEnv PYENV_ROOT")

        let elsewhere = try TemporaryDirectory(prefix: "autofix-pyenv")
        let notInstalled = try await stopsBeforeRoundOne(missing, exitCode: 1, hostEnvironment: environment(["PYENV_ROOT": elsewhere.path]))
        XCTAssertEqual(notInstalled?.hint, "Python 3.11.7 is not installed on this machine either: pyenv install 3.11.7")
    }

    func testAScriptWhoseInterpreterIsMissingStopsTheRun() async throws {
        let nowhere = try await stopsBeforeRoundOne(["/usr/bin/env: 'python3.99': No such file or directory"], exitCode: 127)
        XCTAssertTrue(nowhere?.message.contains("the interpreter `python3.99` of a script the tests run is not in the sandbox") ?? false,
                      "\(String(describing: nowhere))")
        XCTAssertTrue(nowhere?.hint?.hasPrefix("`python3.99` does not exist on this machine either") ?? false, "\(String(describing: nowhere))")
        XCTAssertFalse(nowhere?.hint?.contains("sandboxBind") ?? true)

        let python = try TemporaryDirectory(prefix: "autofix-python")
        try makeExecutable(python.file("bin/python"))
        let bad = "/bin/sh: .venv/bin/pytest: \(python.file("bin/python").path): bad interpreter: No such file or directory"
        let hidden = try await stopsBeforeRoundOne([bad], exitCode: 126)
        XCTAssertEqual(hidden?.hint, "`\(python.file("bin/python").path)` is \(python.file("bin/python").path) here, which the sandbox does not show: "
                       + "git config --add autofix.sandboxBind \(python.path)")
    }

    private func collectionFails(importing module: String) -> ScriptedTests.Run {
        .output(["============================= test session starts ==============================",
                 "collected 0 items / 1 error", "",
                 "==================================== ERRORS ====================================",
                 "________________________ ERROR collecting test_calc.py _________________________",
                 "test_calc.py:1: in <module>", "    import \(module)",
                 "E   ModuleNotFoundError: No module named '\(module)'",
                 "=========================== short test summary info ============================",
                 "ERROR test_calc.py",
                 "!!!!!!!!!!!!!!!!!!!! Interrupted: 1 error during collection !!!!!!!!!!!!!!!!!!!!",
                 "1 error in 0.05s"], exitCode: 2)
    }

    func testAModuleTheHostsPythonImportsFromPYTHONPATHStopsTheRunWithWhatToSet() async throws {
        let site = try TemporaryDirectory(prefix: "autofix-site")
        try "VALUE = 1\n".write(to: site.file("hostonlyhelper.py"), atomically: true, encoding: .utf8)
        let run = collectionFails(importing: "hostonlyhelper")
        let error = try await stopsBeforeRoundOne(run.execution.output.split(separator: "\n").map(String.init), exitCode: 2,
                                                  hostEnvironment: environment(["PYTHONPATH": site.path]))
        XCTAssertTrue(error?.message.hasPrefix("the tests could not import `hostonlyhelper` in the sandbox (ModuleNotFoundError), but ") ?? false,
                      "\(String(describing: error))")
        XCTAssertTrue(error?.message.hasSuffix("imports it from \(site.path)") ?? false, "\(String(describing: error))")
        XCTAssertEqual(error?.hint, "it is on your PYTHONPATH, which the sandbox does not get: "
                       + "git config --add autofix.sandboxEnv PYTHONPATH; git config --add autofix.sandboxBind \(site.path)")
    }

    func testAModuleNoPythonHereImportsIsTheCodesToFix() async throws {
        let repo = try SampleProjects.pythonCalculator()
        let model = ScriptedModel([SampleProjects.pythonCalculatorFix])
        let tests = ScriptedTests([collectionFails(importing: "no_such_module_anywhere"), CalculatorScript.allPass])

        let played = try await play(repo, model, tests)
        XCTAssertEqual(model.requests.count, 1, "the model was asked")
        XCTAssertEqual(played.rounds.map(\.verdict), [.accepted])
    }
}

/// Round results as the loop announced them.
private final class EventLog: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [RunEvent] = []

    func append(_ event: RunEvent) { lock.withLock { events.append(event) } }

    var baseline: TestSummary? {
        lock.withLock { events.lazy.compactMap { if case .baseline(let summary) = $0 { return summary } else { return nil } }.first }
    }

    var rounds: [RoundResult] {
        lock.withLock { events.compactMap { if case .roundFinished(let result) = $0 { return result } else { return nil } } }
    }
}

/// What a test run saw of its session.
private final class Seen: @unchecked Sendable {
    struct Run {
        let view: String
        let checkout: String
        let checkoutHasFiles: Bool
    }

    private let lock = NSLock()
    private var seen: [Run] = []

    func note(view: String, checkout: String, checkoutHasFiles: Bool) {
        lock.withLock { seen.append(Run(view: view, checkout: checkout, checkoutHasFiles: checkoutHasFiles)) }
    }

    var runs: [Run] { lock.withLock { seen } }
}
