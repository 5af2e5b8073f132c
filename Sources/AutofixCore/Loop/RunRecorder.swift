import AutofixGit
import AutofixModel
import AutofixSandbox
import AutofixSupport
import Foundation

/// Everything a run leaves besides its commits, kept in one place. The loop hands it each event
/// and the few facts only the transcript keeps; it passes the events on to whoever shows them and
/// writes the run's transcript, its status record and the note on its last commit.
final class RunRecorder {
    private let repository: Repository
    private let settings: RepairSettings
    private let runID: String
    private let statusStore: RunStatusStore
    private let transcript: RunTranscript
    private let events: (RunEvent) -> Void

    init(repository: Repository, settings: RepairSettings, runID: String, events: @escaping (RunEvent) -> Void) throws {
        self.repository = repository
        self.settings = settings
        self.runID = runID
        statusStore = RunStatusStore(repository: repository)
        transcript = try RunTranscript(directory: statusStore.directory(for: runID))
        self.events = events
    }

    /// Passes `event` on; the transcript keeps the run's header, its baseline and what was copied in.
    func record(_ event: RunEvent) {
        events(event)
        switch event {
        case .started(let header):
            transcript.record("header", header)
        case .baseline(let summary):
            transcript.record("baseline", summary)
        case .baselineRechecked(let summary, let reason):
            transcript.record("baseline_rechecked", BaselineRecheck(reason: reason, baseline: summary))
        case .dependenciesCopied(let paths):
            transcript.record("dependencies", ["copied_from_work_tree": paths])
        case .warning, .scratchKept, .roundStarted, .modelText, .patchApplied, .patchRejected, .streamCancelled, .testsStarted,
             .candidate, .step:
            break
        case .roundFinished, .finished:
            assertionFailure("a round and the outcome carry more than their event: use recordRound(_:) and finish(_:state:)")
        }
    }

    /// The round as the transcript keeps it, then its result to whoever shows it.
    func recordRound(_ round: RoundTranscript) {
        transcript.record("round", round)
        events(.roundFinished(round.result))
    }

    func saveTestOutput(_ output: String, round: Int) {
        transcript.saveTestOutput(output, round: round)
    }

    /// A failure the run survives (a reply cut off by the time budget): the transcript keeps it.
    func recordError(_ message: String) {
        transcript.record("error", ["message": message])
    }

    /// The status record says the run is going on, with what a later command needs to clean up
    /// after it if its process dies: the process, the scratch directory, the cgroup parents.
    func markRunning(_ state: RunState) throws {
        try statusStore.write(status(state, RunStatus.running), for: runID)
    }

    /// The run ended: the outcome goes into the transcript, the status record and the note,
    /// then to whoever shows it.
    func finish(_ outcome: RunOutcome, state: RunState) throws {
        transcript.record("outcome", outcome)
        try statusStore.write(status(state, outcome.status.rawValue), for: runID)
        try writeNote(state, outcome: outcome)
        events(.finished(outcome))
    }

    /// The scratch session could not be made: nothing ran, so only the status record says so.
    func setUpFailed(_ state: RunState) {
        try? statusStore.write(status(state, "error"), for: runID)
    }

    /// The run stops on `error`, which the caller throws on; what it did so far stays recorded.
    func failed(_ error: Error, state: RunState) {
        try? statusStore.write(status(state, "error"), for: runID)
        transcript.record("error", ["message": String(describing: error)])
        try? writeNote(state)
    }

    private func status(_ state: RunState, _ text: String) -> RunStatus {
        var record = RunStatus(status: text, testCommand: settings.testCommand, model: settings.model,
                               failingBefore: state.baseline?.failingCount, failingAfter: state.accepted?.failingCount, rounds: state.rounds)
        if text == RunStatus.running {
            record.process = ProcessIdentity.current()
            record.scratchRoot = state.scratchRoot?.path
            record.cgroupParents = LeftoverResourceGroups.parents()
        }
        return record
    }

    private func writeNote(_ state: RunState, outcome: RunOutcome? = nil) throws {
        var lines = ["git autofix run \(state.snapshot.run.id)"]
        if let outcome { lines.append("status: \(outcome.status.rawValue) (\(outcome.stopReason))") }
        lines.append("test command: \(settings.testCommand)")
        lines.append("model: \(settings.model) at \(ModelEndpoint.redacted(settings.endpoint))")
        lines.append("rounds: \(state.rounds), accepted commits: \(state.commits.count)")
        if let before = state.baseline?.failingCount, let after = state.accepted?.failingCount {
            lines.append("failing: \(before) -> \(after)")
        }
        try repository.addNote(lines.joined(separator: "\n") + "\n", to: state.tip)
    }
}

/// The transcript's record of a reused baseline run again in the sandbox.
struct BaselineRecheck: Encodable {
    let reason: String
    let baseline: TestSummary
}
