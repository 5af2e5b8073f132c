import AutofixTestSupport
import Foundation
import XCTest

/// `git autofix fixup` as a user meets it: a bare remote, three local commits of which the
/// second breaks a test, a scripted model that fixes it, and the two commands the tool prints.
final class FixupTests: XCTestCase {
    static let test = """
        if [ "$(head -n 1 answer.txt)" = 42 ]; then
            echo 'test_answer ... ok'; echo '1 passed, 0 failed'
        else
            echo 'FAIL: test_answer (expected 42)'; echo '0 passed, 1 failed'; exit 1
        fi

        """
    static let fix = """
        Summary: the answer is 42 again

        ```diff
        --- a/answer.txt
        +++ b/answer.txt
        @@ -1 +1 @@
        -41
        +42
        ```
        """

    private struct Branch {
        let remote: GitDirectory
        let local: GitDirectory
        let upstream: String
        let commits: [String]
    }

    /// origin/main holds a passing commit; three local commits follow, the second breaks the test.
    private func branch(thirdCommitTouchesTheAnswer: Bool = false) throws -> Branch {
        let remote = try GitDirectory(bare: true)
        let local = try GitDirectory()
        try local.git("remote", "add", "origin", remote.path)
        try local.write("test.sh", Self.test)
        try local.write("answer.txt", "42\n")
        let upstream = try local.commitAll("start")
        try local.git("push", "-q", "-u", "origin", "main")
        try local.write("notes.txt", "notes\n")
        let first = try local.commitAll("add notes")
        try local.write("answer.txt", "41\n")
        try local.write("CHANGES.txt", "the answer changed\n")
        let second = try local.commitAll("change the answer")
        if thirdCommitTouchesTheAnswer {
            try local.write("answer.txt", "41\nchecked\n")
        } else {
            try local.write("docs.txt", "docs\n")
        }
        let third = try local.commitAll("document it")
        return Branch(remote: remote, local: local, upstream: upstream, commits: [first, second, third])
    }

    private func fixup(_ local: GitDirectory, _ server: ScriptedSSEServer, _ extra: [String] = []) throws -> Shell.Output {
        try AutofixCLI.run(["fixup", "--endpoint", server.baseURL, "--model", "test-model", "--test", "sh test.sh",
                            "--sandbox", "bwrap", "--test-timeout", "2m"] + extra, in: local.url)
    }

    /// The command the output prints on a line starting with `prefix`, as typed.
    private func printed(_ prefix: String, in output: String) -> String? {
        output.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.first { $0.hasPrefix(prefix) }
    }

    func testFixupCommitOnHeadCherryPicksAndAutosquashesIntoEveryCommitGreen() throws {
        let branch = try branch()
        let local = branch.local
        let server = try ScriptedSSEServer(replies: [ScriptedSSEServer.chatStream([Self.fix])])
        defer { server.stop() }
        let head = try local.revParse("HEAD")

        let output = try fixup(local, server)
        XCTAssertEqual(output.status, 0, output.stdout + output.stderr)
        XCTAssertTrue(output.stdout.contains("First failing commit: \(branch.commits[1].prefix(10)) change the answer"), output.stdout)
        XCTAssertEqual(try local.revParse("HEAD"), head, "the branch is not written")
        XCTAssertEqual(try local.git("status", "--porcelain"), "", "nor the index or work tree")

        let ref = try local.git("for-each-ref", "--format=%(refname)", "refs/autofix/main/").trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertEqual(try local.git("log", "-1", "--format=%s", ref), "fixup! change the answer\n")
        XCTAssertEqual(try local.git("log", "-1", "--format=%P", ref), head + "\n", "one commit, on HEAD")
        let message = try local.git("log", "-1", "--format=%B", ref)
        XCTAssertTrue(message.contains("Autofix-Fixes: \(branch.commits[1])"), message)
        XCTAssertTrue(message.contains("Autofix-Failing: 1 -> 0"), message)
        XCTAssertTrue(message.contains("Autofix-Model: test-model"), message)
        let show = try AutofixCLI.run(["show", ref], in: local.url)
        XCTAssertEqual(show.status, 0, show.stderr)
        XCTAssertTrue(show.stdout.contains("fixup! change the answer"), show.stdout)

        let cherryPick = try XCTUnwrap(printed("git cherry-pick ", in: output.stdout), output.stdout)
        let rebase = try XCTUnwrap(printed("git rebase -i --autosquash ", in: output.stdout), output.stdout)
        try Shell.check(["sh", "-c", cherryPick], in: local.url, environment: Hermetic.environment)
        var editor = Hermetic.environment
        editor["GIT_SEQUENCE_EDITOR"] = "true"
        try Shell.check(["sh", "-c", rebase], in: local.url, environment: editor)

        XCTAssertEqual(try local.git("log", "--format=%s", "\(branch.upstream)..HEAD"),
                       "document it\nchange the answer\nadd notes\n", "the fixup folded into the commit it fixes")
        // Every commit after the upstream passes: the rebase stops at the first that does not.
        let everyCommit = try Shell.run(["git", "rebase", "-q", "--force-rebase", "--exec", "sh test.sh", branch.upstream],
                                        in: local.url, environment: Hermetic.environment)
        XCTAssertEqual(everyCommit.status, 0, everyCommit.stdout + everyCommit.stderr)
    }

    func testAFixThatConflictsWithHeadIsKeptOnTheFailingCommit() throws {
        let branch = try branch(thirdCommitTouchesTheAnswer: true)
        let local = branch.local
        let server = try ScriptedSSEServer(replies: [ScriptedSSEServer.chatStream([Self.fix])])
        defer { server.stop() }

        let output = try fixup(local, server)
        XCTAssertEqual(output.status, 0, output.stdout + output.stderr)
        XCTAssertTrue(output.stdout.contains("does not apply on HEAD"), output.stdout)
        XCTAssertTrue(output.stdout.contains("answer.txt"), output.stdout)
        let ref = try local.git("for-each-ref", "--format=%(refname)", "refs/autofix/main/").trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertEqual(try local.git("log", "-1", "--format=%P", ref), branch.commits[1] + "\n")
        XCTAssertEqual(try local.git("show", "\(ref):answer.txt"), "42\n")
    }

    func testTestsPassingOnEveryCommitNeedNoModel() throws {
        let branch = try branch()
        let local = branch.local
        try local.write("answer.txt", "42\n")
        try local.commitAll("put the answer back")
        let server = try ScriptedSSEServer(replies: [])
        defer { server.stop() }
        let output = try fixup(local, server, ["origin/main"])
        XCTAssertEqual(output.status, 0, output.stdout + output.stderr)
        XCTAssertTrue(output.stdout.contains("The tests pass on every commit"), output.stdout)
        XCTAssertEqual(try local.git("for-each-ref", "refs/autofix"), "")
    }

    /// What a fixup ran is stored by tree: a second fixup tests nothing again, and the run at
    /// the failing commit takes fixup's result for that commit as its baseline.
    func testFixupTakesStoredResultsAndTheRepairTakesFixupsResultAsItsBaseline() throws {
        let branch = try branch()
        let local = branch.local
        let server = try ScriptedSSEServer(replies: [ScriptedSSEServer.chatStream([Self.fix]), ScriptedSSEServer.chatStream([Self.fix])])
        defer { server.stop() }
        let first = try fixup(local, server)
        XCTAssertEqual(first.status, 0, first.stdout + first.stderr)
        let tested = first.stdout.split(separator: "\n").filter { $0.contains(" pass ") || $0.contains(" FAIL ") }
        XCTAssertFalse(tested.isEmpty, first.stdout)
        XCTAssertFalse(first.stdout.contains("a stored result"), "nothing was stored before: \(first.stdout)")
        XCTAssertTrue(first.stdout.contains("Baseline: reused from fixup's test run at "), first.stdout)

        let again = try fixup(local, server)
        XCTAssertEqual(again.status, 0, again.stdout + again.stderr)
        let retested = again.stdout.split(separator: "\n").filter { $0.contains(" pass ") || $0.contains(" FAIL ") }
        XCTAssertEqual(retested.count, tested.count, again.stdout)
        XCTAssertTrue(retested.allSatisfy { $0.hasSuffix("(a stored result for the same tree)") }, again.stdout)
    }

    func testWithoutAnUpstreamItSaysWhatToName() throws {
        let local = try GitDirectory()
        try local.write("test.sh", Self.test)
        try local.write("answer.txt", "41\n")
        try local.commitAll("start")
        let output = try AutofixCLI.run(["fixup", "--test", "sh test.sh"], in: local.url)
        XCTAssertEqual(output.status, 2, output.stderr)
        XCTAssertTrue(output.stderr.contains("git autofix fixup <upstream>"), output.stderr)
    }
}
