import AutofixTestSupport
import Foundation
import XCTest

/// `git autofix` end to end, as a user runs it: the built binary, a real repository with failing
/// tests, a scripted model on a real loopback socket, and the real bubblewrap sandbox.
final class RepairRunTests: XCTestCase {
    private let pytest = "python3 -m pytest -q"

    private func autofix(_ repo: TestRepository, _ server: ScriptedSSEServer, _ extra: [String] = [],
                         test: String? = nil, environment: [String: String] = [:]) throws -> Shell.Output {
        try AutofixCLI.run(["run", "--endpoint", server.baseURL, "--model", "test-model", "--test", test ?? pytest,
                            "--sandbox", "bwrap", "--test-timeout", "2m"] + extra, in: repo.url, environment: environment)
    }

    private func stateOfUserFiles(_ repo: TestRepository) throws -> [String: String] {
        // Everything the user owns: work tree, index, HEAD, branches. Run refs, objects, notes and
        // run records are the tool's own additions.
        try repo.fingerprint(excluding: [".git/objects", ".git/refs/autofix", ".git/refs/autofix-candidates", ".git/refs/notes",
                                         ".git/autofix", ".git/logs"])
    }

    private func runRef(_ repo: TestRepository) throws -> String {
        try repo.git("for-each-ref", "--format=%(refname)", "refs/autofix").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private func chat(_ text: String) -> ScriptedSSEServer.Reply {
        // Split like a real server: a few characters per event.
        var deltas: [String] = []
        var rest = Substring(text)
        while !rest.isEmpty {
            deltas.append(String(rest.prefix(7)))
            rest = rest.dropFirst(7)
        }
        return ScriptedSSEServer.chatStream(deltas, usage: (prompt: 500, completion: 80))
    }

    func testCorrectFixInOneRoundIsCommittedWithTrailersAndTheTreeIsUntouched() throws {
        let repo = try SampleProjects.pythonCalculator()
        try repo.write("NOTES.md", "my uncommitted notes\n")
        try repo.git("config", "autofix.requestFields", #"{"repetition_penalty": 1.05}"#)
        let before = try stateOfUserFiles(repo)
        let server = try ScriptedSSEServer(replies: [chat(SampleProjects.pythonCalculatorFix)])
        defer { server.stop() }

        let output = try autofix(repo, server)
        XCTAssertEqual(output.status, 0, output.stdout + output.stderr)
        XCTAssertTrue(output.stdout.contains("All tests pass"), output.stdout)
        XCTAssertTrue(output.stdout.contains("git autofix apply"), output.stdout)
        XCTAssertEqual(try stateOfUserFiles(repo), before, "the user's work tree, index and HEAD are byte-identical")

        let ref = try runRef(repo)
        let message = try repo.git("log", "-1", "--format=%B", ref)
        XCTAssertTrue(message.hasPrefix("make add() add instead of subtract"), message)
        XCTAssertTrue(message.contains("Autofix-Round: 1"), message)
        XCTAssertTrue(message.contains("Autofix-Model: test-model"), message)
        XCTAssertTrue(message.contains("Autofix-Test-Command: \(pytest)"), message)
        XCTAssertTrue(message.contains("Autofix-Failing: 2 -> 0"), message)
        XCTAssertTrue(message.contains("Autofix-Run: \(ref.split(separator: "/").last!)"), message)
        XCTAssertEqual(try repo.git("show", "\(ref):calc.py").contains("return a + b"), true)
        XCTAssertEqual(try repo.git("show", "\(ref):NOTES.md"), "my uncommitted notes\n", "the snapshot carried the uncommitted file")
        XCTAssertTrue(try repo.git("notes", "--ref=autofix", "show", ref).contains("status: fixed"))

        let request = try XCTUnwrap(server.recordedRequests.first?.jsonBody)
        XCTAssertEqual(request["temperature"] as? Double, 0.15)
        XCTAssertEqual(request["top_p"] as? Double, 0.95)
        XCTAssertEqual(request["max_tokens"] as? Int, 2048)
        XCTAssertEqual(request["repetition_penalty"] as? Double, 1.05, "autofix.requestFields reach the server")
        let prompt = String(describing: request["messages"] ?? "")
        XCTAssertTrue(prompt.contains("test_add"), "the failure digest reaches the model")
        XCTAssertTrue(prompt.contains("return a - b"), "the failing file's content reaches the model")
    }

    func testTwoCandidatesGoToTheServerWithTheirOwnSeedsAndTheLoserIsNamedByShow() throws {
        let repo = try SampleProjects.pythonCalculator()
        let before = try stateOfUserFiles(repo)
        let comment = """
            Summary: explain add

            ```diff
            --- a/calc.py
            +++ b/calc.py
            @@ -1,2 +1,3 @@
            +# adds, eventually
             def add(a, b):
                 return a - b
            ```
            """
        // The server hands out replies in the order the requests arrive, which is not fixed.
        let server = try ScriptedSSEServer(replies: [chat(comment), chat(SampleProjects.pythonCalculatorFix)])
        defer { server.stop() }

        let output = try autofix(repo, server, ["--candidates", "2", "--json"])
        XCTAssertEqual(output.status, 0, output.stdout + output.stderr)
        XCTAssertEqual(try stateOfUserFiles(repo), before, "the user's work tree, index and HEAD are byte-identical")

        let bodies = server.recordedRequests.filter { $0.path.hasSuffix("/chat/completions") }.compactMap(\.jsonBody)
        XCTAssertEqual(bodies.count, 2)
        let asked = Dictionary(uniqueKeysWithValues: bodies.map { ($0["seed"] as? Int ?? 0, $0["temperature"] as? Double ?? -1) })
        XCTAssertEqual(asked, [1: 0.15, 2: 0.7], "candidate 1 at the configured temperature, the other at autofix.candidateTemperature")

        let events = output.stdout.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
        }
        let applied = events.filter { $0["event"] as? String == "patch_applied" }
        XCTAssertEqual(Set(applied.compactMap { $0["candidate"] as? Int }), [1, 2], "each candidate's events name it")
        let finished = try XCTUnwrap(events.first { $0["event"] as? String == "round_finished" })
        let candidates = try XCTUnwrap(finished["candidates"] as? [[String: Any]])
        XCTAssertEqual(candidates.compactMap { $0["verdict"] as? String }.sorted(), ["accepted", "not_improving"])
        let kept = try XCTUnwrap(candidates.compactMap { $0["ref"] as? String }.first)
        XCTAssertTrue(kept.hasPrefix("refs/autofix-candidates/"), kept)
        XCTAssertTrue(try repo.git("show", "\(kept):calc.py").contains("# adds, eventually"), "the losing reply is kept for review")

        let ref = try runRef(repo)
        let show = try AutofixCLI.run(["show", String(ref.split(separator: "/").last!)], in: repo.url)
        XCTAssertEqual(show.status, 0, show.stderr)
        XCTAssertTrue(show.stdout.contains("kept on \(kept)"), show.stdout)

        XCTAssertEqual(try AutofixCLI.run(["drop", "--all", "--yes"], in: repo.url).status, 0)
        XCTAssertEqual(try repo.git("for-each-ref", "refs/autofix-candidates"), "", "the losing candidates go with their run")
    }

    func testOnePatchPerRequestAsksForEachFileOnItsOwnAndShowListsTheRequests() throws {
        let repo = try SampleProjects.pythonTwoModules()
        let before = try stateOfUserFiles(repo)
        let comment = """
            Summary: fix shout

            ```diff
            --- a/mathutil.py
            +++ b/mathutil.py
            @@ -1,2 +1,3 @@
            +# doubles, one day
             def double(n):
                 return n + 2
            ```

            """
        // Round 1: a patch that fixes nothing, then the fix for shout; round 2: the fix for double.
        let server = try ScriptedSSEServer(replies: [chat(comment), chat(SampleProjects.shoutFix + "\n"),
                                                     chat(SampleProjects.doubleFix() + "\n")])
        defer { server.stop() }

        let output = try autofix(repo, server, ["--one-patch-per-request", "--json"])
        XCTAssertEqual(output.status, 0, output.stdout + output.stderr)
        XCTAssertEqual(try stateOfUserFiles(repo), before, "the user's work tree, index and HEAD are byte-identical")
        let events = output.stdout.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
        }
        let started = events.filter { $0["event"] as? String == "round_started" }
        XCTAssertEqual(started.compactMap { $0["step"] as? Int }, [1, 2, 1])
        XCTAssertEqual(started.compactMap { $0["round"] as? Int }, [1, 1, 2])
        let texts = events.filter { $0["event"] as? String == "model_text" }
        XCTAssertTrue(texts.allSatisfy { $0["step"] is Int }, "every line of a reply names its request")
        let finished = events.filter { $0["event"] as? String == "round_finished" }
        XCTAssertEqual(finished.compactMap { $0["steps"] as? Int }, [2, 1])
        XCTAssertEqual(finished.compactMap { $0["verdict"] as? String }, ["accepted", "accepted"])
        let firstRound = try XCTUnwrap(finished.first?["applied_files"] as? [String])
        XCTAssertEqual(firstRound, ["mathutil.py", "strings.py"])

        let ref = try runRef(repo)
        XCTAssertEqual(try repo.git("diff", "--name-only", "\(ref)~2", "\(ref)~1"), "mathutil.py\nstrings.py\n",
                       "round 1's commit holds both of its patches")
        let show = try AutofixCLI.run(["show", String(ref.split(separator: "/").last!), "--rounds"], in: repo.url)
        XCTAssertEqual(show.status, 0, show.stderr)
        XCTAssertTrue(show.stdout.contains("request 1: mathutil.py applied, then failing 2"), show.stdout)
        XCTAssertTrue(show.stdout.contains("request 2: strings.py applied, then failing 1"), show.stdout)
    }

    func testFailureOfRoundOneIsFedBackAndRoundTwoFixesIt() throws {
        let repo = try SampleProjects.pythonCalculator()
        let wrong = """
            Summary: multiply

            ```diff
            --- a/calc.py
            +++ b/calc.py
            @@ -1,2 +1,2 @@
             def add(a, b):
            -    return a - b
            +    return a * b
            ```
            """
        let server = try ScriptedSSEServer(replies: [chat(wrong), chat(SampleProjects.pythonCalculatorFix)])
        defer { server.stop() }
        let output = try autofix(repo, server)
        XCTAssertEqual(output.status, 0, output.stdout + output.stderr)
        XCTAssertEqual(server.recordedRequests.count, 2)
        let secondPrompt = server.recordedRequests[1].bodyText
        XCTAssertTrue(secondPrompt.contains("rolled back"), secondPrompt)
        XCTAssertTrue(secondPrompt.contains("assert 6 == 5"), "round 2 sees round 1's real test output")
        let ref = try runRef(repo)
        XCTAssertEqual(try repo.git("rev-list", "--count", "\(ref)^..\(ref)"), "1\n")
        XCTAssertTrue(try repo.git("log", "-1", "--format=%B", ref).contains("Autofix-Round: 2"))
    }

    func testAPatchThatDoesNotApplyCancelsTheStreamAndExplainsWhy() throws {
        let repo = try SampleProjects.pythonTwoModules()
        let firstGoodSecondBad = "Summary: fix both\n\n" + SampleProjects.shoutFix + "\n" + SampleProjects.doubleFix(parameter: "number")
            + String(repeating: "\nMore explanation that the tool never needs to read.", count: 40)
        let fix = "Summary: fix both\n\n" + SampleProjects.shoutFix + "\n" + SampleProjects.doubleFix()
        var deltas: [String] = []
        for line in firstGoodSecondBad.split(separator: "\n", omittingEmptySubsequences: false) { deltas.append(line + "\n") }
        let slow = ScriptedSSEServer.chatStream(deltas, delay: 0.02)
        let server = try ScriptedSSEServer(replies: [slow, chat(fix)])
        defer { server.stop() }
        let output = try autofix(repo, server)
        XCTAssertEqual(output.status, 0, output.stdout + output.stderr)
        XCTAssertTrue(server.connections.first?.clientLeftEarly ?? false, "the first stream was cancelled early")
        XCTAssertTrue(output.stdout.contains("patch failed"), output.stdout)
        let feedback = server.recordedRequests[1].bodyText
        XCTAssertTrue(feedback.contains("could not be applied"), feedback)
        XCTAssertTrue(feedback.contains("mathutil.py"), feedback)
        let ref = try runRef(repo)
        XCTAssertEqual(try repo.git("show", "\(ref):mathutil.py"), "def double(n):\n    return n * 2\n")
    }

    func testAPatchThatBreaksAnotherTestIsRejectedAndNotCommitted() throws {
        let repo = try SampleProjects.pythonCalculator()
        let breaksMul = SampleProjects.pythonCalculatorFixThatBreaksMul
        let server = try ScriptedSSEServer(replies: [chat(breaksMul), chat("CANNOT FIX: out of ideas")])
        defer { server.stop() }
        let output = try autofix(repo, server, ["--max-rounds", "2"])
        XCTAssertEqual(output.status, 1, output.stdout + output.stderr)
        let ref = try runRef(repo)
        XCTAssertFalse(ref.isEmpty, "the run left its ref")
        XCTAssertEqual(try repo.revParse("\(ref)^"), try repo.revParse("HEAD"), "the run ref holds the snapshot and nothing above it")
        XCTAssertTrue(try repo.git("log", "-1", "--format=%s", ref).hasPrefix("autofix: snapshot"), "nothing was committed")
        XCTAssertTrue(server.recordedRequests[1].bodyText.contains("test_mul"), "the newly failing test is named to the model")
        XCTAssertTrue(output.stdout.contains("declined"), output.stdout)
    }

    /// Real pytest in the real sandbox: a patch that leaves add() failing is rejected on a run of
    /// the failing tests alone; one that fixes add() and breaks mul() is judged, and rejected, by
    /// the whole suite.
    func testRoundsRunTheFailingTestsAloneFirstAndTheWholeSuiteJudges() throws {
        let repo = try SampleProjects.pythonCalculator()
        let commentOnly = """
            Summary: explain add

            ```diff
            --- a/calc.py
            +++ b/calc.py
            @@ -1,2 +1,3 @@
            +# adds, eventually
             def add(a, b):
                 return a - b
            ```
            """
        let server = try ScriptedSSEServer(replies: [chat(commentOnly), chat(SampleProjects.pythonCalculatorFixThatBreaksMul),
                                                     chat("CANNOT FIX: out of ideas")])
        defer { server.stop() }
        let output = try autofix(repo, server, ["--json", "--max-rounds", "3"])
        XCTAssertEqual(output.status, 1, output.stdout + output.stderr)
        let rounds = try output.stdout.split(separator: "\n").map {
            try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }.filter { $0["event"] as? String == "round_finished" }
        XCTAssertEqual(rounds.map { $0["verdict"] as? String }, ["rejected", "rejected", "no_edit"])
        XCTAssertNotNil(rounds[0]["targeted_test_seconds"] as? Double, "\(rounds[0])")
        XCTAssertNil(rounds[0]["full_test_seconds"], "the whole suite did not run: \(rounds[0])")
        XCTAssertNotNil(rounds[1]["targeted_test_seconds"] as? Double, "\(rounds[1])")
        XCTAssertNotNil(rounds[1]["full_test_seconds"] as? Double, "\(rounds[1])")
        XCTAssertEqual(rounds[1]["newly_failing"] as? [String], ["test_calc.py::test_mul"])
    }

    func testAPatchThatEscapesTheRepositoryIsRejected() throws {
        let repo = try SampleProjects.pythonCalculator()
        let outside = repo.url.deletingLastPathComponent().appendingPathComponent("escaped-\(UUID().uuidString.prefix(6)).txt")
        let escape = """
            Summary: sneaky

            ```diff
            --- /dev/null
            +++ b/../\(outside.lastPathComponent)
            @@ -0,0 +1 @@
            +owned
            ```
            """
        let server = try ScriptedSSEServer(replies: [chat(escape), chat(SampleProjects.pythonCalculatorFix)])
        defer { server.stop() }
        let output = try autofix(repo, server)
        XCTAssertEqual(output.status, 0, output.stdout + output.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: outside.path), "nothing was written outside the checkout")
        XCTAssertTrue(server.recordedRequests[1].bodyText.contains(".."), "the rejection is explained to the model")
    }

    func testModelServerDownMidRunKeepsAcceptedCommitsAndExitsWithModelError() throws {
        let repo = try SampleProjects.pythonTwoModules()
        let half = "Summary: fix shout\n\n" + SampleProjects.shoutFix
        let server = try ScriptedSSEServer(replies: [chat(half), ScriptedSSEServer.Reply(status: 200, chunks: [], ending: .reset)])
        defer { server.stop() }
        let before = try stateOfUserFiles(repo)
        let output = try autofix(repo, server, ["--max-rounds", "3"])
        XCTAssertEqual(output.status, 3, output.stdout + output.stderr)
        XCTAssertEqual(try stateOfUserFiles(repo), before)
        let ref = try runRef(repo)
        XCTAssertEqual(try repo.git("show", "\(ref):strings.py"), "def shout(text):\n    return text.upper()\n",
                       "round 1's commit stays reachable from the run ref")
        let list = try AutofixCLI.run(["list"], in: repo.url)
        XCTAssertTrue(list.stdout.contains("error"), list.stdout)
    }

    /// Starts `git autofix run` against `endpoint`, sends Ctrl-C once `ready` says so (polled),
    /// and returns the exit status and everything the run printed.
    private func interruptedRun(_ repo: TestRepository, endpoint: String, when ready: () -> Bool) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = BuiltProducts.executable("git-autofix")
        process.arguments = ["run", "--endpoint", endpoint, "--model", "test-model", "--test", pytest, "--sandbox", "bwrap"]
        process.currentDirectoryURL = repo.url
        process.environment = Hermetic.environment
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        try process.run()
        while !ready() { usleep(50_000) }
        process.interrupt()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text)
    }

    func testNoModelServerStopsTheRunBeforeTheTests() throws {
        let repo = try SampleProjects.pythonCalculator()
        let down = try ScriptedSSEServer.unusedLoopbackURL()
        let output = try AutofixCLI.run(["run", "--endpoint", down, "--model", "test-model", "--test", pytest,
                                         "--sandbox", "bwrap"], in: repo.url)
        XCTAssertEqual(output.status, 3, output.stdout + output.stderr)
        XCTAssertTrue(output.stderr.contains("no model server at \(down)"), output.stderr)
        XCTAssertFalse(output.stdout.contains("Running the tests"), "the baseline must not run: \(output.stdout)")
        XCTAssertEqual(try repo.git("for-each-ref", "refs/autofix"), "", "nothing was started")
    }

    func testCtrlCWhileWaitingForTheServerExitsAsInterruptedWithNothingStarted() throws {
        let repo = try SampleProjects.pythonCalculator()
        // Connections to this listener hang in connect for the whole connect timeout (10 s).
        let listener = try FullBacklogListener()
        let started = Date()
        let (status, text) = try interruptedRun(repo, endpoint: listener.baseURL) { Date().timeIntervalSince(started) > 1 }
        XCTAssertEqual(status, 130, text)
        XCTAssertTrue(text.contains("Interrupted before anything was started"), text)
        XCTAssertFalse(text.contains("CancellationError"), text)
        XCTAssertEqual(try repo.git("for-each-ref", "refs/autofix"), "")
    }

    func testCtrlCMidStreamKeepsTheRunAndLeavesTheTreeUntouched() throws {
        let repo = try SampleProjects.pythonCalculator()
        let stalling = ScriptedSSEServer.Reply.events(
            ScriptedSSEServer.chatStreamEvents(["Summary: thinking", " hard"], finishReason: nil, done: false),
            ending: .stall(seconds: 60))
        let server = try ScriptedSSEServer(replies: [stalling])
        defer { server.stop() }
        let before = try stateOfUserFiles(repo)

        let deadline = Date().addingTimeInterval(60)
        var firstRequestSeen: Date?
        let (status, text) = try interruptedRun(repo, endpoint: server.baseURL) {
            if firstRequestSeen == nil, !server.recordedRequests.isEmpty { firstRequestSeen = Date() }
            // Well into the stream: the request is in and the first deltas are out.
            return firstRequestSeen.map { Date().timeIntervalSince($0) > 0.3 } ?? (Date() > deadline)
        }
        XCTAssertEqual(status, 130, text)
        XCTAssertTrue(text.contains("Interrupted"), text)
        XCTAssertEqual(try stateOfUserFiles(repo), before)
        let id = try runRef(repo).split(separator: "/").last.map(String.init) ?? ""
        let record = try String(contentsOf: repo.file(".git/autofix/runs/\(id)/status.json"), encoding: .utf8)
        XCTAssertTrue(record.contains("interrupted"), record)
        XCTAssertTrue(FileManager.default.fileExists(atPath: repo.file(".git/autofix/runs/\(id)/transcript.jsonl").path))
    }

    func testSwiftPackageWithADependencyBuildsInTheSandboxFromWhatTheWorkTreeFetched() throws {
        // The dependency comes from the machine's package mirror when there is one; the sandbox
        // has no network, so without the copied .build/checkouts the baseline cannot build.
        let mirror = "/opt/swift-packages/apple/swift-algorithms.git"
        try XCTSkipUnless(FileManager.default.fileExists(atPath: mirror), "no local mirror of swift-algorithms")
        let repo = try TestRepository()
        try repo.write("Package.swift", """
            // swift-tools-version:5.9
            import PackageDescription
            let package = Package(
                name: "Stats",
                dependencies: [.package(url: "https://github.com/apple/swift-algorithms", from: "1.2.0")],
                targets: [
                    .target(name: "Stats", dependencies: [.product(name: "Algorithms", package: "swift-algorithms")]),
                    .testTarget(name: "StatsTests", dependencies: ["Stats"]),
                ]
            )

            """)
        try repo.write("Sources/Stats/Stats.swift", """
            import Algorithms

            public func pairCount(_ values: [Int]) -> Int {
                values.combinations(ofCount: 2).count + 1
            }

            """)
        try repo.write("Tests/StatsTests/StatsTests.swift", """
            import XCTest
            @testable import Stats

            final class StatsTests: XCTestCase {
                func testPairs() { XCTAssertEqual(pairCount([1, 2, 3]), 3) }
            }

            """)
        try repo.write(".gitignore", ".build/\nPackage.resolved\n")
        try repo.commitAll("stats")
        var fetch = Hermetic.environment
        fetch["GIT_CONFIG_COUNT"] = "1"
        fetch["GIT_CONFIG_KEY_0"] = "url./opt/swift-packages/.insteadOf"
        fetch["GIT_CONFIG_VALUE_0"] = "https://github.com/"
        try Shell.check(["swift", "package", "resolve"], in: repo.url, environment: fetch)

        let fix = """
            ```diff
            --- a/Sources/Stats/Stats.swift
            +++ b/Sources/Stats/Stats.swift
            @@ -1,5 +1,5 @@
             import Algorithms
             
             public func pairCount(_ values: [Int]) -> Int {
            -    values.combinations(ofCount: 2).count + 1
            +    values.combinations(ofCount: 2).count
             }
            ```
            """
        let server = try ScriptedSSEServer(replies: [chat(fix)])
        defer { server.stop() }
        let before = try stateOfUserFiles(repo)
        let output = try autofix(repo, server, ["--test-timeout", "8m"], test: "swift test")
        XCTAssertEqual(output.status, 0, output.stdout + output.stderr)
        XCTAssertTrue(output.stdout.contains("failing: StatsTests.testPairs"), "the baseline ran the test: \(output.stdout)")
        XCTAssertTrue(output.stdout.contains("Copied from your work tree, since the sandbox cannot fetch: .build/repositories, .build/checkouts"),
                      "the run says what it copied: \(output.stdout)")
        XCTAssertEqual(try stateOfUserFiles(repo), before)
        XCTAssertFalse(try repo.git("show", "\(try runRef(repo)):Sources/Stats/Stats.swift").contains("+ 1"))
    }

    func testTimeBudgetCutsAReplyThatIsStillStreaming() throws {
        let repo = try SampleProjects.pythonCalculator()
        // A reply that would take a minute: a few characters every 0.3 s.
        let slow = ScriptedSSEServer.chatStream((0..<200).map { "word\($0) " }, delay: 0.3)
        let server = try ScriptedSSEServer(replies: [slow])
        defer { server.stop() }
        let before = try stateOfUserFiles(repo)
        let output = try autofix(repo, server, ["--timeout", "4s"])
        XCTAssertEqual(output.status, 1, output.stdout + output.stderr)
        XCTAssertTrue((output.stdout + output.stderr).contains("used up while the model was replying"),
                      output.stdout + output.stderr)
        server.waitUntilIdle()
        XCTAssertTrue(server.connections.first?.clientLeftEarly ?? false, "the reply was not cut off")
        XCTAssertEqual(try stateOfUserFiles(repo), before)
        let id = try runRef(repo).split(separator: "/").last.map(String.init) ?? ""
        let status = try String(contentsOf: repo.file(".git/autofix/runs/\(id)/status.json"), encoding: .utf8)
        XCTAssertTrue(status.contains("failing"), status)
    }

    func testATestCommandThatCannotStartStopsBeforeAskingTheModel() throws {
        let repo = try SampleProjects.pythonCalculator()
        let server = try ScriptedSSEServer(replies: [chat(SampleProjects.pythonCalculatorFix)])
        defer { server.stop() }
        let output = try autofix(repo, server, [], test: "no-such-test-runner --all")
        XCTAssertEqual(output.status, 4, output.stdout + output.stderr)
        XCTAssertTrue(output.stderr.contains("could not start"), output.stderr)
        XCTAssertTrue(output.stderr.contains("git autofix sandbox --"), output.stderr)
        XCTAssertTrue(server.recordedRequests.isEmpty, "no tokens are spent on a broken setup")
    }

    func testAModuleOnlyOnTheHostsPYTHONPATHStopsBeforeRoundOneWithTheSettingsThatMakeItRun() throws {
        let site = try TemporaryDirectory(prefix: "autofix-site")
        try "OFFSET = 0\n".write(to: site.file("hostonlyhelper.py"), atomically: true, encoding: .utf8)
        let repo = try SampleProjects.pythonCalculator()
        try repo.write("conftest.py", "import hostonlyhelper\n")
        try repo.commitAll("the tests need a helper installed on this machine")
        let server = try ScriptedSSEServer(replies: [chat(SampleProjects.pythonCalculatorFix)])
        defer { server.stop() }
        let host = ["PYTHONPATH": site.path]

        let stopped = try autofix(repo, server, environment: host)
        XCTAssertEqual(stopped.status, 4, stopped.stdout + stopped.stderr)
        XCTAssertTrue(stopped.stderr.contains("the tests could not import `hostonlyhelper` in the sandbox (ModuleNotFoundError)"), stopped.stderr)
        let settings = "git config --add autofix.sandboxEnv PYTHONPATH; git config --add autofix.sandboxBind \(site.path)"
        XCTAssertTrue(stopped.stderr.contains(settings), stopped.stderr)
        XCTAssertFalse(stopped.stdout.contains("round 1"), stopped.stdout)
        XCTAssertTrue(server.recordedRequests.isEmpty, "no tokens are spent on the environment")

        // What the hint says is what the sandbox lacked.
        try repo.git("config", "--add", "autofix.sandboxEnv", "PYTHONPATH")
        try repo.git("config", "--add", "autofix.sandboxBind", site.path)
        let fixed = try autofix(repo, server, environment: host)
        XCTAssertEqual(fixed.status, 0, fixed.stdout + fixed.stderr)
        XCTAssertEqual(server.recordedRequests.count, 1, "the run went on to round 1")
    }

    func testRunningWithoutASandboxNeedsConfirmation() throws {
        let repo = try TestRepository()
        try repo.write("ok.sh", "exit 0\n")
        try repo.commitAll("passing")
        let server = try ScriptedSSEServer(replies: [])
        defer { server.stop() }
        let base = ["run", "--endpoint", server.baseURL, "--test", "sh ok.sh", "--sandbox", "none"]
        let refused = try AutofixCLI.run(base, in: repo.url)
        XCTAssertEqual(refused.status, 2, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("--yes"), refused.stderr)
        XCTAssertEqual(try repo.git("for-each-ref", "refs/autofix"), "", "nothing started")
        let confirmed = try AutofixCLI.run(base + ["--yes"], in: repo.url)
        XCTAssertEqual(confirmed.status, 0, confirmed.stdout + confirmed.stderr)
        XCTAssertTrue(confirmed.stderr.contains("warning:"), "the warning is printed on every run")
        XCTAssertTrue(confirmed.stdout.contains("already pass"), confirmed.stdout)
    }

    func testJSONModePrintsOneEventPerLine() throws {
        let repo = try SampleProjects.pythonCalculator()
        let server = try ScriptedSSEServer(replies: [chat(SampleProjects.pythonCalculatorFix)])
        defer { server.stop() }
        let output = try autofix(repo, server, ["--json"])
        XCTAssertEqual(output.status, 0, output.stderr)
        let events = try output.stdout.split(separator: "\n").map {
            try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        let names = events.compactMap { $0["event"] as? String }
        XCTAssertEqual(names.first, "started")
        XCTAssertEqual(names.last, "finished")
        XCTAssertTrue(names.contains("baseline"))
        XCTAssertTrue(names.contains("patch_applied"))
        let finished = try XCTUnwrap(events.last)
        XCTAssertEqual(finished["status"] as? String, "fixed")
        XCTAssertEqual(finished["failing_before"] as? Int, 2)
        XCTAssertEqual(finished["failing_after"] as? Int, 0)
        XCTAssertEqual(finished["prompt_tokens"] as? Int, 500, "usage the server reported is summed")
        XCTAssertEqual(finished["completion_tokens"] as? Int, 80)

        // The reply arrives 7 characters at a time but is reported by the line: all of it, in
        // order, no event holding more than one line, far fewer events than chunks.
        let texts = events.filter { $0["event"] as? String == "model_text" }.compactMap { $0["text"] as? String }
        let fix = SampleProjects.pythonCalculatorFix
        XCTAssertEqual(texts.joined(), fix)
        XCTAssertTrue(texts.allSatisfy { $0.filter { $0 == "\n" }.count <= 1 }, "\(texts)")
        XCTAssertLessThanOrEqual(texts.count, fix.filter { $0 == "\n" }.count + 4, "\(texts)")
        XCTAssertLessThan(texts.count, (fix.count + 6) / 7)
    }

    func testSwiftPackageIsFixedInOneRound() throws {
        let repo = try SampleProjects.swiftGreeter()
        let server = try ScriptedSSEServer(replies: [chat(SampleProjects.swiftGreeterFix)])
        defer { server.stop() }
        let before = try stateOfUserFiles(repo)
        let output = try autofix(repo, server, ["--test-timeout", "8m"], test: "swift test")
        XCTAssertEqual(output.status, 0, output.stdout + output.stderr)
        XCTAssertEqual(try stateOfUserFiles(repo), before)
        let ref = try runRef(repo)
        XCTAssertTrue(try repo.git("show", "\(ref):Sources/Greeter/Greeter.swift").contains("Hello, \\(name)!"))
        XCTAssertTrue(try repo.git("log", "-1", "--format=%B", ref).contains("Autofix-Failing: 1 -> 0"))
    }
}
