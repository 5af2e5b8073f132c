import AutofixTestSupport
import Foundation
import XCTest

/// How a run ends when it is stopped from outside (SIGTERM, SIGHUP, SIGKILL) and what the other
/// commands do about a run that is still running or died: the built binary, real signals, a
/// scripted model that stalls on a real loopback socket, the real bubblewrap sandbox.
final class RunLifecycleTests: XCTestCase {
    private let pytest = "python3 -m pytest -q"

    /// A started `git autofix run`, the private TMPDIR its scratch directory goes in and the cache
    /// directory of its warm place.
    private final class StartedRun {
        let process = Process()
        let output = Pipe()
        let temporary: TemporaryDirectory

        init(_ repo: TestRepository, endpoint: String, test: String) throws {
            temporary = try TemporaryDirectory(prefix: "autofix-tmpdir")
            var environment = Hermetic.environment
            environment["TMPDIR"] = temporary.path
            environment["XDG_CACHE_HOME"] = temporary.file("cache").path
            process.executableURL = BuiltProducts.executable("git-autofix")
            process.arguments = ["run", "--endpoint", endpoint, "--model", "test-model", "--test", test, "--sandbox", "bwrap",
                                 "--max-rounds", "3"]
            process.currentDirectoryURL = repo.url
            process.environment = environment
            process.standardOutput = output
            process.standardError = output
            try process.run()
        }

        var pid: Int32 { process.processIdentifier }

        /// The run's scratch directories still in its TMPDIR.
        var scratchDirectories: [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: temporary.path)) ?? []).filter { $0.hasPrefix("git-autofix-") }
        }

        /// The views of the warm places in its cache directory.
        var warmViews: [URL] {
            let warm = temporary.file("cache/git-autofix/warm")
            return ((try? FileManager.default.contentsOfDirectory(atPath: warm.path)) ?? [])
                .map { warm.appendingPathComponent($0).appendingPathComponent("sandbox") }
        }

        func signal(_ number: Int32) { kill(pid, number) }

        /// Everything it printed, once it has ended.
        func finish() -> String {
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            return text
        }
    }

    /// Polls `ready`; fails the test instead of hanging when it never comes.
    private func wait(for what: String, _ ready: () -> Bool) {
        let deadline = Date().addingTimeInterval(120)
        while !ready() {
            if Date() > deadline {
                XCTFail("gave up waiting for \(what)")
                return
            }
            usleep(50_000)
        }
    }

    /// Cgroup directories made by process `pid`, wherever the hierarchies are mounted.
    private func cgroups(of pid: Int32) throws -> String {
        try Shell.run(["find", "/sys/fs/cgroup", "-maxdepth", "5", "-type", "d", "-name", "git-autofix-\(pid)-*"]).stdout
    }

    private func runID(_ repo: TestRepository) throws -> String {
        try repo.git("for-each-ref", "--format=%(refname:lstrip=-1)", "refs/autofix").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private func record(_ repo: TestRepository) throws -> String {
        try String(contentsOf: repo.file(".git/autofix/runs/\(try runID(repo))/status.json"), encoding: .utf8)
    }

    /// One accepted round (shout fixed), then a second reply that stalls mid-stream.
    private func serverThatStallsInRoundTwo() throws -> ScriptedSSEServer {
        let fix = ScriptedSSEServer.chatStream(["Summary: fix shout\n\n", SampleProjects.shoutFix])
        let stalling = ScriptedSSEServer.Reply.events(
            ScriptedSSEServer.chatStreamEvents(["Summary: thinking", " hard"], finishReason: nil, done: false),
            ending: .stall(seconds: 60))
        return try ScriptedSSEServer(replies: [fix, stalling])
    }

    private func stopInRoundTwo(with signal: Int32, closingOutputFirst: Bool = false) throws {
        let repo = try SampleProjects.pythonTwoModules()
        let server = try serverThatStallsInRoundTwo()
        defer { server.stop() }
        let run = try StartedRun(repo, endpoint: server.baseURL, test: pytest)
        var secondSeen: Date?
        wait(for: "the second model request") {
            if secondSeen == nil, server.recordedRequests.count >= 2 { secondSeen = Date() }
            return secondSeen.map { Date().timeIntervalSince($0) > 0.3 } ?? false
        }
        if closingOutputFirst {
            // As when the terminal goes away: every write the run makes from now on fails.
            try run.output.fileHandleForReading.close()
            run.signal(signal)
            run.process.waitUntilExit()
        } else {
            run.signal(signal)
            let text = run.finish()
            XCTAssertTrue(text.contains("received"), text)
        }

        XCTAssertEqual(run.process.terminationReason, .exit, "it ended itself, not killed by the signal")
        XCTAssertEqual(run.process.terminationStatus, 128 + signal)
        let ended = try record(repo)
        XCTAssertTrue(ended.contains("\"interrupted\""), ended)
        XCTAssertEqual(try repo.git("show", "refs/autofix/main/\(try runID(repo)):strings.py"),
                       "def shout(text):\n    return text.upper()\n", "round 1's commit is kept")
        XCTAssertEqual(run.scratchDirectories, [], "the scratch directory is removed")
        XCTAssertEqual(try cgroups(of: run.pid), "", "no cgroup is left")
        let list = try AutofixCLI.run(["list"], in: repo.url)
        XCTAssertTrue(list.stdout.contains("interrupted"), list.stdout)
    }

    func testSIGTERMEndsARunAsCtrlCDoes() throws {
        try stopInRoundTwo(with: SIGTERM)
    }

    func testSIGHUPEndsARunAsCtrlCDoesEvenWithItsTerminalGone() throws {
        try stopInRoundTwo(with: SIGHUP, closingOutputFirst: true)
    }

    func testAKilledRunIsShownInterruptedByListWhichRemovesItsScratchDirectoryAndCgroups() throws {
        let repo = try SampleProjects.pythonTwoModules()
        let server = try serverThatStallsInRoundTwo()
        defer { server.stop() }
        // The baseline tests say they started, then hang: the run is killed while its sandbox runs.
        let run = try StartedRun(repo, endpoint: server.baseURL, test: "touch tests-started && sleep 600")
        // They run in the repository's warm place, which outlives every run.
        wait(for: "the baseline tests to start") {
            run.warmViews.contains { FileManager.default.fileExists(atPath: $0.appendingPathComponent("tests-started").path) }
        }
        let cgroupsWhileRunning = try cgroups(of: run.pid)
        run.signal(SIGKILL)
        _ = run.finish()
        XCTAssertEqual(run.process.terminationReason, .uncaughtSignal)
        let killed = try record(repo)
        XCTAssertTrue(killed.contains("\"running\""), "nothing could record the end: \(killed)")
        XCTAssertEqual(run.scratchDirectories.count, 1, "left behind by the killed run")

        // The killed run kept no commit, so only --all lists it; the clean-up is the same either way.
        let list = try AutofixCLI.run(["list", "--all"], in: repo.url)
        XCTAssertEqual(list.status, 0, list.stderr)
        XCTAssertTrue(list.stdout.contains("interrupted"), list.stdout)
        XCTAssertTrue(list.stderr.contains("process \(run.pid), which is gone"), list.stderr)
        XCTAssertEqual(run.scratchDirectories, [], "list removed the scratch directory")
        XCTAssertEqual(run.warmViews.count, 1, "but not the warm place")
        XCTAssertTrue(FileManager.default.fileExists(atPath: run.warmViews[0].appendingPathComponent("tests-started").path))
        let cleaned = try record(repo)
        XCTAssertTrue(cleaned.contains("\"interrupted\""), cleaned)
        if !cgroupsWhileRunning.isEmpty {
            XCTAssertEqual(try cgroups(of: run.pid), "", "list removed the cgroups: \(list.stderr)")
        }
        let again = try AutofixCLI.run(["list", "--all", "--json"], in: repo.url)
        XCTAssertEqual(again.stderr, "", "cleaned up once")
        XCTAssertTrue(again.stdout.contains("\"status\":\"interrupted\""), again.stdout)
    }

    func testDropRefusesARunStillRunningAndShowCleansUpOnceItIsKilled() throws {
        let repo = try SampleProjects.pythonTwoModules()
        let server = try serverThatStallsInRoundTwo()
        defer { server.stop() }
        let run = try StartedRun(repo, endpoint: server.baseURL, test: pytest)
        wait(for: "the second model request") { server.recordedRequests.count >= 2 }
        let id = try runID(repo)

        let drop = try AutofixCLI.run(["drop", "--yes", id], in: repo.url)
        XCTAssertEqual(drop.status, 2, drop.stdout + drop.stderr)
        XCTAssertTrue(drop.stderr.contains("still running"), drop.stderr)
        XCTAssertTrue(drop.stderr.contains("process \(run.pid)"), drop.stderr)
        XCTAssertTrue(drop.stderr.contains("--force"), drop.stderr)
        XCTAssertEqual(try runID(repo), id, "nothing dropped")

        run.signal(SIGKILL)
        _ = run.finish()
        let show = try AutofixCLI.run(["show", id], in: repo.url)
        XCTAssertEqual(show.status, 0, show.stderr)
        XCTAssertTrue(show.stdout.contains("status interrupted"), show.stdout)
        XCTAssertEqual(run.scratchDirectories, [], "show removed the scratch directory")
        let dropDead = try AutofixCLI.run(["drop", "--yes", id], in: repo.url)
        XCTAssertEqual(dropDead.status, 0, dropDead.stderr)
    }

    func testDropForceDropsARunStillRunning() throws {
        let repo = try SampleProjects.pythonTwoModules()
        let server = try serverThatStallsInRoundTwo()
        defer { server.stop() }
        let run = try StartedRun(repo, endpoint: server.baseURL, test: pytest)
        defer {
            run.signal(SIGKILL)
            _ = run.finish()
        }
        wait(for: "the second model request") { server.recordedRequests.count >= 2 }
        let drop = try AutofixCLI.run(["drop", "--yes", "--force", try runID(repo)], in: repo.url)
        XCTAssertEqual(drop.status, 0, drop.stderr)
        XCTAssertEqual(try repo.git("for-each-ref", "refs/autofix"), "")
    }
}
