import AutofixTestSupport
import Foundation
import XCTest

/// Where the pre-push hook tests a pushed commit: in the user's working tree when nothing
/// uncommitted there could reach the tests, else in the one worktree it reuses, else in a
/// throwaway one; and that it never changes the user's work tree, index or branch.
final class HookPlaceTests: XCTestCase {
    /// The user's side of the repository that a push must leave byte for byte: the work tree,
    /// the index, HEAD and the branch.
    private struct UserState: Equatable {
        let workTree: [String: String]
        let index: Data?
        let head: Data
        let branch: String

        init(_ repository: GitDirectory) throws {
            workTree = try TreeFingerprint.of(repository.url, skipping: [".git"])
            index = try? Data(contentsOf: repository.url.appendingPathComponent(".git/index"))
            head = try Data(contentsOf: repository.url.appendingPathComponent(".git/HEAD"))
            branch = try repository.revParse("refs/heads/main")
        }
    }

    private func physicalPath(_ url: URL) -> String { url.resolvingSymlinksInPath().path }

    /// A commit of the test script and `paths`, leaving every other file as it is.
    @discardableResult
    private func commit(_ fixture: PushFixture, _ message: String, adding paths: String...) throws -> String {
        try fixture.local.write("test.sh", PushFixture.passingTest)
        try fixture.local.write("history.txt", message + "\n")
        for path in ["test.sh", "history.txt"] + paths { try fixture.local.git("add", path) }
        try fixture.local.git("commit", "-q", "-m", message)
        return try fixture.local.revParse("HEAD")
    }

    func testIgnoredBuildOutputEditorLeftoversAndConfiguredPatternsAreTestedInPlace() throws {
        let fixture = try PushFixture()
        let local = fixture.local
        try local.write(".gitignore", "build/\n")
        let head = try fixture.commit(passing: true, "passing")
        try local.write("build/debug/app.o", "object code\n")
        try local.write("foo.orig", "a merge left this\n")
        try local.write("Sources/.main.swift.swp", "an editor's swap file\n")
        try local.write("Sources/main.swift~", "an editor's backup\n")
        try local.write("notes/todo.md", "notes the tests never read\n")
        try local.write("scratch.log", "a log\n")
        try local.git("config", "--add", "autofix.prePushIgnoreUntracked", "notes/*.md")
        try local.git("config", "--add", "autofix.prePushIgnoreUntracked", "*.tmp  *.log")
        let before = try UserState(local)

        let push = try fixture.push("origin", "main")
        XCTAssertEqual(push.status, 0, push.stderr)
        XCTAssertEqual(fixture.testRuns().map(\.commit), [head])
        XCTAssertEqual(fixture.testRuns().first?.directory, fixture.localPhysicalPath, push.stderr)
        XCTAssertTrue(push.stderr.contains("testing in your working tree: it is at \(head.prefix(7))"), push.stderr)
        XCTAssertEqual(try fixture.worktrees().count, 1, "no worktree was made")
        XCTAssertEqual(try UserState(local), before)
    }

    func testAnUntrackedSourceFileOrAStagedChangeIsTestedInTheReusedWorktree() throws {
        let fixture = try PushFixture()
        let local = fixture.local
        try local.write("keep.txt", "tracked\n")
        let first = try commit(fixture, "first", adding: "keep.txt")
        try local.write("Sources/new.swift", "let unfinished = 1\n")
        let before = try UserState(local)

        let untracked = try fixture.push("origin", "main")
        XCTAssertEqual(untracked.status, 0, untracked.stderr)
        let reused = try fixture.reusedWorktree
        XCTAssertEqual(fixture.testRuns().map(\.directory), [physicalPath(reused)], untracked.stderr)
        XCTAssertTrue(untracked.stderr.contains("testing in a reused worktree: you have uncommitted or untracked files the tests could see: Sources/new.swift\n"),
                      untracked.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: reused.appendingPathComponent("Sources/new.swift").path),
                       "the uncommitted file is not in what was tested")
        XCTAssertEqual(try fixture.worktrees().last, reused.path, "git worktree list shows it by its name")
        let status = try AutofixCLI.run(["hook", "status"], in: local.url)
        XCTAssertTrue(status.stdout.contains("worktree:  \(reused.path) (reused to test pushes"), status.stdout)
        XCTAssertEqual(try fixture.leftoverWorktrees(), [])
        XCTAssertEqual(try UserState(local), before)

        // A change only in the index counts as much as one in the work tree.
        let second = try commit(fixture, "second")
        try local.write("keep.txt", "staged edit\n")
        try local.git("add", "keep.txt")
        let staged = try UserState(local)
        let push = try fixture.push("origin", "main")
        XCTAssertEqual(push.status, 0, push.stderr)
        XCTAssertEqual(fixture.testRuns().map(\.commit), [first, second])
        XCTAssertEqual(fixture.testRuns().last?.directory, physicalPath(reused))
        XCTAssertTrue(push.stderr.contains("you have uncommitted or untracked files the tests could see: keep.txt and 1 other file\n"), push.stderr)
        XCTAssertEqual(try UserState(local), staged)

        let uninstall = try AutofixCLI.run(["hook", "uninstall"], in: local.url)
        XCTAssertEqual(uninstall.status, 0, uninstall.stderr)
        XCTAssertTrue(uninstall.stdout.contains("Removed the worktree the hook tested pushes in: \(reused.path)"), uninstall.stdout)
        XCTAssertFalse(FileManager.default.fileExists(atPath: reused.path))
        XCTAssertEqual(try fixture.worktrees().count, 1, "its entry is gone too")
        XCTAssertEqual(try UserState(local), staged)
    }

    func testLaterPushesReuseTheWorktreeAndTheBuildOutputTheirTestsLeftThere() throws {
        let fixture = try PushFixture()
        let local = fixture.local
        // A test run that builds into an ignored directory, and leaves an untracked file behind.
        try local.write(".gitignore", ".build/\n")
        try local.write("stable.txt", "never changes\n")
        try local.git("config", "autofix.testCommand", """
            echo "$(git rev-parse HEAD) $(pwd -P)" >>'\(fixture.testedLog.path)' && \
            mkdir -p .build && echo built >>.build/marker && \
            if [ -e stray.out ]; then echo 'stray.out survived'; exit 1; fi && echo left >stray.out && sh test.sh
            """)
        try commit(fixture, "first", adding: ".gitignore", "stable.txt")
        try local.write("wip.swift", "work in progress\n")
        XCTAssertEqual(try fixture.push("origin", "main").status, 0)
        let reused = try fixture.reusedWorktree
        let stable = reused.appendingPathComponent("stable.txt")
        let stableDate = try FileManager.default.attributesOfItem(atPath: stable.path)[.modificationDate] as? Date

        try commit(fixture, "second")
        try local.git("checkout", "-q", "-b", "feature")
        let feature = try commit(fixture, "feature")
        try local.git("checkout", "-q", "main")
        let main = try commit(fixture, "third")
        let push = try fixture.push("origin", "main", "feature")
        XCTAssertEqual(push.status, 0, push.stderr)
        XCTAssertEqual(Set(fixture.testRuns().suffix(2).map(\.commit)), [main, feature])
        XCTAssertEqual(Set(fixture.testRuns().map(\.directory)), [physicalPath(reused)], "every run, one worktree")
        XCTAssertFalse(push.stderr.contains("made a worktree"), push.stderr)
        XCTAssertEqual(try String(contentsOf: reused.appendingPathComponent(".build/marker"), encoding: .utf8),
                       "built\nbuilt\nbuilt\n", "the ignored build output of every run is still there")
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: stable.path)[.modificationDate] as? Date, stableDate,
                       "an unchanged file is not rewritten")
        XCTAssertEqual(try fixture.leftoverWorktrees(), [])
    }

    func testABrokenReusedWorktreeFallsBackToAThrowawayOneAndUninstallStillRemovesIt() throws {
        let fixture = try PushFixture()
        let local = fixture.local
        try commit(fixture, "first")
        try local.write("wip.swift", "work in progress\n")
        XCTAssertEqual(try fixture.push("origin", "main").status, 0)
        let reused = try fixture.reusedWorktree
        try Data("not a gitfile\n".utf8).write(to: reused.appendingPathComponent(".git"))

        let head = try commit(fixture, "second")
        let push = try fixture.push("origin", "main")
        XCTAssertEqual(push.status, 0, push.stderr)
        XCTAssertTrue(push.stderr.contains("cannot use the reused worktree \(reused.path): "), push.stderr)
        XCTAssertTrue(push.stderr.contains("to have the next push make it afresh: rm -rf '\(reused.path)' && git worktree prune"), push.stderr)
        XCTAssertTrue(push.stderr.contains("testing in a throwaway worktree: you have uncommitted or untracked files the tests could see: wip.swift"), push.stderr)
        XCTAssertEqual(fixture.testRuns().last?.commit, head)
        let directory = try XCTUnwrap(fixture.testRuns().last?.directory)
        XCTAssertNotEqual(directory, physicalPath(reused))
        XCTAssertNotEqual(directory, fixture.localPhysicalPath)
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory), "the throwaway worktree is removed")
        XCTAssertEqual(try fixture.leftoverWorktrees(), [])

        let uninstall = try AutofixCLI.run(["hook", "uninstall"], in: local.url)
        XCTAssertEqual(uninstall.status, 0, uninstall.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: reused.path))
        XCTAssertEqual(try fixture.worktrees().count, 1)
    }

    func testAReusedWorktreeThatCannotBeMadeFallsBackToAThrowawayOne() throws {
        let fixture = try PushFixture()
        try commit(fixture, "first")
        try fixture.local.write("wip.swift", "work in progress\n")
        let blocked = try TemporaryDirectory(prefix: "autofix-cache")
        let file = blocked.file("a-file")
        try Data("not a directory\n".utf8).write(to: file)

        let push = try fixture.push("origin", "main", environment: ["XDG_CACHE_HOME": file.path + "/cache"])
        XCTAssertEqual(push.status, 0, push.stderr)
        XCTAssertTrue(push.stderr.contains("cannot use the reused worktree \(file.path)/cache/git-autofix/pre-push-worktrees/"), push.stderr)
        XCTAssertTrue(push.stderr.contains(".worktree: it could not be made: "), push.stderr)
        XCTAssertTrue(push.stderr.contains("testing in a throwaway worktree: you have uncommitted or untracked files the tests could see: wip.swift"), push.stderr)
        XCTAssertEqual(fixture.testRuns().count, 1)
        XCTAssertEqual(try fixture.worktrees().count, 1, "nothing was registered, and the throwaway one is gone")
    }

    func testAWorktreeHeldByAnotherPushIsLeftAloneAndALockLeftByAKilledPushIsTakenOver() throws {
        let fixture = try PushFixture()
        let local = fixture.local
        try commit(fixture, "first")
        try local.write("wip.swift", "work in progress\n")
        let lock = local.url.appendingPathComponent(".git/autofix/pre-push-worktree.lock")
        try FileManager.default.createDirectory(at: lock, withIntermediateDirectories: true)
        // This test process stands in for a push that is still running.
        try Data("\(getpid())\n".utf8).write(to: lock.appendingPathComponent("pid"))

        let held = try fixture.push("origin", "main")
        XCTAssertEqual(held.status, 0, held.stderr)
        XCTAssertTrue(held.stderr.contains("the reused worktree is in use by another push (process \(getpid()))"), held.stderr)
        XCTAssertTrue(held.stderr.contains("testing in a throwaway worktree"), held.stderr)
        let reused = try fixture.reusedWorktree
        XCTAssertFalse(FileManager.default.fileExists(atPath: reused.path), "not made while another push holds it")
        XCTAssertTrue(FileManager.default.fileExists(atPath: lock.path), "another push's lock is kept")

        let finished = try Shell.check(["sh", "-c", "echo $$"]).trimmingCharacters(in: .whitespacesAndNewlines)
        try Data("\(finished)\n".utf8).write(to: lock.appendingPathComponent("pid"))
        try commit(fixture, "second")
        let takenOver = try fixture.push("origin", "main")
        XCTAssertEqual(takenOver.status, 0, takenOver.stderr)
        XCTAssertTrue(takenOver.stderr.contains("testing in a reused worktree"), takenOver.stderr)
        XCTAssertEqual(fixture.testRuns().last?.directory, physicalPath(reused))
        XCTAssertFalse(FileManager.default.fileExists(atPath: lock.path), "the push let go of it when it ended")
    }
}
