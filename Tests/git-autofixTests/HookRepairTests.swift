import AutofixTestSupport
import XCTest

/// What the hook does after a failure in `fix` mode and on a terminal: it runs `git autofix
/// fixup` on the pushed commits in the user's repository (which fixup never writes), and the
/// push stays blocked.
final class HookRepairTests: XCTestCase {
    /// A `git-autofix` placed first on PATH that writes down how the hook called it: which
    /// commit its checkout was at, whether that checkout was clean, and which of git's variables
    /// leaked in. It stands in for the repair command so the hook's side of the contract can be
    /// checked without a model.
    private final class RecordingAutofix {
        let directory: TemporaryDirectory
        var record: URL { directory.file("record") }

        init() throws {
            directory = try TemporaryDirectory(prefix: "autofix-recorder")
            let script = """
                #!/bin/sh
                # The hook also asks for a failure summary; that is not the call under test.
                [ "$1" = hook ] && exit 1
                {
                    echo "args: $*"
                    echo "pwd: $(pwd -P)"
                    echo "head: $(git rev-parse HEAD)"
                    echo "changes: $(git status --porcelain | wc -l)"
                    echo "GIT_DIR: ${GIT_DIR-unset}"
                    echo "GIT_INDEX_FILE: ${GIT_INDEX_FILE-unset}"
                } >>'\(directory.file("record").path)'
                exit 3

                """
            try Data(script.utf8).write(to: directory.file("git-autofix"))
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory.file("git-autofix").path)
        }

        var environment: [String: String] { ["PATH": directory.path + ":" + Hermetic.environment["PATH"]!] }

        func lines() -> [String] {
            ((try? String(contentsOf: record, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        }
    }

    func testFixModeRunsFixupOnThePushedCommitInTheUsersRepositoryAndKeepsThePushBlocked() throws {
        let fixture = try PushFixture()
        let recorder = try RecordingAutofix()
        try fixture.local.git("config", "autofix.prePush", "fix")
        let pushed = try fixture.commit(passing: false, "failing")
        try fixture.local.write("scratch.txt", "uncommitted work\n")

        let push = try fixture.push("origin", "main", environment: recorder.environment)
        XCTAssertNotEqual(push.status, 0, push.stderr)
        XCTAssertTrue(push.stderr.contains("running git autofix fixup on refs/heads/main (\(pushed.prefix(7))"), push.stderr)
        XCTAssertTrue(push.stderr.contains("git autofix exited with status 3"), push.stderr)
        XCTAssertTrue(push.stderr.contains("push blocked"), push.stderr)

        let record = recorder.lines()
        XCTAssertTrue(record.contains("args: fixup --tip \(pushed) --branch main --test echo \"$(git rev-parse HEAD) $(pwd -P)\" >>'\(fixture.testedLog.path)' && sh test.sh --yes --root"), "\(record)")
        XCTAssertTrue(record.contains("pwd: \(fixture.localPhysicalPath)"), "the user's repository, so the run shows it: \(record)")
        XCTAssertTrue(record.contains("GIT_DIR: unset"), "\(record)")
        XCTAssertTrue(record.contains("GIT_INDEX_FILE: unset"), "\(record)")
        XCTAssertNil(try fixture.remote.commit(at: "refs/heads/main"))
        XCTAssertEqual(try fixture.remote.git("for-each-ref", "refs/autofix"), "", "the hook never pushes its own commits")
        XCTAssertEqual(try fixture.leftoverWorktrees(), [])
    }

    func testFixModeOnACleanTreeAtThePushedCommitRunsInTheRepositoryItself() throws {
        let fixture = try PushFixture()
        let recorder = try RecordingAutofix()
        try fixture.local.git("config", "autofix.prePush", "fix")
        let pushed = try fixture.commit(passing: false, "failing")

        let push = try fixture.push("origin", "main", environment: recorder.environment)
        XCTAssertNotEqual(push.status, 0, push.stderr)
        let record = recorder.lines()
        XCTAssertTrue(record.contains("pwd: \(fixture.localPhysicalPath)"), "\(record)")
        XCTAssertTrue(record.contains { $0.hasPrefix("args: fixup --tip \(pushed) --branch main ") }, "\(record)")
        XCTAssertTrue(record.contains("GIT_DIR: unset"), "\(record)")
        XCTAssertNil(try fixture.remote.commit(at: "refs/heads/main"))
    }

    func testFixModeWithTheBuiltBinaryBlocksAndPushesNothingOfItsOwn() throws {
        let fixture = try PushFixture()
        try fixture.local.git("config", "autofix.prePush", "fix")
        let pushed = try fixture.commit(passing: false, "failing")
        // A server that refuses every request, so the run stops at its first model request.
        let server = try ScriptedSSEServer(replies: [.json(401, #"{"error":{"message":"invalid key"}}"#)])
        defer { server.stop() }
        let environment = [
            "PATH": BuiltProducts.directory.path + ":" + Hermetic.environment["PATH"]!,
            "AUTOFIX_ENDPOINT": server.baseURL,
        ]
        let push = try fixture.push("origin", "main", environment: environment)
        XCTAssertNotEqual(push.status, 0, push.stderr)
        XCTAssertTrue(push.stderr.contains("running git autofix fixup on refs/heads/main"), push.stderr)
        XCTAssertTrue(push.stderr.contains("First failing commit: \(pushed.prefix(10)) failing"), push.stderr)
        XCTAssertTrue(push.stderr.contains("push blocked"), push.stderr)
        XCTAssertNil(try fixture.remote.commit(at: "refs/heads/main"))
        XCTAssertTrue(push.stderr.contains("git autofix exited with status"), push.stderr)
        XCTAssertEqual(try fixture.remote.git("for-each-ref"), "", "no ref of any kind reached the remote")
        // The run started from the pushed commit: its snapshot's parent, on a ref named after the branch.
        let runs = try fixture.local.git("for-each-ref", "--format=%(refname)", "refs/autofix/main/")
            .split(separator: "\n").map(String.init)
        XCTAssertEqual(runs.count, 1, "one run: \(runs)")
        if let run = runs.first {
            XCTAssertEqual(try fixture.local.revParse("\(run)~0^1"), pushed)
        }
        XCTAssertEqual(try fixture.leftoverWorktrees(), [])
    }

    func testOnATerminalBlockModeOffersGitAutofixAndRunsItOnlyWhenAccepted() throws {
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: "/usr/bin/script"), "needs util-linux script(1) for a terminal")
        let fixture = try PushFixture()
        let recorder = try RecordingAutofix()
        let pushed = try fixture.commit(passing: false, "failing")

        func pushOnTerminal(answer: String) throws -> Shell.Output {
            try Shell.run(["script", "-qec", "git push origin main", "/dev/null"], in: fixture.local.url,
                          environment: GitDirectory.environment(recorder.environment), input: answer + "\n")
        }

        let declined = try pushOnTerminal(answer: "n")
        try XCTSkipIf(declined.stdout.contains("failed to create pseudo-terminal") || declined.stderr.contains("pseudo-terminal"),
                      "no pseudo-terminals here")
        XCTAssertNotEqual(declined.status, 0, declined.stdout)
        XCTAssertTrue(declined.stdout.contains("let a model fix the failing tests now"), declined.stdout)
        XCTAssertEqual(recorder.lines(), [], "declining runs nothing")

        let accepted = try pushOnTerminal(answer: "y")
        XCTAssertNotEqual(accepted.status, 0, accepted.stdout)
        XCTAssertTrue(accepted.stdout.contains("push blocked"), accepted.stdout)
        let record = recorder.lines()
        XCTAssertTrue(record.contains("head: \(pushed)"), "\(record)")
        XCTAssertFalse(record.contains { $0.hasPrefix("args:") && $0.contains("--yes") }, "on a terminal it may ask: \(record)")
        XCTAssertNil(try fixture.remote.commit(at: "refs/heads/main"))
    }

    func testFixModeLeavesAFixupCommitThatCherryPicksAndAutosquashesIntoEveryCommitGreen() throws {
        let fixture = try PushFixture()
        let local = fixture.local
        try local.git("config", "autofix.prePush", "fix")
        try local.git("config", "autofix.testCommand", "sh test.sh")
        try local.write("test.sh", FixupTests.test)
        try local.write("answer.txt", "42\n")
        let upstream = try local.commitAll("start")
        XCTAssertEqual(try fixture.push("origin", "main").status, 0)
        try local.write("notes.txt", "notes\n")
        try local.commitAll("add notes")
        try local.write("answer.txt", "41\n")
        try local.write("CHANGES.txt", "the answer changed\n")
        let broken = try local.commitAll("change the answer")
        try local.write("docs.txt", "docs\n")
        let head = try local.commitAll("document it")
        let server = try ScriptedSSEServer(replies: [ScriptedSSEServer.chatStream([FixupTests.fix])])
        defer { server.stop() }
        let environment = ["PATH": BuiltProducts.directory.path + ":" + Hermetic.environment["PATH"]!, "AUTOFIX_ENDPOINT": server.baseURL]

        let push = try fixture.push("origin", "main", environment: environment)
        XCTAssertNotEqual(push.status, 0, push.stderr)
        XCTAssertTrue(push.stderr.contains("First failing commit: \(broken.prefix(10)) change the answer"), push.stderr)
        XCTAssertTrue(push.stderr.contains("repository:   \(fixture.localPhysicalPath)"), "the user's repository: \(push.stderr)")
        XCTAssertFalse(push.stderr.contains("git-autofix-pre-push"), push.stderr)
        XCTAssertEqual(try fixture.remote.commit(at: "refs/heads/main"), upstream, "the push stayed blocked")
        let ref = try local.git("for-each-ref", "--format=%(refname)", "refs/autofix/main/").trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertEqual(try local.git("log", "-1", "--format=%s%n%P", ref), "fixup! change the answer\n\(head)\n")

        let lines = push.stderr.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        let cherryPick = try XCTUnwrap(lines.first { $0.hasPrefix("git cherry-pick ") }, push.stderr)
        let rebase = try XCTUnwrap(lines.first { $0.hasPrefix("git rebase -i --autosquash ") }, push.stderr)
        try Shell.check(["sh", "-c", cherryPick], in: local.url, environment: Hermetic.environment)
        var editor = Hermetic.environment
        editor["GIT_SEQUENCE_EDITOR"] = "true"
        try Shell.check(["sh", "-c", rebase], in: local.url, environment: editor)
        XCTAssertEqual(try local.git("log", "--format=%s", "\(upstream)..HEAD"), "document it\nchange the answer\nadd notes\n")
        let everyCommit = try Shell.run(["git", "rebase", "-q", "--force-rebase", "--exec", "sh test.sh", upstream],
                                        in: local.url, environment: Hermetic.environment)
        XCTAssertEqual(everyCommit.status, 0, everyCommit.stdout + everyCommit.stderr)
        XCTAssertEqual(try fixture.push("origin", "main").status, 0, "the repaired branch pushes")
    }

    func testATestCommandThatCannotStartIsSaidSoAndNothingIsRepaired() throws {
        let fixture = try PushFixture()
        let recorder = try RecordingAutofix()
        try fixture.local.git("config", "autofix.prePush", "fix")
        try fixture.local.git("config", "autofix.testCommand", "no-such-test-runner --all")
        try fixture.commit(passing: true, "first")

        let push = try fixture.push("origin", "main", environment: recorder.environment)
        XCTAssertNotEqual(push.status, 0, push.stderr)
        XCTAssertTrue(push.stderr.contains("the test command cannot start on refs/heads/main"), push.stderr)
        XCTAssertTrue(push.stderr.contains("exit 127"), push.stderr)
        XCTAssertFalse(push.stderr.contains("tests FAIL"), push.stderr)
        XCTAssertTrue(push.stderr.contains("push blocked: the test command cannot start"), push.stderr)
        XCTAssertEqual(recorder.lines(), [], "a model cannot fix a command that does not start")
        XCTAssertNil(try fixture.remote.commit(at: "refs/heads/main"))
    }
}
