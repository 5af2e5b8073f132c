import AutofixBenchSupport
import AutofixCore
import AutofixGit
import AutofixModel
import AutofixSupport
import AutofixTestSupport
import XCTest

/// One file patch per request, against a real loopback server streaming timed chunks: each
/// reply is read to the end of its one patch, which is tested before the next request, and the
/// next request only appends to the conversation of the one before.
final class OnePatchLoopTests: XCTestCase {
    private let shoutFails = ScriptedTests.Run.pytest(file: "test_all.py", passing: ["test_double"], failing: ["test_shout"])
    private let allPass = ScriptedTests.Run.pytest(file: "test_all.py", passing: ["test_double", "test_shout"], failing: [])
    private let shoutAlone = ScriptedTests.Run.pytest(file: "test_all.py", passing: [], failing: ["test_shout"])
    private let shoutPassesAlone = ScriptedTests.Run.pytest(file: "test_all.py", passing: ["test_shout"], failing: [])

    /// Far longer than any run takes: a reply still holding this back was cut, not read to its end.
    private let muchLater = 60.0

    override class func setUp() {
        super.setUp()
        Hermetic.applyToCurrentProcess()
    }

    func testATwoFileFixComesAsTwoRequestsOnOneGrowingConversation() async throws {
        let repo = try SampleProjects.pythonTwoModules()
        let before = try userFiles(repo)
        // The first reply goes on past its patch, long after it: only the patch is read.
        let server = try ScriptedSSEServer(replies: [
            reply("Summary: fix shout and double\n\n" + SampleProjects.shoutFix + "\n", then: SampleProjects.doubleFix()),
            reply("Now the other file.\n\n" + SampleProjects.doubleFix() + "\n"),
        ])
        defer { server.stop() }
        let targeted = "python3 -m pytest -v test_all.py::test_shout"
        let tests = ScriptedTests([shoutFails, shoutAlone, shoutPassesAlone, allPass], watching: ["strings.py", "mathutil.py"])
        tests.runsSelections = true

        let played = try await play(repo, server, tests)
        XCTAssertEqual(played.outcome.status, .fixed)
        let round = try XCTUnwrap(played.rounds.first)
        XCTAssertEqual(played.rounds.map(\.verdict), [.accepted])
        XCTAssertEqual(round.steps, 2)
        XCTAssertEqual(round.appliedFiles, ["strings.py", "mathutil.py"])
        XCTAssertEqual(played.steps(of: "round_started"), [1, 2])
        XCTAssertEqual(played.steps(of: "tests_started"), [1, 2])

        // The first patch alone failed the failing test again and cost no whole-suite run.
        XCTAssertEqual(tests.commands, [nil, targeted, targeted, nil])
        XCTAssertEqual(tests.calls[1].files["mathutil.py"], "def double(n):\n    return n + 2\n")
        XCTAssertEqual(tests.calls[2].files["strings.py"], "def shout(text):\n    return text.upper()\n",
                       "the first patch stayed applied for the second request")
        XCTAssertEqual(tests.calls[2].files["mathutil.py"], "def double(n):\n    return n * 2\n")

        let bodies = try chatBodies(server)
        XCTAssertEqual(bodies.count, 2)
        let first = try messages(bodies[0]), second = try messages(bodies[1])
        XCTAssertEqual(second.count, first.count + 2)
        XCTAssertEqual(Array(second.prefix(first.count)), first, "the second request only appends to the first")
        XCTAssertEqual(second[first.count].role, "assistant")
        XCTAssertTrue(second[first.count].content.hasSuffix("```\n"), "the reply ends with its one patch: \(second[first.count].content)")
        XCTAssertFalse(second[first.count].content.contains("mathutil.py"))
        XCTAssertTrue(second[first.count + 1].content.contains("It stays applied"), second[first.count + 1].content)
        XCTAssertTrue(first[0].content.contains("exactly ONE file"), "the system message asks for one patch per reply")

        XCTAssertTrue(server.waitUntilIdle())
        XCTAssertEqual(server.connections.first?.clientLeftEarly, true, "the first reply was cut after its patch")
        let ref = played.outcome.ref
        XCTAssertEqual(try repo.git("rev-list", "--count", "\(played.outcome.snapshot)..\(ref)"), "1\n", "one commit for the round")
        XCTAssertEqual(try repo.git("diff", "--name-only", "\(ref)^", ref), "mathutil.py\nstrings.py\n")
        XCTAssertEqual(try repo.git("log", "-1", "--format=%s", ref), "fix shout and double\n")
        XCTAssertEqual(try userFiles(repo), before, "the user's work tree, index and HEAD are untouched")
    }

    func testAFirstPatchThatAlreadyFixesEndsTheRoundWithoutASecondRequest() async throws {
        let repo = try SampleProjects.pythonTwoModules()
        let before = try userFiles(repo)
        let server = try ScriptedSSEServer(replies: [
            reply("Summary: fix shout\n\n" + SampleProjects.shoutFix + "\n", then: SampleProjects.doubleFix()),
        ])
        defer { server.stop() }
        let tests = ScriptedTests([shoutFails, allPass])

        let played = try await play(repo, server, tests)
        XCTAssertEqual(played.outcome.status, .fixed)
        XCTAssertEqual(played.rounds.map(\.verdict), [.accepted])
        XCTAssertEqual(played.rounds.first?.steps, 1)
        XCTAssertEqual(played.rounds.first?.appliedFiles, ["strings.py"])
        XCTAssertEqual(try chatBodies(server).count, 1, "no second request")
        XCTAssertTrue(server.waitUntilIdle())
        XCTAssertEqual(server.connections.first?.clientLeftEarly, true)
        XCTAssertEqual(try repo.git("diff", "--name-only", "\(played.outcome.ref)^", played.outcome.ref), "strings.py\n")
        XCTAssertEqual(try userFiles(repo), before, "the user's work tree, index and HEAD are untouched")
    }

    func testAPatchThatDoesNotApplyEndsTheRoundAndTakesTheRoundsPatchesBack() async throws {
        let repo = try SampleProjects.pythonTwoModules()
        let before = try userFiles(repo)
        let server = try ScriptedSSEServer(replies: [
            reply(SampleProjects.shoutFix + "\n"),
            reply(SampleProjects.doubleFix(parameter: "x") + "\n"),
            reply(SampleProjects.shoutFix + "\n"),
            reply("DONE\n"),
        ])
        defer { server.stop() }
        let tests = ScriptedTests([shoutFails, shoutFails, shoutFails], watching: ["strings.py"])

        let played = try await play(repo, server, tests) { $0.maxRounds = 2 }
        // Round 2's patch is round 1's first again: it applies only to the file as it was.
        XCTAssertEqual(played.rounds.map(\.verdict), [.patchFailed, .rejected])
        XCTAssertEqual(played.rounds.first?.steps, 2)
        XCTAssertEqual(tests.calls.count, 3, "the baseline and each round's first patch; the one that failed was not tested")
        let told = try messages(try chatBodies(server)[2]).last?.content ?? ""
        XCTAssertTrue(told.contains("could not be applied"), told)
        XCTAssertEqual(played.outcome.commits, [])
        XCTAssertEqual(try repo.revParse(played.outcome.ref), played.outcome.snapshot, "the run ref did not move")
        XCTAssertEqual(try userFiles(repo), before, "the user's work tree, index and HEAD are untouched")
    }

    func testTheModelSayingDoneWithoutAFixRollsTheRoundBack() async throws {
        let repo = try SampleProjects.pythonTwoModules()
        let before = try userFiles(repo)
        let server = try ScriptedSSEServer(replies: [
            reply(SampleProjects.shoutFix + "\n"),
            reply("DONE\n"),
            reply(SampleProjects.shoutFix + "\n"),
            reply("DONE\n"),
        ])
        defer { server.stop() }
        let tests = ScriptedTests([shoutFails, shoutFails, shoutFails], watching: ["strings.py"])

        let played = try await play(repo, server, tests) { $0.maxRounds = 2 }
        let round = try XCTUnwrap(played.rounds.first)
        XCTAssertEqual(round.verdict, .rejected)
        XCTAssertEqual(round.steps, 2)
        XCTAssertEqual(round.reason, "failing tests did not go down (1 before, 1 after) and the model had no further patch")
        XCTAssertEqual(try repo.revParse(played.outcome.ref), played.outcome.snapshot, "the run ref did not move")
        // Round 2's patch applies to the file as it was: round 1's patch was taken back.
        XCTAssertEqual(tests.calls[2].files["strings.py"], "def shout(text):\n    return text.upper()\n")
        XCTAssertEqual(played.rounds.map(\.verdict), [.rejected, .rejected])
        let bodies = try chatBodies(server)
        let third = try messages(bodies[2])
        XCTAssertTrue(third.last?.content.contains("rolled back") == true, third.last?.content ?? "")
        XCTAssertEqual(Array(third.prefix(try messages(bodies[1]).count)), try messages(bodies[1]),
                       "the next round goes on with the same conversation")
        XCTAssertEqual(try userFiles(repo), before, "the user's work tree, index and HEAD are untouched")
    }

    func testADeclineAfterAPatchThatDidNotHelpEndsTheRun() async throws {
        let repo = try SampleProjects.pythonTwoModules()
        let before = try userFiles(repo)
        let server = try ScriptedSSEServer(replies: [
            reply(SampleProjects.shoutFix + "\n"),
            reply("CANNOT FIX: the test wants a different language\n"),
            reply(SampleProjects.shoutFix + "\n"),
        ])
        defer { server.stop() }
        let tests = ScriptedTests([shoutFails, shoutFails, shoutFails], watching: ["strings.py"])

        let played = try await play(repo, server, tests) { $0.maxRounds = 3 }
        XCTAssertEqual(played.rounds.map(\.verdict), [.rejected])
        XCTAssertEqual(played.outcome.stopReason, "the model declined: the test wants a different language")
        XCTAssertEqual(try chatBodies(server).count, 2, "no round after the decline")
        XCTAssertEqual(try userFiles(repo), before, "the user's work tree, index and HEAD are untouched")
    }

    func testARoundAsksForNoMoreThanTheMostPatchesARoundAllows() async throws {
        let repo = try SampleProjects.pythonTwoModules()
        let before = try userFiles(repo)
        // The most file patches a round asks for, as documented.
        let limit = 8
        let notes = (1...limit + 1).map { number in
            reply("```diff\n--- /dev/null\n+++ b/notes/\(number).txt\n@@ -0,0 +1 @@\n+note \(number)\n```\n")
        }
        let server = try ScriptedSSEServer(replies: notes)
        defer { server.stop() }
        let tests = ScriptedTests(Array(repeating: shoutFails, count: limit + 1))

        let played = try await play(repo, server, tests) { $0.maxRounds = 1 }
        let round = try XCTUnwrap(played.rounds.first)
        XCTAssertEqual(round.verdict, .rejected)
        XCTAssertEqual(round.steps, limit)
        XCTAssertEqual(round.appliedFiles.count, limit)
        XCTAssertTrue(round.reason.hasSuffix("after \(limit) file patches, the most a round asks for"), round.reason)
        XCTAssertEqual(try chatBodies(server).count, limit)
        XCTAssertEqual(try repo.revParse(played.outcome.ref), played.outcome.snapshot)
        XCTAssertEqual(try userFiles(repo), before, "the user's work tree, index and HEAD are untouched")
    }

    // MARK: helpers

    /// A reply streamed a few characters a chunk, 10 ms apart; `later`, when given, follows
    /// `muchLater` seconds after the rest.
    private func reply(_ text: String, then later: String? = nil) -> ScriptedSSEServer.Reply {
        func pieces(_ text: String) -> [String] {
            stride(from: 0, to: text.count, by: 9).map { String(text.dropFirst($0).prefix(9)) }
        }
        let head = pieces(text)
        let events = ScriptedSSEServer.chatStreamEvents(head + (later.map(pieces) ?? []))
        let held = later == nil ? nil : 1 + head.count
        return .init(headers: [("Content-Type", "text/event-stream")],
                     chunks: events.enumerated().map { index, event in .init(event, delay: index == held ? muchLater : 0.01) })
    }

    private struct Message: Equatable {
        let role: String
        let content: String
    }

    private func chatBodies(_ server: ScriptedSSEServer) throws -> [[String: Any]] {
        server.recordedRequests.filter { $0.path.hasSuffix("/chat/completions") }.compactMap(\.jsonBody)
    }

    private func messages(_ body: [String: Any]) throws -> [Message] {
        let list = try XCTUnwrap(body["messages"] as? [[String: Any]])
        return list.map { Message(role: $0["role"] as? String ?? "", content: $0["content"] as? String ?? "") }
    }

    private struct Played {
        let outcome: RunOutcome
        let rounds: [RoundResult]
        let events: [RunEvent]

        /// The step numbers of the events of one kind (`round_started`, `tests_started`).
        func steps(of kind: String) -> [Int] {
            events.compactMap { event in
                guard case .step(let number, let inner) = event else { return nil }
                switch (kind, inner) {
                case ("round_started", .roundStarted), ("tests_started", .testsStarted): return number
                default: return nil
                }
            }
        }
    }

    private func play(_ repo: TestRepository, _ server: ScriptedSSEServer, _ tests: ScriptedTests,
                      adjust: (inout RepairSettings) -> Void = { _ in }) async throws -> Played {
        var flags = RepairFlags()
        flags.test = "python3 -m pytest -v"
        flags.endpoint = server.baseURL
        flags.model = "test-model"
        flags.sandbox = "none"
        flags.onePatchPerRequest = true
        var settings = try SettingsResolver(flags: flags, environment: Hermetic.environment, projectRoot: repo.url,
                                            config: { _ in nil }).resolve()
        adjust(&settings)
        let model = OpenAICompatibleClient(endpoint: ModelEndpoint(
            baseURL: server.baseURL, connectTimeout: 5, idleTimeout: 120, totalTimeout: 300, maxRetries: 0,
            retryBaseDelay: 0.05, maxRetryDelay: 1))
        let events = Locked<[RunEvent]>([])
        let loop = RepairLoop(repository: try Repository.discover(from: repo.url), settings: settings, model: model, tests: tests,
                              events: { event in events.withLock { $0.append(event) } })
        let scratchParent = try TemporaryDirectory(prefix: "autofix-onepatch-scratch")
        loop.scratchParent = scratchParent.url
        loop.hostEnvironment = Hermetic.environment
        let outcome = try await loop.run()
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: scratchParent.path), [], "the session was removed")
        let all = events.current
        let rounds = all.compactMap { event -> RoundResult? in
            if case .roundFinished(let result) = event { return result } else { return nil }
        }
        return Played(outcome: outcome, rounds: rounds, events: all)
    }

    private func userFiles(_ repo: TestRepository) throws -> [String: String] {
        try repo.fingerprint(excluding: [".git/objects", ".git/refs/autofix", ".git/refs/notes", ".git/autofix", ".git/logs"])
    }
}
