@testable import AutofixCore
import AutofixGit
import AutofixTestSupport
import XCTest

/// What a run leaves on disk, written by the recorder alone: transcript lines for the events that
/// have one, a status record that lets a later command clean up after a killed run, and the note.
final class RunRecorderTests: XCTestCase {
    override class func setUp() {
        super.setUp()
        Hermetic.applyToCurrentProcess()
    }

    private struct Made {
        let repo: TestRepository
        let repository: Repository
        let recorder: RunRecorder
        let state: RunState
        let events: RecordedEvents
    }

    private func make() throws -> Made {
        let repo = try SampleProjects.pythonCalculator()
        var flags = RepairFlags()
        flags.test = "python3 -m pytest -v"
        flags.endpoint = "http://127.0.0.1:9/v1"
        flags.model = "scripted-model"
        flags.sandbox = "none"
        let settings = try SettingsResolver(flags: flags, environment: Hermetic.environment, projectRoot: repo.url,
                                            config: { _ in nil }).resolve()
        let repository = try Repository.discover(from: repo.url)
        let snapshot = try Snapshotter(repository: repository).snapshot()
        let events = RecordedEvents()
        let recorder = try RunRecorder(repository: repository, settings: settings, runID: snapshot.run.id, events: events.append)
        return Made(repo: repo, repository: repository, recorder: recorder, state: RunState(snapshot: snapshot, started: Date(), budget: ContextBudget.resolve(configured: nil, reported: nil, maxCompletionTokens: 2048)),
                    events: events)
    }

    private func transcriptKinds(_ made: Made) throws -> [String] {
        let file = RunStatusStore(repository: made.repository).directory(for: made.state.snapshot.run.id)
            .appendingPathComponent("transcript.jsonl")
        return try String(contentsOf: file, encoding: .utf8).split(separator: "\n").map { line in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            return object?["kind"] as? String ?? "?"
        }
    }

    private func status(_ made: Made) -> RunStatus? {
        RunStatusStore(repository: made.repository).read(made.state.snapshot.run.id)
    }

    func testEveryEventIsPassedOnAndOnlyTheRunsFactsReachTheTranscript() throws {
        let made = try make()
        let summary = TestSummary(framework: "pytest", failing: 2, passing: 1, failingTests: ["a", "b"], exitCode: 1,
                                  timedOut: false, seconds: 0.1, note: nil)
        made.recorder.record(.warning("a large file"))
        made.recorder.record(.dependenciesCopied(paths: [".venv"]))
        made.recorder.record(.baseline(summary))
        made.recorder.record(.roundStarted(round: 1, promptCharacters: 10, promptTokens: 3))
        made.recorder.record(.modelText(round: 1, text: "Summary: x"))
        made.recorder.recordError("the reply ran out of time")

        XCTAssertEqual(made.events.names, ["warning", "dependenciesCopied", "baseline", "roundStarted", "modelText"])
        XCTAssertEqual(try transcriptKinds(made), ["dependencies", "baseline", "error"])
    }

    func testARunningRecordNamesWhatACleanupNeedsAndTheEndClearsIt() throws {
        let made = try make()
        var state = made.state
        state.scratchRoot = URL(fileURLWithPath: "/tmp/git-autofix-ABC")
        try made.recorder.markRunning(state)
        let running = try XCTUnwrap(status(made))
        XCTAssertEqual(running.status, RunStatus.running)
        XCTAssertEqual(running.process?.pid, getpid())
        XCTAssertEqual(running.scratchRoot, "/tmp/git-autofix-ABC")
        XCTAssertNotNil(running.cgroupParents)
        XCTAssertEqual(running.testCommand, "python3 -m pytest -v")
        XCTAssertEqual(running.model, "scripted-model")

        state.rounds = 1
        let outcome = RunOutcome(status: .failing, stopReason: "the model declined: no", run: state.snapshot.run.id,
                                 ref: state.snapshot.run.ref, snapshot: state.snapshot.commit.hex, commits: [], rounds: 1,
                                 failingBefore: 0, failingAfter: 0, seconds: 1, promptTokens: nil, completionTokens: nil,
                                 hadLocalChanges: false)
        try made.recorder.finish(outcome, state: state)
        let ended = try XCTUnwrap(status(made))
        XCTAssertEqual(ended.status, "failing")
        XCTAssertNil(ended.process, "an ended run is nobody's to clean up")
        XCTAssertNil(ended.scratchRoot)
        XCTAssertNil(ended.cgroupParents)
        XCTAssertEqual(ended.rounds, 1)
        XCTAssertEqual(try transcriptKinds(made), ["outcome"])
        XCTAssertEqual(made.events.names, ["finished"], "the user hears of the end once it is recorded")
        XCTAssertEqual(try made.repository.note(on: state.tip), """
            git autofix run \(state.snapshot.run.id)
            status: failing (the model declined: no)
            test command: python3 -m pytest -v
            model: scripted-model at http://127.0.0.1:9/v1
            rounds: 1, accepted commits: 0

            """)
    }

    func testAFailedRunKeepsItsErrorInTheStatusTheTranscriptAndTheNote() throws {
        let made = try make()
        made.recorder.failed(ScriptExhausted(description: "no reply"), state: made.state)
        XCTAssertEqual(status(made)?.status, "error")
        XCTAssertNil(status(made)?.process)
        XCTAssertEqual(try transcriptKinds(made), ["error"])
        XCTAssertEqual(try made.repository.note(on: made.state.tip)?.hasPrefix("git autofix run \(made.state.snapshot.run.id)\ntest command:"), true)
        XCTAssertEqual(made.events.names, [], "the caller throws the error; no event says it twice")
    }
}

private final class RecordedEvents: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [RunEvent] = []

    func append(_ event: RunEvent) { lock.withLock { events.append(event) } }

    var names: [String] {
        lock.withLock { events.map { String(String(describing: $0).prefix { $0 != "(" }) } }
    }
}
