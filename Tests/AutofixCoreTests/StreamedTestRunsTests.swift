import AutofixBenchSupport
import AutofixCore
import AutofixGit
import AutofixModel
import AutofixTestSupport
import XCTest

/// Tests while the model writes: a reply streamed from a real loopback server, one chunk at a
/// time, each applied file patch starting a test run on the patches so far.
final class StreamedTestRunsTests: XCTestCase {
    private let shoutFails = ScriptedTests.Run.pytest(file: "test_all.py", passing: ["test_double"], failing: ["test_shout"])
    private let allPass = ScriptedTests.Run.pytest(file: "test_all.py", passing: ["test_double", "test_shout"], failing: [])

    /// A change to mathutil.py that the tests do not see.
    private let doubleComment = """
        ```diff
        --- a/mathutil.py
        +++ b/mathutil.py
        @@ -1,2 +1,3 @@
        +# doubles, one day
         def double(n):
             return n + 2
        ```
        """

    override class func setUp() {
        super.setUp()
        Hermetic.applyToCurrentProcess()
    }

    func testAPassingFirstPatchEndsTheReplyAndTheRoundKeepsOnlyThatPatch() async throws {
        let repo = try SampleProjects.pythonTwoModules()
        let before = try userFiles(repo)
        // The second patch would come long after the first one's tests passed.
        let server = try ScriptedSSEServer(replies: [reply(first: SampleProjects.shoutFix, then: doubleComment, after: 30)])
        defer { server.stop() }
        let tests = ScriptedTests([shoutFails, allPass], watching: ["strings.py", "mathutil.py"])

        let played = try await play(repo, server, tests)
        XCTAssertEqual(played.outcome.status, .fixed)
        XCTAssertEqual(played.rounds.map(\.verdict), [.accepted])
        XCTAssertEqual(played.rounds.first?.appliedFiles, ["strings.py"])
        XCTAssertEqual(played.started, [["strings.py"]])
        XCTAssertEqual(played.cancelled, ["the tests already passed"])
        XCTAssertTrue(server.waitUntilIdle())
        XCTAssertEqual(server.connections.last?.clientLeftEarly, true, "the rest of the reply was not read")

        let ref = played.outcome.ref
        XCTAssertEqual(try repo.git("show", "\(ref):strings.py"), "def shout(text):\n    return text.upper()\n")
        XCTAssertEqual(try repo.git("show", "\(ref):mathutil.py"), "def double(n):\n    return n + 2\n")
        XCTAssertEqual(try repo.git("diff", "--name-only", "\(ref)^", ref), "strings.py\n")
        XCTAssertEqual(tests.calls.count, 2)
        XCTAssertEqual(tests.calls[1].files["strings.py"], "def shout(text):\n    return text.upper()\n")
        XCTAssertEqual(try userFiles(repo), before, "the user's work tree, index and HEAD are untouched")
    }

    func testWhenTheLastPatchIsTheFixTheRunOnTheCompleteReplyDecides() async throws {
        let repo = try SampleProjects.pythonTwoModules()
        let before = try userFiles(repo)
        let server = try ScriptedSSEServer(replies: [reply(first: doubleComment, then: SampleProjects.shoutFix, after: 0.5)])
        defer { server.stop() }
        let tests = ScriptedTests([shoutFails, shoutFails, allPass], watching: ["strings.py", "mathutil.py"])

        let played = try await play(repo, server, tests)
        XCTAssertEqual(played.outcome.status, .fixed)
        XCTAssertEqual(played.rounds.map(\.verdict), [.accepted])
        XCTAssertEqual(played.rounds.first?.appliedFiles, ["mathutil.py", "strings.py"])
        XCTAssertEqual(played.started, [["mathutil.py"], ["mathutil.py", "strings.py"]])
        // The complete reply's run may pass before the reply's last chunk: only that may end it.
        XCTAssertTrue(played.cancelled.allSatisfy { $0 == "the tests already passed" }, "\(played.cancelled)")

        XCTAssertEqual(tests.calls.count, 3)
        XCTAssertEqual(tests.calls[1].files["strings.py"], "def shout(text):\n    return text.lower()\n",
                       "the first prefix's run saw the first patch only")
        XCTAssertEqual(tests.calls[1].files["mathutil.py"], "# doubles, one day\ndef double(n):\n    return n + 2\n")
        XCTAssertNotEqual(tests.calls[1].directory, tests.calls[2].directory, "each prefix has a view of its own")
        XCTAssertEqual(tests.calls[2].files["strings.py"], "def shout(text):\n    return text.upper()\n")
        XCTAssertEqual(try repo.git("diff", "--name-only", "\(played.outcome.ref)^", played.outcome.ref), "mathutil.py\nstrings.py\n")
        XCTAssertEqual(try userFiles(repo), before, "the user's work tree, index and HEAD are untouched")
    }

    // MARK: helpers

    /// A reply in two fenced patches: `first` at once, `second` `seconds` later, a few characters a chunk.
    private func reply(first: String, then second: String, after seconds: Double) -> ScriptedSSEServer.Reply {
        func pieces(_ text: String) -> [String] {
            stride(from: 0, to: text.count, by: 9).map { start in
                String(text.dropFirst(start).prefix(9))
            }
        }
        let head = pieces("Summary: fix shout\n\n" + first + "\n\n")
        let events = ScriptedSSEServer.chatStreamEvents(head + pieces(second + "\n"))
        // The role chunk and the first patch's chunks go at once; the rest waits.
        let firstLater = 1 + head.count
        return .init(headers: [("Content-Type", "text/event-stream")],
                     chunks: events.enumerated().map { index, event in .init(event, delay: index == firstLater ? seconds : 0) })
    }

    private struct Played {
        let outcome: RunOutcome
        let rounds: [RoundResult]
        let started: [[String]]
        let cancelled: [String]
    }

    private func play(_ repo: TestRepository, _ server: ScriptedSSEServer, _ tests: ScriptedTests) async throws -> Played {
        var flags = RepairFlags()
        flags.test = "python3 -m pytest -v"
        flags.endpoint = server.baseURL
        flags.model = "test-model"
        flags.sandbox = "none"
        let settings = try SettingsResolver(flags: flags, environment: Hermetic.environment, projectRoot: repo.url,
                                            config: { _ in nil }).resolve()
        let model = OpenAICompatibleClient(endpoint: ModelEndpoint(
            baseURL: server.baseURL, connectTimeout: 5, idleTimeout: 60, totalTimeout: 120, maxRetries: 0,
            retryBaseDelay: 0.05, maxRetryDelay: 1))
        let events = Events()
        let loop = RepairLoop(repository: try Repository.discover(from: repo.url), settings: settings, model: model, tests: tests,
                              events: { events.append($0) })
        let scratchParent = try TemporaryDirectory(prefix: "autofix-streamed-scratch")
        loop.scratchParent = scratchParent.url
        loop.hostEnvironment = Hermetic.environment
        let outcome = try await loop.run()
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: scratchParent.path), [], "the session was removed")
        return Played(outcome: outcome, rounds: events.rounds, started: events.testsStarted, cancelled: events.cancelled)
    }

    private func userFiles(_ repo: TestRepository) throws -> [String: String] {
        try repo.fingerprint(excluding: [".git/objects", ".git/refs/autofix", ".git/refs/notes", ".git/autofix", ".git/logs"])
    }
}

private final class Events: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [RunEvent] = []

    func append(_ event: RunEvent) { lock.withLock { events.append(event) } }

    var rounds: [RoundResult] {
        lock.withLock { events.compactMap { if case .roundFinished(let result) = $0 { return result } else { return nil } } }
    }

    var testsStarted: [[String]] {
        lock.withLock { events.compactMap { if case .testsStarted(_, let files) = $0 { return files } else { return nil } } }
    }

    var cancelled: [String] {
        lock.withLock { events.compactMap { if case .streamCancelled(_, let reason) = $0 { return reason } else { return nil } } }
    }
}
