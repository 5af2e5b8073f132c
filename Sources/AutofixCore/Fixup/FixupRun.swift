import AutofixGit
import AutofixModel
import AutofixSupport
import Foundation

/// What `git autofix fixup` says while it looks for the commit that broke the tests.
public enum FixupEvent: Sendable {
    case tested(ObjectID, subject: String, passed: Bool, remembered: Bool)
    case repairing(ObjectID, subject: String)
}

/// How a fixup ended.
public enum FixupOutcome: Sendable {
    /// The tests pass on the range's last commit.
    case allPass
    /// The tests already fail on the upstream commit.
    case upstreamFails(ObjectID)
    /// The run at the first failing commit, and the fixup commit when it kept a change.
    case repaired(failing: ObjectID, subject: String, run: RunOutcome, fix: FixupCommit?)
}

/// `git autofix fixup`: finds the first commit of a range whose tests fail while its parent's
/// pass, repairs at that commit, and records what the run kept as one `fixup!` commit on HEAD.
/// The user's branch, index and work tree are never written.
public final class FixupRun {
    let repository: Repository
    let settings: RepairSettings
    let model: ChatModel
    let tests: TestExecutor
    let events: (RunEvent) -> Void
    let progress: (FixupEvent) -> Void
    public var scratchParent: URL?
    public var interruptedBy: () -> String = { "Ctrl-C" }

    public init(repository: Repository, settings: RepairSettings, model: ChatModel, tests: TestExecutor,
                events: @escaping (RunEvent) -> Void, progress: @escaping (FixupEvent) -> Void) {
        self.repository = repository
        self.settings = settings
        self.model = model
        self.tests = tests
        self.events = events
        self.progress = progress
    }

    /// Looks through `range` (whose last commit is `head`, the tip of `branch`) and repairs.
    public func run(_ range: FixupRange, head: ObjectID, branch: String) async throws -> FixupOutcome {
        let tester = CommitTester(repository: repository, tests: tests, command: settings.testCommand, timeout: settings.testTimeout,
                                  reuse: settings.reuseResults, scratchParent: scratchParent)
        let search = FirstFailingCommit(upstream: range.upstream, commits: range.commits) { [repository, progress] commit in
            let result = try await tester.passes(commit)
            progress(.tested(commit, subject: try repository.commit(commit).summary, passed: result.passed,
                             remembered: result.remembered))
            return result.passed
        }
        switch try await search.find() {
        case .allPass: return .allPass
        case .upstreamFails: return .upstreamFails(range.upstream!)
        case .found(let failing):
            let subject = try repository.commit(failing).summary
            progress(.repairing(failing, subject: subject))
            let loop = RepairLoop(repository: repository, settings: settings, model: model, tests: tests, events: events)
            loop.start = .commit(failing, branch: branch)
            loop.scratchParent = scratchParent
            loop.interruptedBy = interruptedBy
            let outcome = try await loop.run()
            guard let tip = outcome.commits.last.flatMap(ObjectID.init(hex:)),
                  let snapshot = ObjectID(hex: outcome.snapshot) else {
                return .repaired(failing: failing, subject: subject, run: outcome, fix: nil)
            }
            let fix = try FixupCommit.make(in: repository, ref: outcome.ref, snapshot: snapshot, tip: tip,
                                           failing: failing, head: head, trailers: try trailers(of: outcome))
            return .repaired(failing: failing, subject: subject, run: outcome, fix: fix)
        }
    }

    /// The trailers a round's commit carries, for all the rounds the fixup commit holds.
    private func trailers(of outcome: RunOutcome) throws -> [(String, String)] {
        let rounds = try outcome.commits.compactMap { hex in
            try ObjectID(hex: hex).flatMap { try repository.commit($0).trailers["Autofix-Round"] }
        }
        let last = try ObjectID(hex: outcome.commits.last ?? "").map { try repository.commit($0).trailers } ?? [:]
        return [
            ("Autofix-Run", outcome.run),
            ("Autofix-Round", rounds.joined(separator: ", ")),
            ("Autofix-Model", last["Autofix-Model"] ?? TerminalSafeText.line(settings.model)),
            ("Autofix-Test-Command", last["Autofix-Test-Command"] ?? TerminalSafeText.line(settings.testCommand)),
            ("Autofix-Failing", "\(outcome.failingBefore) -> \(outcome.failingAfter)"),
        ]
    }
}
