import AutofixTestSupport
import XCTest

/// `git push` to a bare remote with the pre-push hook installed, as a user would push.
final class HookPushTests: XCTestCase {
    func testPassingCommitIsPushedAndTheTestsRanOnItNotOnTheDirtyWorkingTree() throws {
        let fixture = try PushFixture()
        let head = try fixture.commit(passing: true, "passing")
        // Uncommitted breakage must not matter: the pushed commit is what gets tested.
        try fixture.local.write("test.sh", PushFixture.failingTest)

        let push = try fixture.push("origin", "HEAD:refs/heads/main")
        XCTAssertEqual(push.status, 0, push.stderr)
        XCTAssertEqual(try fixture.remote.commit(at: "refs/heads/main"), head)
        XCTAssertEqual(fixture.testedCommits(), [head])
        XCTAssertEqual(fixture.testRuns().first?.directory, try fixture.reusedWorktree.resolvingSymlinksInPath().path,
                       "not in the dirty working tree")
        XCTAssertTrue(push.stderr.contains("tests pass on HEAD"), push.stderr)
        XCTAssertEqual(try fixture.leftoverWorktrees(), [], "no throwaway worktree is left")
        XCTAssertEqual(try String(contentsOf: fixture.local.url.appendingPathComponent("test.sh"), encoding: .utf8),
                       PushFixture.failingTest, "the working tree is left as it was")
    }

    func testACleanWorkingTreeAtThePushedCommitIsTestedInPlace() throws {
        let fixture = try PushFixture()
        try fixture.local.write(".gitignore", "build/\n")
        try fixture.local.write("build/cache", "kept between runs\n")
        let head = try fixture.commit(passing: true, "passing")

        let push = try fixture.push("origin", "main")
        XCTAssertEqual(push.status, 0, push.stderr)
        XCTAssertEqual(fixture.testRuns().map(\.commit), [head])
        XCTAssertEqual(fixture.testRuns().first?.directory, fixture.localPhysicalPath,
                       "ignored files such as build caches are there to use")
        XCTAssertEqual(try fixture.leftoverWorktrees(), [])
    }

    func testFailingCommitIsBlockedWithTheFailingSummaryUntilWarnOrNoVerify() throws {
        let fixture = try PushFixture()
        let head = try fixture.commit(passing: false, "failing")
        // The fix exists only in the working tree; the push must still be blocked.
        try fixture.local.write("test.sh", PushFixture.passingTest)

        let blocked = try fixture.push("origin", "main")
        XCTAssertNotEqual(blocked.status, 0)
        XCTAssertNil(try fixture.remote.commit(at: "refs/heads/main"), "nothing reached the remote")
        XCTAssertTrue(blocked.stderr.contains("FAIL: test_answer (expected 42, got 41)"), blocked.stderr)
        XCTAssertTrue(blocked.stderr.contains("push blocked"), blocked.stderr)
        XCTAssertTrue(blocked.stderr.contains("--no-verify"), blocked.stderr)
        XCTAssertEqual(fixture.testedCommits(), [head])
        let log = try String(contentsOf: fixture.local.url.appendingPathComponent(".git/autofix/pre-push.log"), encoding: .utf8)
        XCTAssertTrue(log.contains("1 passed, 1 failed"), "the full output is kept: \(log)")

        // `-c` on the push command counts, although the hook clears git's local variables.
        let warned = try fixture.local.tryGit("-c", "autofix.prePush=warn", "push", "origin", "main")
        XCTAssertEqual(warned.status, 0, warned.stderr)
        XCTAssertTrue(warned.stderr.contains("pushing anyway (autofix.prePush=warn)"), warned.stderr)
        XCTAssertEqual(try fixture.remote.commit(at: "refs/heads/main"), head)

        let next = try fixture.commit(passing: false, "still failing")
        XCTAssertNotEqual(try fixture.push("origin", "main").status, 0)
        let skipped = try fixture.push("--no-verify", "origin", "main")
        XCTAssertEqual(skipped.status, 0, skipped.stderr)
        XCTAssertEqual(try fixture.remote.commit(at: "refs/heads/main"), next)
        XCTAssertEqual(fixture.testedCommits(), [head, head, next], "--no-verify runs nothing")
    }

    func testTheFailingSummaryNamesEachFailingTestWhenGitAutofixIsInstalled() throws {
        let fixture = try PushFixture()
        let pytestOutput = """
            ============================= test session starts ==============================
            collected 2 items

            test_calc.py .F                                                          [100%]

            =================================== FAILURES ===================================
            _________________________________ test_answer __________________________________

                def test_answer():
            >       assert answer() == 42
            E       assert 41 == 42

            test_calc.py:5: AssertionError
            =========================== short test summary info ============================
            FAILED test_calc.py::test_answer - assert 41 == 42
            ========================= 1 failed, 1 passed in 0.03s ==========================

            """
        try fixture.local.write("pytest-output.txt", pytestOutput)
        try fixture.local.write("test.sh", "cat pytest-output.txt\nexit 1\n")
        try fixture.local.write("test_calc.py", "def answer():\n    return 41\n")
        try fixture.local.commitAll("failing pytest")

        let push = try fixture.push("origin", "main", environment: [
            "PATH": BuiltProducts.directory.path + ":" + Hermetic.environment["PATH"]!,
        ])
        XCTAssertNotEqual(push.status, 0, push.stderr)
        XCTAssertTrue(push.stderr.contains("| 1 of 2 tests failing (pytest)."), push.stderr)
        XCTAssertTrue(push.stderr.contains("| FAIL test_calc.py::test_answer"), push.stderr)
        XCTAssertTrue(push.stderr.contains("assert 41 == 42"), push.stderr)
        XCTAssertFalse(push.stderr.contains("test session starts"), "a summary, not the whole log: \(push.stderr)")
    }

    func testNewBranchAndTwoRefsAtOnceAreEachTested() throws {
        let fixture = try PushFixture()
        let base = try fixture.commit(passing: true, "base")
        XCTAssertEqual(try fixture.push("origin", "main").status, 0)

        try fixture.local.git("checkout", "-q", "-b", "feature")
        let feature = try fixture.commit(passing: false, "feature breaks the tests")
        try fixture.local.git("checkout", "-q", "main")
        let main = try fixture.commit(passing: true, "main moves on")

        let both = try fixture.push("origin", "main", "feature")
        XCTAssertNotEqual(both.status, 0, both.stderr)
        XCTAssertTrue(both.stderr.contains("tests FAIL on refs/heads/feature"), both.stderr)
        XCTAssertTrue(both.stderr.contains("new on the remote"), both.stderr)
        XCTAssertTrue(both.stderr.contains("tests pass on refs/heads/main"), both.stderr)
        XCTAssertEqual(Set(fixture.testedCommits().suffix(2)), [main, feature])
        XCTAssertEqual(try fixture.remote.commit(at: "refs/heads/main"), base, "a blocked push moves no ref")
        XCTAssertNil(try fixture.remote.commit(at: "refs/heads/feature"))

        // The same commit under two names is tested once.
        try fixture.local.git("branch", "-f", "feature", "main")
        let runsBefore = fixture.testedCommits().count
        let together = try fixture.push("origin", "main", "feature")
        XCTAssertEqual(together.status, 0, together.stderr)
        XCTAssertEqual(fixture.testedCommits().count, runsBefore + 1)
        XCTAssertEqual(try fixture.remote.commit(at: "refs/heads/feature"), main)
        XCTAssertEqual(try fixture.leftoverWorktrees(), [])
    }

    func testDeletingABranchRunsNoTests() throws {
        let fixture = try PushFixture()
        try fixture.commit(passing: true, "base")
        try fixture.local.git("branch", "old")
        XCTAssertEqual(try fixture.push("origin", "main", "old").status, 0)
        let runsBefore = fixture.testedCommits().count
        try fixture.local.git("config", "autofix.testCommand", "echo ran >>'\(fixture.testedLog.path)'; exit 1")

        let delete = try fixture.push("origin", "--delete", "old")
        XCTAssertEqual(delete.status, 0, delete.stderr)
        XCTAssertNil(try fixture.remote.commit(at: "refs/heads/old"))
        XCTAssertEqual(fixture.testedCommits().count, runsBefore, "a deletion is not tested")
    }

    func testSHA256RepositoryPushDeleteAndBlock() throws {
        let fixture = try PushFixture(objectFormat: "sha256")
        let good = try fixture.commit(passing: true, "good")
        XCTAssertEqual(good.count, 64)
        try fixture.local.git("branch", "topic")
        let push = try fixture.push("origin", "main", "topic")
        XCTAssertEqual(push.status, 0, push.stderr)
        XCTAssertEqual(try fixture.remote.commit(at: "refs/heads/topic"), good)

        let delete = try fixture.push("origin", "--delete", "topic")
        XCTAssertEqual(delete.status, 0, delete.stderr)
        XCTAssertNil(try fixture.remote.commit(at: "refs/heads/topic"))

        let bad = try fixture.commit(passing: false, "bad")
        let blocked = try fixture.push("origin", "main")
        XCTAssertNotEqual(blocked.status, 0, blocked.stderr)
        XCTAssertEqual(try fixture.remote.commit(at: "refs/heads/main"), good)
        XCTAssertEqual(fixture.testedCommits(), [good, bad])
    }

    func testPushWithGitDirAndWorkTreeFromElsewhereTestsThePushedCommit() throws {
        let fixture = try PushFixture()
        let bad = try fixture.commit(passing: false, "failing")
        try fixture.local.write("test.sh", PushFixture.passingTest)
        let elsewhere = try TemporaryDirectory(prefix: "autofix-elsewhere")
        let environment = GitDirectory.environment([
            "GIT_DIR": fixture.local.url.appendingPathComponent(".git").path, "GIT_WORK_TREE": fixture.local.path,
        ])
        let blocked = try Shell.run(["git", "push", "origin", "main"], in: elsewhere.url, environment: environment)
        XCTAssertNotEqual(blocked.status, 0, blocked.stderr)
        XCTAssertEqual(fixture.testedCommits(), [bad], "the pushed commit, not the fixed working tree")
        XCTAssertNil(try fixture.remote.commit(at: "refs/heads/main"))

        let good = try fixture.local.commitAll("fixed")
        let pushed = try Shell.run(["git", "push", "origin", "main"], in: elsewhere.url, environment: environment)
        XCTAssertEqual(pushed.status, 0, pushed.stderr)
        XCTAssertEqual(try fixture.remote.commit(at: "refs/heads/main"), good)
        XCTAssertEqual(try fixture.leftoverWorktrees(), [])
    }

    func testNoTestCommandMeansNothingIsTestedAndThePushSaysHowToSetOne() throws {
        let fixture = try PushFixture()
        try fixture.local.git("config", "--unset", "autofix.testCommand")
        try fixture.commit(passing: false, "failing but untested")
        let push = try fixture.push("origin", "main")
        XCTAssertEqual(push.status, 0, push.stderr)
        XCTAssertTrue(push.stderr.contains("git config autofix.testCommand"), push.stderr)
    }
}
