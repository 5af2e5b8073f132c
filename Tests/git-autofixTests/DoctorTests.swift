import AutofixTestSupport
import Foundation
import XCTest

/// `git autofix doctor` in real repositories: one line per check, the fix for each problem, and
/// an exit status that scripts can rely on.
final class DoctorTests: XCTestCase {
    /// A loopback model server that lists `tiny` and answers `replies` one-token requests.
    private func modelServer(replies: Int = 1) throws -> ScriptedSSEServer {
        try ScriptedSSEServer(replies: Array(repeating: ScriptedSSEServer.chatStream(["OK"], model: "tiny"), count: replies),
                              models: ["tiny", "other"])
    }

    private var server: ScriptedSSEServer?

    override func tearDown() {
        server?.stop()
        server = nil
        super.tearDown()
    }

    /// Runs doctor against `server` (started on first use) unless `environment` names another endpoint.
    private func doctor(_ repo: TestRepository, _ arguments: [String] = [], environment: [String: String] = [:]) throws -> Shell.Output {
        try doctor(in: repo.url, arguments, environment: environment)
    }

    private func doctor(in directory: URL, _ arguments: [String] = [], environment: [String: String] = [:]) throws -> Shell.Output {
        if server == nil { server = try modelServer(replies: 4) }
        var env = ["AUTOFIX_ENDPOINT": server!.baseURL, "AUTOFIX_MODEL": "tiny"]
        for (key, value) in environment { env[key] = value }
        return try AutofixCLI.run(["doctor"] + arguments, in: directory, environment: env)
    }

    private func line(_ name: String, in output: Shell.Output) -> String? {
        output.stdout.split(separator: "\n").map(String.init).first { $0.dropFirst(6).hasPrefix(name) }
    }

    private func checks(_ output: Shell.Output) throws -> [String: [String: Any]] {
        var result: [String: [String: Any]] = [:]
        for line in output.stdout.split(separator: "\n") {
            let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], String(line))
            result[try XCTUnwrap(object["name"] as? String)] = object
        }
        return result
    }

    func testHealthyRepositoryReportsEachCheckAndSuggestsTheHook() throws {
        let repo = try TestRepository()
        try repo.write("Package.swift", "// swift-tools-version:5.9\n")
        try repo.commitAll("package")

        // The test run has tests of its own below; `swift test` on this stub package would only take long.
        let output = try doctor(repo, ["--no-test-run"])
        let sandboxWorks = line("sandbox", in: output)?.hasPrefix("OK") ?? false
        XCTAssertEqual(output.status, sandboxWorks ? 0 : 4, output.stdout + output.stderr)
        XCTAssertTrue(line("libgit2", in: output)?.hasPrefix("OK") ?? false, output.stdout)
        XCTAssertTrue(line("git", in: output)?.hasPrefix("OK") ?? false, output.stdout)
        XCTAssertEqual(line("test command", in: output), "OK    test command   swift test (detected from Package.swift)")
        XCTAssertEqual(line("test run", in: output), "SKIP  test run       not run (--no-test-run)")
        XCTAssertEqual(line("settings", in: output), "OK    settings       endpoint \(server!.baseURL), model tiny, sandbox bwrap")
        XCTAssertTrue(line("pre-push hook", in: output)?.hasPrefix("WARN") ?? false, output.stdout)
        XCTAssertTrue(output.stdout.contains("fix: git autofix hook install"), output.stdout)
        XCTAssertEqual(line("endpoint", in: output), "OK    endpoint       \(server!.baseURL): lists 2 models (no API key)")
        XCTAssertTrue(line("model", in: output)?.hasPrefix("OK    model          tiny: answered a one-token request in") ?? false, output.stdout)
        let probe = try XCTUnwrap(server?.recordedRequests.last?.jsonBody)
        XCTAssertEqual(probe["max_tokens"] as? Int, 1, "the model check costs one token")
        XCTAssertEqual(probe["model"] as? String, "tiny")
        let libcurl = try XCTUnwrap(line("libcurl", in: output), output.stdout)
        XCTAssertTrue(libcurl.hasPrefix("OK    libcurl        7.") || libcurl.hasPrefix("OK    libcurl        8."), libcurl)
        // bubblewrap really ran `true`, or the line says why not and how to fix it.
        let sandbox = try XCTUnwrap(line("sandbox", in: output), output.stdout)
        XCTAssertTrue(sandbox.hasPrefix("OK    sandbox        bwrap: ran a command in")
                      || (sandbox.hasPrefix("FAIL") && output.stdout.contains("fix:")), output.stdout)

        XCTAssertEqual(try AutofixCLI.run(["hook", "install", "--script", SourceTree.prePushScript.path], in: repo.url).status, 0)
        let installed = try doctor(repo, ["--no-test-run"])
        XCTAssertTrue(line("pre-push hook", in: installed)?.hasPrefix("WARN") ?? false,
                      "installed but autofix.testCommand unset: \(installed.stdout)")
        try repo.git("config", "autofix.testCommand", "swift test --parallel")
        let configured = try doctor(repo, ["--no-test-run"])
        XCTAssertTrue(line("pre-push hook", in: configured)?.hasPrefix("OK") ?? false, configured.stdout)
        XCTAssertEqual(line("test command", in: configured), "OK    test command   swift test --parallel (git config autofix.testCommand)")
    }

    func testBadSettingFailsWithTheKeyAndTheUsageExitCode() throws {
        let repo = try TestRepository()
        try repo.git("config", "autofix.testCommand", "true")
        try repo.git("config", "autofix.maxRounds", "lots")
        let output = try doctor(repo)
        XCTAssertEqual(output.status, 2, output.stdout)
        let settings = try XCTUnwrap(line("settings", in: output), output.stdout)
        XCTAssertTrue(settings.hasPrefix("FAIL"), settings)
        XCTAssertTrue(settings.contains("autofix.maxRounds"), settings)
        XCTAssertTrue(line("test command", in: output)?.hasPrefix("OK") ?? false, "one failure does not hide the rest: \(output.stdout)")
    }

    func testMissingTestCommandAndBrokenHookFailWithTheirFixes() throws {
        let repo = try TestRepository()
        try repo.write("README.md", "nothing to test\n")
        try repo.commitAll("readme")
        let copy = try TemporaryDirectory(prefix: "autofix-script")
        try FileManager.default.copyItem(at: SourceTree.prePushScript, to: copy.file("pre-push"))
        XCTAssertEqual(try AutofixCLI.run(["hook", "install", "--script", copy.file("pre-push").path], in: repo.url).status, 0)
        try FileManager.default.removeItem(at: copy.file("pre-push"))

        // --sandbox none: this test is about the repository checks, whatever bubblewrap can do here.
        let output = try doctor(repo, ["--json", "--sandbox", "none"])
        XCTAssertEqual(output.status, 2, output.stdout)
        let report = try checks(output)
        XCTAssertEqual(report["test command"]?["status"] as? String, "FAIL")
        XCTAssertEqual(report["test command"]?["fix"] as? String, "git config autofix.testCommand '<command>'")
        XCTAssertEqual(report["test command"]?["exit_code"] as? Int, 2)
        XCTAssertEqual(report["pre-push hook"]?["status"] as? String, "FAIL")
        XCTAssertTrue((report["pre-push hook"]?["detail"] as? String)?.contains("missing") ?? false, "\(report)")
        XCTAssertEqual(report["settings"]?["status"] as? String, "OK", "a missing test command is reported once, on its own line")

        let missingProgram = try TestRepository()
        try missingProgram.git("config", "autofix.testCommand", "CI=1 no-such-test-runner --all")
        let warned = try checks(try doctor(missingProgram, ["--json"]))
        XCTAssertEqual(warned["test command"]?["status"] as? String, "WARN")
        XCTAssertTrue((warned["test command"]?["detail"] as? String)?.contains("`no-such-test-runner` is not on PATH") ?? false, "\(warned)")
    }

    func testTheTestRunReportsTheFrameworkAndTheCountsItSawInTheSandbox() throws {
        let repo = try SampleProjects.pythonCalculator()
        try repo.git("config", "autofix.testCommand", "python3 -m pytest -v")
        let failing = try doctor(repo)
        XCTAssertEqual(failing.status, 0, "failing tests are what a run is for: \(failing.stdout)")
        let run = try XCTUnwrap(line("test run", in: failing), failing.stdout)
        XCTAssertTrue(run.hasPrefix("OK    test run       pytest: 2 failing, 1 passing in "), run)
        XCTAssertEqual(try repo.git("for-each-ref", "refs/autofix"), "", "the trial leaves no run ref behind")

        try repo.write("calc.py", "def add(a, b):\n    return a + b\n\n\ndef mul(a, b):\n    return a * b\n")
        let passing = try XCTUnwrap(try checks(try doctor(repo, ["--json"]))["test run"])
        XCTAssertEqual(passing["status"] as? String, "OK", "\(passing)")
        XCTAssertTrue((passing["detail"] as? String)?.hasPrefix("pytest: 0 failing, 3 passing in ") ?? false,
                      "the working tree as it is, uncommitted edits included: \(passing)")
        let seen = try XCTUnwrap(passing["test_run"] as? [String: Any], "\(passing)")
        XCTAssertEqual(seen["framework"] as? String, "pytest")
        XCTAssertEqual(seen["failing"] as? Int, 0)
        XCTAssertEqual(seen["passing"] as? Int, 3)
        XCTAssertEqual(seen["exit_code"] as? Int, 0)
        XCTAssertEqual(seen["timed_out"] as? Bool, false)
        XCTAssertNotNil(seen["seconds"] as? Double, "\(seen)")
    }

    /// Doctor's trial run is stored by tree: a run on the same tree and settings takes it as its baseline.
    func testARunAfterDoctorTakesTheTrialRunAsItsBaseline() throws {
        let repo = try SampleProjects.pythonCalculator()
        try repo.git("config", "autofix.testCommand", "python3 -m pytest -v")
        XCTAssertEqual(try doctor(repo).status, 0)

        let model = try ScriptedSSEServer(replies: [ScriptedSSEServer.chatStream(["No edit."])])
        defer { model.stop() }
        let run = try AutofixCLI.run(["run", "--json", "--endpoint", model.baseURL, "--model", "tiny", "--max-rounds", "1"], in: repo.url)
        let baseline = try XCTUnwrap(run.stdout.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }.first { $0["event"] as? String == "baseline" }, run.stdout + run.stderr)
        let reused = try XCTUnwrap(baseline["reused_from"] as? [String: Any], "\(baseline)")
        XCTAssertEqual(reused["by"] as? String, "doctor")
        XCTAssertEqual(reused["environment"] as? String, "sandbox")
        XCTAssertEqual(baseline["failing"] as? Int, 2)
    }

    func testATestCommandThatDoesNotExistFailsTheTestRunWithTheSandboxExitCode() throws {
        let repo = try SampleProjects.pythonCalculator()
        try repo.git("config", "autofix.testCommand", "no-such-test-runner --all")
        let output = try doctor(repo, ["--json"])
        XCTAssertEqual(output.status, 4, output.stdout)
        let run = try XCTUnwrap(try checks(output)["test run"])
        XCTAssertEqual(run["status"] as? String, "FAIL")
        XCTAssertEqual(run["exit_code"] as? Int, 4)
        XCTAssertTrue((run["detail"] as? String)?.contains("could not start in the bwrap sandbox (exit 127: command not found)") ?? false, "\(run)")
        let fix = try XCTUnwrap(run["fix"] as? String, "\(run)")
        XCTAssertTrue(fix.hasPrefix("`no-such-test-runner` is not found on this machine either"), fix)
        XCTAssertFalse(fix.contains("sandboxBind"), "no bind can show what does not exist: \(fix)")
    }

    func testATestRunThatHitsTheTestTimeLimitSaysSoAndHowToSkipIt() throws {
        let repo = try SampleProjects.pythonCalculator()
        try repo.git("config", "autofix.testCommand", "sleep 60")
        let output = try doctor(repo, ["--test-timeout", "1s"])
        let run = try XCTUnwrap(line("test run", in: output), output.stdout)
        XCTAssertTrue(run.hasPrefix("WARN  test run       stopped by the test time limit of 1"), run)
        XCTAssertTrue(output.stdout.contains("--no-test-run skips this check"), output.stdout)
    }

    func testOutsideARepositoryOnlyTheMachineIsChecked() throws {
        let outside = try TemporaryDirectory()
        let output = try doctor(in: outside.url, ["--sandbox", "none"], environment: ["GIT_CEILING_DIRECTORIES": outside.url.deletingLastPathComponent().path])
        XCTAssertEqual(output.status, 0, output.stdout + output.stderr)
        XCTAssertTrue(output.stdout.contains("WARN  repository"), output.stdout)
        XCTAssertTrue(output.stdout.contains("fix: run git autofix doctor inside the repository"), output.stdout)
        XCTAssertFalse(output.stdout.contains("pre-push hook"), output.stdout)
        XCTAssertTrue(output.stdout.contains("OK    libgit2"), output.stdout)
    }

    func testUnreachableEndpointAndUnservedModelFailWithTheModelExitCode() throws {
        let repo = try TestRepository()
        try repo.git("config", "autofix.testCommand", "true")
        // Nothing listens on the discard port here: the connection is refused at once.
        let down = try doctor(repo, ["--json", "--sandbox", "none"], environment: ["AUTOFIX_ENDPOINT": "http://127.0.0.1:9/v1"])
        XCTAssertEqual(down.status, 3, down.stdout)
        let report = try checks(down)
        XCTAssertEqual(report["endpoint"]?["status"] as? String, "FAIL")
        XCTAssertTrue((report["endpoint"]?["detail"] as? String)?.contains("http://127.0.0.1:9/v1") ?? false, "\(report)")
        XCTAssertTrue((report["endpoint"]?["fix"] as? String)?.contains("autofix.endpoint") ?? false, "\(report)")
        XCTAssertEqual(report["model"]?["status"] as? String, "SKIP")
        XCTAssertEqual(report["test command"]?["status"] as? String, "OK", "the repository checks still ran")

        let unserved = try doctor(repo, ["--json", "--sandbox", "none", "--model", "huge"])
        XCTAssertEqual(unserved.status, 3, unserved.stdout)
        let model = try XCTUnwrap(try checks(unserved)["model"])
        XCTAssertEqual(model["status"] as? String, "FAIL")
        XCTAssertEqual(model["detail"] as? String, "huge is not served here; the endpoint lists tiny, other")
        XCTAssertEqual(model["fix"] as? String, "git config autofix.model 'tiny'   (or pass --model)")
        XCTAssertEqual(model["exit_code"] as? Int, 3)
    }

    func testSandboxChoicesAreCheckedAsARunWouldUseThem() throws {
        let repo = try TestRepository()
        try repo.git("config", "autofix.testCommand", "true")
        let unconfined = try checks(try doctor(repo, ["--json", "--sandbox", "none"]))
        XCTAssertEqual(unconfined["sandbox"]?["status"] as? String, "WARN")
        XCTAssertEqual(unconfined["sandbox"]?["fix"] as? String, "git config autofix.sandbox bwrap   (or docker, podman)")

        // A container backend without an image (or without the engine) cannot run anything.
        let container = try doctor(repo, ["--json", "--sandbox", "docker"])
        XCTAssertEqual(container.status, 4, container.stdout)
        let sandbox = try XCTUnwrap(try checks(container)["sandbox"])
        XCTAssertEqual(sandbox["status"] as? String, "FAIL")
        XCTAssertEqual(sandbox["exit_code"] as? Int, 4)
        XCTAssertNotNil(sandbox["fix"] as? String, "\(sandbox)")
    }

    func testFlagsOverrideTheCheckedSettings() throws {
        let repo = try TestRepository()
        try repo.git("config", "autofix.testCommand", "true")
        let output = try checks(try doctor(repo, ["--json", "--endpoint", "http://127.0.0.1:9/v1", "--model", "tiny", "--sandbox", "none"]))
        let settings = try XCTUnwrap(output["settings"]?["detail"] as? String)
        XCTAssertTrue(settings.contains("endpoint http://127.0.0.1:9/v1"), settings)
        XCTAssertTrue(settings.contains("model tiny"), settings)
        XCTAssertTrue(settings.contains("sandbox none"), settings)

        let bad = try doctor(repo, ["--sandbox", "chroot"])
        XCTAssertEqual(bad.status, 2, bad.stdout)
        XCTAssertTrue(bad.stdout.contains("--sandbox is `chroot`, which is not a sandbox backend"), bad.stdout)
    }
}
