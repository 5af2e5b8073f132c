import AutofixSupport
import AutofixTestReport
import Foundation

/// Notices a run going round in circles, so that it stops instead of spending its rounds: the
/// same reply again, patches failing the same way twice in a row, and test runs that hit the time
/// limit round after round without progress (a suite that is merely slow repeats that every round).
struct RepeatWatch {
    let testTimeout: Double
    private var lastReply: String?
    private var lastPatchFailure: String?
    private var timeoutsWithoutProgress = 0

    init(testTimeout: Double) {
        self.testTimeout = testTimeout
    }

    /// Why the run should stop after `round`, or nil.
    mutating func stopReason(after round: PlayedRound) -> String? {
        let reply = round.reply.trimmingCharacters(in: .whitespacesAndNewlines)
        defer {
            lastReply = reply
            lastPatchFailure = round.patchFailure
        }
        if !reply.isEmpty, reply == lastReply {
            return "the model sent the same reply twice in a row"
        }
        if let failure = round.patchFailure, failure == lastPatchFailure {
            let first = failure.split(separator: "\n").first.map(String.init) ?? failure
            return "the model's patches failed the same way twice in a row: \(first)"
        }
        timeoutsWithoutProgress = round.tests?.timedOut == true && round.result.verdict != .accepted ? timeoutsWithoutProgress + 1 : 0
        if timeoutsWithoutProgress >= 2 {
            let running = round.tests?.running ?? []
            let named = running.isEmpty ? "" : " (still running: \(running.prefix(5).joined(separator: ", ")))"
            return "the tests hit the time limit of \(DurationText.format(testTimeout)) in two rounds in a row without progress\(named); "
                + "raise --test-timeout or give a faster test command"
        }
        return nil
    }
}

/// A round as the loop looks back at it.
struct PlayedRound {
    struct Tests {
        let timedOut: Bool
        /// Tests that had started and not finished when the run was cut short.
        let running: [String]

        init(timedOut: Bool, running: [String]) {
            self.timedOut = timedOut
            self.running = running
        }

        init(_ report: TestReport) {
            self.init(timedOut: report.timedOut, running: report.unfinishedTests)
        }
    }

    let result: RoundResult
    let reply: String
    /// What went wrong with the first edit that could not be used.
    let patchFailure: String?
    /// Nil when no tests ran in the round.
    let tests: Tests?
}
