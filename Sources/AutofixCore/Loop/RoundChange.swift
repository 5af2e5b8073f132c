import AutofixGit
import AutofixTestReport

/// What the loop keeps, rolls back and records of a round: one reply (`RoundAttempt`), or
/// the requests of a round that asks for one file patch per request (`OnePatchRound`).
protocol RoundChange {
    var round: Int { get }
    /// Every path the round wrote or was about to write: what a rollback restores.
    var touched: [String] { get }
    /// The model's one-line summary of its change, for the commit subject.
    var summaryLine: String? { get }
    /// The reply the model is judged by: a decline, a repeat, a `DONE`.
    var reply: String { get }

    func result(_ verdict: RoundResult.Verdict, _ reason: String, after: TestReport?, newlyFailing: [String],
                commit: ObjectID?, tests: RoundTestSeconds?) -> RoundResult
    func transcript(_ result: RoundResult, tests: TestSummary?) -> RoundTranscript
}

extension RoundAttempt: RoundChange {}
