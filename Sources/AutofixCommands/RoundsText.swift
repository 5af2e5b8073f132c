import AutofixCore
import AutofixSupport
import Foundation

/// How `show` prints the rounds a run's transcript kept. Everything in it came from the model or
/// the tests, so every line is made safe for the terminal.
enum RoundsText {
    static func line(_ round: RoundTranscript, terminal: Terminal) -> String {
        let result = round.result
        let failing = result.failingAfter.map { "failing \(result.failingBefore) → \($0)" } ?? "failing \(result.failingBefore), no test run"
        let verdict: String
        switch result.verdict {
        case .accepted: verdict = terminal.paint("accepted", .green)
        case .rejected: verdict = terminal.paint("rolled back", .yellow)
        case .patchFailed: verdict = terminal.paint("patch failed", .red)
        case .noEdit: verdict = terminal.paint("no edit", .yellow)
        }
        let commit = result.commit.map { ", commit \(String($0.prefix(10)))" } ?? ""
        let line = "  round \(result.round): \(verdict), \(failing)\(commit) (\(DurationText.format(result.seconds)))"
        return ([line] + (result.candidates ?? []).map(candidateLine) + (round.steps ?? []).map(stepLine)).joined(separator: "\n")
    }

    /// A request of a round that asked for one file patch per request, with the tests of the patches so far.
    private static func stepLine(_ step: StepTranscript) -> String {
        let patch = step.patches.first.map { "\($0.path ?? "(no path)") \($0.result)" } ?? "no patch"
        let tests = step.tests.map { ", then failing \($0.failing)" } ?? ""
        return "    request \(step.step): \(patch.terminalSafeLine)\(tests)"
    }

    /// A candidate of a round that asked for several, with the ref a losing one is kept on.
    private static func candidateLine(_ candidate: CandidateOutcome) -> String {
        let failing = candidate.failingAfter.map { ", failing \($0)" } ?? ""
        let kept = candidate.ref.map { ", kept on \($0.terminalSafeLine)" } ?? ""
        return "    candidate \(candidate.candidate) (seed \(candidate.seed), temperature \(candidate.temperature)): "
            + "\(candidate.verdict.rawValue.replacingOccurrences(of: "_", with: " "))\(failing), \(candidate.changedLines) lines changed\(kept)"
    }

    static func detail(_ round: RoundTranscript, run: String) -> String {
        let result = round.result
        var lines = ["    reason: \(result.reason.terminalSafeLine)"]
        for patch in round.patches {
            let detail = patch.detail.map { ": \($0.terminalSafeLine)" } ?? ""
            lines.append("    patch \(patch.path?.terminalSafeLine ?? "(no path)"): \(patch.result.terminalSafeLine)\(detail)")
        }
        if let tests = round.tests {
            lines.append("    tests (\(tests.framework.terminalSafeLine)): \(tests.failing) failing, \(tests.passing) passing\(tests.timedOut ? ", timed out" : "") in \(DurationText.format(tests.seconds))")
            for name in tests.failingTests.prefix(10) { lines.append("      \(name.terminalSafeLine)") }
            if tests.failingTests.count > 10 { lines.append("      … and \(tests.failingTests.count - 10) more") }
        }
        if !result.newlyFailing.isEmpty {
            lines.append("    newly failing: \(result.newlyFailing.map(\.terminalSafeLine).joined(separator: ", "))")
        }
        var timing = "    model \(DurationText.format(result.modelSeconds))"
        if let first = result.timeToFirstToken { timing += " (first token after \(DurationText.format(first)))" }
        if let tests = result.testSeconds {
            timing += ", tests \(DurationText.format(tests))"
            if let targeted = result.targetedTestSeconds {
                let full = result.fullTestSeconds.map { ", whole suite \(DurationText.format($0))" } ?? ", whole suite not run"
                timing += " (failing tests alone \(DurationText.format(targeted))\(full))"
            }
        }
        if let prompt = result.promptTokens, let completion = result.completionTokens {
            timing += ", tokens \(prompt) prompt, \(completion) completion"
        }
        lines.append(timing)
        lines.append("    reply: git autofix show \(ShellWord.quoted(run.terminalSafeLine)) --reply \(result.round)")
        return lines.joined(separator: "\n") + "\n"
    }

    static func reply(_ number: Int, in rounds: [RoundTranscript], run: String) throws -> String {
        guard let round = rounds.first(where: { $0.round == number }) else {
            let played = rounds.isEmpty ? "it has no rounds on record" : "its rounds are 1 to \(rounds.map(\.round).max() ?? 0)"
            throw UsageError("run \(run) has no round \(number): \(played)", hint: "`git autofix show \(run) --rounds` lists them")
        }
        return round.reply.hasSuffix("\n") ? round.reply : round.reply + "\n"
    }
}
