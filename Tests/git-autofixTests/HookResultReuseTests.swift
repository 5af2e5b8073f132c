import AutofixTestSupport
import Foundation
import XCTest

/// The pre-push hook and `git autofix` share the results they ran, by tree: a push blocked by
/// failing tests, pushed again, runs nothing new, and the run started after it takes the hook's
/// result as its baseline. The hook ran on the host, the run's rounds in the sandbox: a test
/// that passes only on the host must not make a good patch look like a regression.
final class HookResultReuseTests: XCTestCase {
    private let testCommand = "python3 -m pytest -v"

    /// The calculator, whose add subtracts, plus a test that reads a variable the sandbox does
    /// not pass: it passes on the host and fails in the sandbox, whatever the patch.
    private func pushFixture() throws -> (local: GitDirectory, remote: GitDirectory) {
        let remote = try GitDirectory(bare: true)
        let local = try GitDirectory()
        try local.git("remote", "add", "origin", remote.path)
        try local.write("pytest.ini", "[pytest]\naddopts = -p no:cacheprovider\n")
        try local.write(".gitignore", "__pycache__/\n")
        try local.write("calc.py", "def add(a, b):\n    return a - b\n")
        try local.write("test_calc.py", """
            import os
            from calc import add


            def test_add():
                assert add(2, 3) == 5


            def test_add_negative():
                assert add(-1, -1) == -2


            def test_host_only():
                assert os.environ.get("AUTOFIX_HOST_ONLY") == "1"

            """)
        try local.commitAll("calculator")
        try local.git("config", "autofix.testCommand", testCommand)
        let install = try AutofixCLI.run(["hook", "install", "--script", SourceTree.prePushScript.path], in: local.url)
        XCTAssertEqual(install.status, 0, install.stderr)
        return (local, remote)
    }

    private var hostEnvironment: [String: String] {
        ["PATH": BuiltProducts.directory.path + ":" + Hermetic.environment["PATH"]!, "AUTOFIX_HOST_ONLY": "1"]
    }

    private let fix = """
        Summary: make add() add

        ```diff
        --- a/calc.py
        +++ b/calc.py
        @@ -1,2 +1,2 @@
         def add(a, b):
        -    return a - b
        +    return a + b
        ```
        """

    func testABlockedPushsResultIsReusedByTheNextPushAndIsTheRunsBaseline() throws {
        let (local, remote) = try pushFixture()
        let first = try Shell.run(["git", "push", "origin", "main"], in: local.url, environment: GitDirectory.environment(hostEnvironment))
        XCTAssertNotEqual(first.status, 0, first.stderr)
        XCTAssertTrue(first.stderr.contains("testing refs/heads/main"), first.stderr)
        XCTAssertTrue(first.stderr.contains("FAIL test_calc.py::test_add"), first.stderr)
        XCTAssertFalse(first.stderr.contains("reused"), first.stderr)

        let second = try Shell.run(["git", "push", "origin", "main"], in: local.url, environment: GitDirectory.environment(hostEnvironment))
        XCTAssertNotEqual(second.status, 0, second.stderr)
        XCTAssertNil(try remote.commit(at: "refs/heads/main"))
        XCTAssertTrue(second.stderr.contains("not testing refs/heads/main"), second.stderr)
        XCTAssertFalse(second.stderr.contains("git-autofix: testing refs/heads/main"), second.stderr)
        let reusedLine = try XCTUnwrap(second.stderr.split(separator: "\n").first { $0.contains("tests FAIL on") }.map(String.init))
        XCTAssertNotNil(reusedLine.range(of: #"\(result from [0-9]{2}:[0-9]{2} reused; exit 1 after [0-9]+s\)"#, options: .regularExpression),
                        reusedLine)
        XCTAssertTrue(second.stderr.contains("FAIL test_calc.py::test_add"), "the summary is the stored output's: \(second.stderr)")
        XCTAssertTrue(second.stderr.contains("AUTOFIX_RETEST=1 git push tests it again"), second.stderr)
        XCTAssertFalse(second.stderr.contains("git-autofix: testing in "), "a stored result needs no place to test in: \(second.stderr)")

        var retest = hostEnvironment
        retest["AUTOFIX_RETEST"] = "1"
        let third = try Shell.run(["git", "push", "origin", "main"], in: local.url, environment: GitDirectory.environment(retest))
        XCTAssertNotEqual(third.status, 0, third.stderr)
        XCTAssertTrue(third.stderr.contains("git-autofix: testing refs/heads/main"), third.stderr)
        XCTAssertFalse(third.stderr.contains("reused;"), third.stderr)

        let server = try ScriptedSSEServer(replies: [ScriptedSSEServer.chatStream([fix])])
        defer { server.stop() }
        let run = try AutofixCLI.run(["run", "--json", "--endpoint", server.baseURL, "--model", "test-model", "--sandbox", "bwrap",
                                      "--test-timeout", "2m", "--max-rounds", "1"], in: local.url, environment: hostEnvironment)
        let events = run.stdout.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        let baseline = try XCTUnwrap(events.first { $0["event"] as? String == "baseline" }, run.stdout + run.stderr)
        let reused = try XCTUnwrap(baseline["reused_from"] as? [String: Any], "\(baseline)")
        XCTAssertEqual(reused["by"] as? String, "pre-push hook")
        XCTAssertEqual(reused["environment"] as? String, "host")
        XCTAssertNotNil((reused["at"] as? String).flatMap { ISO8601DateFormatter().date(from: $0) }, "\(reused)")
        XCTAssertEqual(baseline["failing"] as? Int, 2, "the host's view: test_host_only passed there")

        let rechecked = try XCTUnwrap(events.first { $0["event"] as? String == "baseline_rechecked" }, run.stdout)
        XCTAssertEqual(rechecked["failing"] as? Int, 3, "in the sandbox test_host_only fails too")
        XCTAssertTrue((rechecked["reason"] as? String ?? "").contains("test_calc.py::test_host_only"), "\(rechecked)")
        let round = try XCTUnwrap(events.first { $0["event"] as? String == "round_finished" }, run.stdout)
        XCTAssertEqual(round["verdict"] as? String, "accepted", "\(round)")
        let finished = try XCTUnwrap(events.first { $0["event"] as? String == "finished" })
        XCTAssertEqual(finished["failing_before"] as? Int, 3)
        XCTAssertEqual(finished["failing_after"] as? Int, 1)

        // The sandbox's own baseline is stored too: the next run takes it, and says whose it is.
        let comment = """
            Summary: explain add

            ```diff
            --- a/calc.py
            +++ b/calc.py
            @@ -1,2 +1,3 @@
            +# adds
             def add(a, b):
                 return a - b
            ```
            """
        let again = try ScriptedSSEServer(replies: [ScriptedSSEServer.chatStream([comment]), ScriptedSSEServer.chatStream([comment])])
        defer { again.stop() }
        let text = try AutofixCLI.run(["run", "--endpoint", again.baseURL, "--model", "test-model", "--sandbox", "bwrap",
                                       "--test-timeout", "2m", "--max-rounds", "1"], in: local.url, environment: hostEnvironment)
        let runID = try XCTUnwrap(finished["run"] as? String)
        XCTAssertTrue(text.stdout.contains("Baseline: reused from run \(runID) at "), text.stdout + text.stderr)
        XCTAssertTrue(text.stdout.contains("3 failing, 0 passing"), text.stdout)

        let fresh = try AutofixCLI.run(["run", "--json", "--no-reuse", "--endpoint", again.baseURL, "--model", "test-model",
                                        "--sandbox", "bwrap", "--test-timeout", "2m", "--max-rounds", "1"],
                                       in: local.url, environment: hostEnvironment)
        let freshBaseline = fresh.stdout.split(separator: "\n").first { $0.contains(#""event":"baseline""#) }.map(String.init) ?? ""
        XCTAssertFalse(freshBaseline.isEmpty, fresh.stdout + fresh.stderr)
        XCTAssertFalse(freshBaseline.contains("reused_from"), freshBaseline)
    }
}
