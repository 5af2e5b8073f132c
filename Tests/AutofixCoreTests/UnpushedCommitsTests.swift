@testable import AutofixCore
@testable import AutofixGit
import AutofixTestSupport
import XCTest

/// Commits the branch has and its upstream lacks, on real repositories with a real upstream (a
/// bare remote): found through `branch.<b>.remote` and `.merge`, shown as a diff after the
/// uncommitted work, and nothing at all when there is no upstream.
final class UnpushedCommitsTests: XCTestCase {
    override class func setUp() {
        super.setUp()
        Hermetic.applyToCurrentProcess()
    }

    /// Kept for the whole test: a remote's directory goes when its last reference does.
    private var remotes: [TestRepository] = []

    /// A clone of a bare remote whose `main` has `calc.py` and its test, both pushed.
    private func pushedProject() throws -> (remote: TestRepository, clone: TestRepository) {
        let remote = try TestRepository(prefix: "autofix-remote", bare: true)
        remotes.append(remote)
        let clone = try TestRepository(prefix: "autofix-clone")
        try clone.write("calc.py", "def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n    return a - b\n")
        try clone.write("test_calc.py", "from calc import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n")
        try clone.commitAll("calc")
        try clone.git("remote", "add", "origin", remote.path)
        try clone.git("push", "-q", "-u", "origin", "main")
        return (remote, clone)
    }

    private func unpushed(_ repo: TestRepository) throws -> UnpushedCommits {
        let repository = try Repository.discover(from: repo.url)
        return try UnpushedCommits(repository: repository, head: repository.head())
    }

    func testCommitsAheadOfTheUpstreamAreListedNewestFirstWithTheirDiff() throws {
        let (_, clone) = try pushedProject()
        try clone.write("calc.py", try clone.read("calc.py").replacingOccurrences(of: "a + b", with: "a - b"))
        let first = try clone.commitAll("Simplify add")
        try clone.write("notes.py", "NOTE = 1\n")
        let second = try clone.commitAll("Add a note")

        let found = try unpushed(clone)
        XCTAssertEqual(found.upstream, "origin/main")
        XCTAssertEqual(found.subjects, ["\(second.prefix(10)) Add a note", "\(first.prefix(10)) Simplify add"])
        XCTAssertFalse(found.more)
        XCTAssertEqual(found.changes.files.map(\.path), ["calc.py", "notes.py"])
        let calc = try XCTUnwrap(found.changes.diff(of: "calc.py"))
        XCTAssertTrue(calc.text.contains("-    return a + b\n+    return a - b\n"), calc.text)
        XCTAssertEqual(Set(calc.changedLines), [2])
    }

    func testNothingIsUnpushedWithoutAnUpstreamOrWhenAllIsPushed() throws {
        let (_, clone) = try pushedProject()
        XCTAssertTrue(try unpushed(clone).isEmpty, "everything is pushed")

        try clone.git("switch", "-q", "-c", "topic")
        try clone.write("calc.py", "def add(a, b):\n    return 0\n")
        try clone.commitAll("Local only")
        XCTAssertTrue(try unpushed(clone).isEmpty, "a branch without branch.topic.remote has no upstream")

        try clone.git("branch", "-q", "--set-upstream-to=origin/main")
        XCTAssertEqual(try unpushed(clone).subjects.count, 1, "once it has one, the commit is unpushed")

        try clone.git("switch", "-q", "--detach")
        XCTAssertTrue(try unpushed(clone).isEmpty, "a detached HEAD has no branch and so no upstream")
    }

    func testAnUpstreamMergedIntoTheBranchIsNotPartOfItsDiff() throws {
        let (remote, clone) = try pushedProject()
        let other = try TestRepository(prefix: "autofix-other")
        try other.git("pull", "-q", remote.path, "main")
        try other.write("upstream.py", "UPSTREAM = 1\n")
        try other.commitAll("Upstream work")
        try other.git("push", "-q", remote.path, "main")

        try clone.write("mine.py", "MINE = 1\n")
        try clone.commitAll("My work")
        try clone.git("pull", "-q", "--no-rebase", "--no-edit", "origin", "main")

        let found = try unpushed(clone)
        XCTAssertEqual(found.changes.files.map(\.path), ["mine.py"], "upstream.py came from the upstream")
        XCTAssertEqual(found.subjects.count, 2, "the merge and the commit before it")
        XCTAssertTrue(found.subjects[1].hasSuffix(" My work"), "\(found.subjects)")
    }

    func testAnUpstreamThatIsALocalBranchIsFollowedToo() throws {
        let repo = try TestRepository()
        try repo.write("a.py", "A = 1\n")
        try repo.commitAll("base")
        try repo.git("switch", "-q", "-c", "feature")
        try repo.git("branch", "-q", "--set-upstream-to=main")
        try repo.write("a.py", "A = 2\n")
        try repo.commitAll("Change A")
        let found = try unpushed(repo)
        XCTAssertEqual(found.upstream, "main")
        XCTAssertEqual(found.changes.files.map(\.path), ["a.py"])
    }

    func testAnUnfetchedUpstreamShowsNothing() throws {
        let (_, clone) = try pushedProject()
        try clone.git("config", "branch.main.merge", "refs/heads/never-fetched")
        try clone.commitAll("Local")
        XCTAssertTrue(try unpushed(clone).isEmpty)
    }

    func testFetchRefspecsMapTheMergeRefLikeGit() {
        XCTAssertEqual(Repository.mapped("refs/heads/main", through: "+refs/heads/*:refs/remotes/origin/*"), "refs/remotes/origin/main")
        XCTAssertEqual(Repository.mapped("refs/heads/a/b", through: "refs/heads/*:refs/remotes/up/*"), "refs/remotes/up/a/b")
        XCTAssertEqual(Repository.mapped("refs/heads/main", through: "refs/heads/main:refs/remotes/origin/main"), "refs/remotes/origin/main")
        XCTAssertNil(Repository.mapped("refs/heads/main", through: "refs/heads/dev:refs/remotes/origin/dev"))
        XCTAssertNil(Repository.mapped("refs/heads/main", through: "^refs/heads/main"))
        XCTAssertNil(Repository.mapped("refs/tags/v1", through: "+refs/heads/*:refs/remotes/origin/*"))
    }

    func testTheFirstPromptShowsAnUnpushedCommitAfterTheUncommittedWorkAndItsFixApplies() async throws {
        let (_, clone) = try pushedProject()
        var module = ""
        for number in 1...600 { module += "def f\(number)(x):\n    y = x * 2\n    return y // 2 + \(number)\n\n\n" }
        try clone.write("pkg/__init__.py", "")
        try clone.write("pkg/big.py", module)
        try clone.write("pkg/other.py", "def g():\n    return 1\n")
        try clone.write("tests/test_big.py", "from pkg.big import f300\n\n\ndef test_f300():\n    assert f300(1) == 301\n")
        try clone.commitAll("big module")
        try clone.git("push", "-q", "origin", "main")
        try clone.write("pkg/big.py", module.replacingOccurrences(of: "    return y // 2 + 300\n", with: "    return y // 2 + 299\n"))
        try clone.commitAll("Tune f300")
        try clone.write("pkg/other.py", "def g():\n    return 2\n")

        let fix = """
            Summary: f300 adds 300 again

            ```diff
            --- a/pkg/big.py
            +++ b/pkg/big.py
            @@ -1496,3 +1496,3 @@
             def f300(x):
                 y = x * 2
            -    return y // 2 + 299
            +    return y // 2 + 300
            ```
            """
        let model = ScriptedModel([fix])
        let tests = ScriptedTests([
            .pytest(file: "tests/test_big.py", passing: [], failing: ["test_f300"]),
            .pytest(file: "tests/test_big.py", passing: ["test_f300"], failing: []),
        ])
        var flags = RepairFlags()
        flags.test = "python3 -m pytest"
        flags.endpoint = "http://127.0.0.1:9/v1"
        flags.model = "scripted-model"
        flags.sandbox = "none"
        flags.contextTokens = 8_192
        flags.maxRounds = 2
        let settings = try SettingsResolver(flags: flags, environment: Hermetic.environment, projectRoot: clone.url,
                                            config: { _ in nil }).resolve()
        let outcome = try await RepairLoop(repository: try Repository.discover(from: clone.url), settings: settings, model: model,
                                           tests: tests, events: { _ in }).run()

        let prompt = try XCTUnwrap(model.requests.first).messages[1].content
        let uncommitted = try XCTUnwrap(prompt.range(of: "## Your uncommitted changes"), prompt)
        let unpushed = try XCTUnwrap(prompt.range(of: "## Your commits not yet pushed to origin/main"), prompt)
        XCTAssertLessThan(uncommitted.lowerBound, unpushed.lowerBound, "the uncommitted work comes first")
        XCTAssertTrue(prompt.contains("Tune f300\n"), "the commit's subject")
        XCTAssertTrue(prompt.contains("-    return y // 2 + 300\n+    return y // 2 + 299\n"), "its diff")
        XCTAssertFalse(prompt.contains("+def f1(x):"), "only what the commit changed, not what was pushed before it")
        let code = try XCTUnwrap(prompt.range(of: "### pkg/big.py (changed in commits not yet pushed, lines 1498"), prompt)
        let test = try XCTUnwrap(prompt.range(of: "### tests/test_big.py"), prompt)
        XCTAssertLessThan(test.lowerBound, code.lowerBound, "the file the failure names comes before the commit's code")
        XCTAssertTrue(prompt.contains("def f300(x):\n    y = x * 2\n    return y // 2 + 299\n"), "the enclosing function")
        XCTAssertEqual(outcome.status, .fixed)
    }
}
