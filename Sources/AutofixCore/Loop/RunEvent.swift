import Foundation

/// What a run reports while it works: the terminal renders these, `--json` prints one per line.
public enum RunEvent: Sendable {
    case started(RunHeader)
    /// Something the user should know that does not stop the run (a large file stored, say).
    case warning(String)
    /// Ignored paths copied from the work tree into the scratch checkout (fetched dependencies).
    case dependenciesCopied(paths: [String])
    /// `--keep-scratch`: where the host's checkout and the sandbox's view of it stay.
    case scratchKept(checkout: String, sandbox: String)
    case baseline(TestSummary)
    /// A baseline taken from another environment (the pre-push hook's, on the host) did not hold
    /// in the sandbox: a round showed failing what it had passing. The baseline was run again
    /// in the sandbox, and rounds are judged against this.
    case baselineRechecked(TestSummary, reason: String)
    /// `promptTokens`: the request's estimated tokens, which stay within the run's budget.
    case roundStarted(round: Int, promptCharacters: Int, promptTokens: Int)
    case modelText(round: Int, text: String)
    case patchApplied(round: Int, path: String, strategies: [String])
    case patchRejected(round: Int, path: String?, reason: String)
    case streamCancelled(round: Int, reason: String)
    /// A test run on the reply's patches so far: `files`, the files they applied to, in order.
    case testsStarted(round: Int, files: [String])
    /// An event of one candidate of a round that asked for several replies at once.
    indirect case candidate(Int, RunEvent)
    /// An event of one request of a round that asks for one file patch per request.
    indirect case step(Int, RunEvent)
    case roundFinished(RoundResult)
    case finished(RunOutcome)
}

public struct RunHeader: Codable, Sendable {
    public let run: String
    public let ref: String
    public let repository: String
    public let branch: String
    public let base: String?
    public let testCommand: String
    public let testCommandSource: String
    public let model: String
    public let endpoint: String
    public let sandbox: String
    public let maxRounds: Int
    public let editFormat: String
    /// The model's context window in tokens, where it came from (configured, reported by the
    /// server, default), and the estimated tokens a request may hold within it.
    public let contextWindow: Int
    public let contextWindowSource: String
    public let promptBudget: Int
    /// How the run's session started: "reused", "new" or "fresh (reason)" (see `WarmStart`).
    public let warmBuild: String
}

/// A test run reduced to what the user and the acceptance rule look at.
public struct TestSummary: Codable, Sendable, Equatable {
    public let framework: String
    public let failing: Int
    public let passing: Int
    public let failingTests: [String]
    public let exitCode: Int32?
    public let timedOut: Bool
    public let seconds: Double
    public let note: String?
    /// A baseline that is a stored result rather than a new run: whose and when.
    public var reusedFrom: ReusedResult? = nil

    public var allPassed: Bool { failing == 0 && !timedOut }
}

/// Where a reused test result came from.
public struct ReusedResult: Codable, Sendable, Equatable {
    /// `pre-push hook`, `doctor`, `fixup` or `run <id>`.
    public let by: String
    public let at: Date
    /// `host` for the pre-push hook's runs, else the sandbox's settings.
    public let environment: String
}

public struct RoundResult: Codable, Sendable {
    public enum Verdict: String, Codable, Sendable {
        /// Tests improved: committed.
        case accepted
        /// Applied, but tests did not improve (or got worse): rolled back.
        case rejected
        /// A patch did not apply or was unsafe: rolled back, no test run.
        case patchFailed = "patch_failed"
        /// The reply held no edit.
        case noEdit = "no_edit"
    }

    public let round: Int
    public let verdict: Verdict
    public let reason: String
    public let appliedFiles: [String]
    public let failingBefore: Int
    public let failingAfter: Int?
    public let newlyFailing: [String]
    public let commit: String?
    public let seconds: Double
    public let modelSeconds: Double
    /// Both test runs together: the targeted one and the whole suite, when they ran.
    public let testSeconds: Double?
    /// The run of only the tests that failed before.
    public let targetedTestSeconds: Double?
    /// The run of the whole suite; nil when the targeted run rejected the patch alone.
    public let fullTestSeconds: Double?
    public let timeToFirstToken: Double?
    public let promptTokens: Int?
    public let completionTokens: Int?
    /// With several candidates: the one whose reply this round kept or was told about.
    public var candidate: Int? = nil
    /// With several candidates: what became of each, in their order.
    public var candidates: [CandidateOutcome]? = nil
    /// With one file patch per request: how many requests the round made.
    public var steps: Int? = nil
}

/// One candidate of a round: how it was asked for and how its reply did.
public struct CandidateOutcome: Codable, Sendable {
    public enum Verdict: String, Codable, Sendable {
        /// The best improving reply: the round's commit.
        case accepted
        /// Improving, but another candidate did better: kept on `ref`.
        case outdone
        /// Tested, and the tests did not improve: kept on `ref`.
        case notImproving = "not_improving"
        case patchFailed = "patch_failed"
        case noEdit = "no_edit"
    }

    public let candidate: Int
    public let seed: Int
    public let temperature: Double
    public let verdict: Verdict
    public let appliedFiles: [String]
    public let failingAfter: Int?
    /// Lines the reply's patches added and removed.
    public let changedLines: Int
    /// Where a candidate that lost is kept, for review.
    public let ref: String?
}

public struct RunOutcome: Codable, Sendable {
    public enum Status: String, Codable, Sendable {
        /// All tests pass at the end.
        case fixed
        /// Tests passed before the run started; nothing to do.
        case alreadyPassing = "already_passing"
        /// Still failing (with or without accepted commits).
        case failing
        case interrupted
    }

    public let status: Status
    /// Why the run stopped: all tests pass, max rounds, time budget, model declined, Ctrl-C.
    public let stopReason: String
    public let run: String
    public let ref: String
    public let snapshot: String
    public let commits: [String]
    public let rounds: Int
    public let failingBefore: Int
    public let failingAfter: Int
    public let seconds: Double
    /// Token totals, nil when the server never reported usage (llama.cpp's server does not).
    public let promptTokens: Int?
    public let completionTokens: Int?
    /// The work tree had uncommitted changes when the run started (and, since a run never
    /// writes it, still has them): `git cherry-pick` of the run's commits would refuse there.
    public let hadLocalChanges: Bool
}

/// How long a round's test runs took.
public struct RoundTestSeconds: Sendable, Equatable {
    public let targeted: Double?
    public let full: Double?

    public var total: Double { (targeted ?? 0) + (full ?? 0) }
}
