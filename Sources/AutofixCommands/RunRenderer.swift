import AutofixCore
import AutofixGit
import AutofixSupport
import Foundation

protocol RunRenderer: Sendable {
    func render(_ event: RunEvent)
}

/// Human output: a header, the model's reply as it streams (diff lines colored on a terminal),
/// one line per round, and a summary with the commands to review the result.
final class TextRunRenderer: RunRenderer, @unchecked Sendable {
    private let terminal: Terminal
    private let lock = NSLock()
    private var reply = StreamedLines()

    init(terminal: Terminal) {
        self.terminal = terminal
    }

    func render(_ event: RunEvent) {
        lock.lock()
        defer { lock.unlock() }
        show(event)
    }

    /// The header's `warm_build` in words.
    static func warmText(_ warmBuild: String) -> String {
        switch warmBuild {
        case "reused": return "warm, from where the last run left its build"
        case "new": return "warm place made now (later runs start from its build)"
        default: return warmBuild
        }
    }

    private func show(_ event: RunEvent) {
        switch event {
        case .candidate(let number, .modelText(let round, let text)):
            flushLine()
            terminal.out(terminal.paint("  candidate \(number):", .bold))
            show(.modelText(round: round, text: text))
            flushLine()
        case .candidate(let number, .testsStarted):
            terminal.out(terminal.paint("  running tests on candidate \(number)...", .dim))
        case .candidate(_, let inner):
            show(inner)
        case .step(let number, .roundStarted(let round, let characters, let tokens)):
            if number == 1 { show(.roundStarted(round: round, promptCharacters: characters, promptTokens: tokens)) }
            flushLine()
            terminal.out(terminal.paint("  request \(number) for one file patch (prompt ~\(tokens) tokens)", .dim))
        case .step(_, let inner):
            show(inner)
        case .started(let header):
            terminal.out(terminal.paint("git autofix", .bold) + " run \(terminal.paint(header.run, .yellow))")
            terminal.out("  repository:   \(header.repository.terminalSafeLine) (\(header.branch.terminalSafeLine) at \(header.base.map { String($0.prefix(10)) } ?? "no commits yet"))")
            terminal.out("  test command: \(header.testCommand.terminalSafeLine)  (\(header.testCommandSource.terminalSafeLine))")
            terminal.out("  model:        \(header.model.terminalSafeLine) at \(header.endpoint.terminalSafeLine)")
            terminal.out("  sandbox:      \(header.sandbox), up to \(header.maxRounds) rounds, \(header.editFormat) edits")
            terminal.out("  build:        \(Self.warmText(header.warmBuild).terminalSafeLine)")
            terminal.out("Testing the snapshot (or taking a result stored for its tree)...")
        case .warning(let message):
            terminal.err("warning: \(message.terminalSafe)")
        case .dependenciesCopied(let paths):
            terminal.out("Copied from your work tree, since the sandbox cannot fetch: \(paths.joined(separator: ", ").terminalSafeLine)")
        case .scratchKept(let checkout, let sandbox):
            terminal.out("Keeping the scratch checkout: \(checkout.terminalSafeLine) (the tests run in \(sandbox.terminalSafeLine))")
        case .baseline(let summary):
            if let reused = summary.reusedFrom {
                terminal.out("Baseline: reused from \(TestResultSource.described(reused.by).terminalSafeLine) at \(ReusedTime.text(reused.at)) (no new test run): \(describe(summary))")
            } else {
                terminal.out("Baseline: \(describe(summary))")
            }
        case .baselineRechecked(let summary, let reason):
            terminal.out("  \(reason.terminalSafeLine); the baseline ran again in the sandbox: \(describe(summary))")
        case .roundStarted(let round, _, let tokens):
            terminal.out()
            terminal.out(terminal.paint("Round \(round)", .bold) + terminal.paint("  (prompt ~\(tokens) tokens)", .dim))
        case .modelText(_, let text):
            streamText(text)
        case .patchApplied(_, let path, let strategies):
            flushLine()
            let how = strategies.allSatisfy { $0.contains("exact") } || strategies.isEmpty ? "" : " (\(strategies.joined(separator: ", ")))"
            terminal.out(terminal.paint("  ✓ applied \(path.terminalSafeLine)\(how)", .green))
        case .patchRejected(_, let path, let reason):
            flushLine()
            let firstLine = String(reason.split(separator: "\n").first ?? "")
            terminal.out(terminal.paint("  ✗ \((path ?? "edit").terminalSafeLine) not applied: \(firstLine.terminalSafeLine)", .red))
        case .streamCancelled(_, let reason):
            flushLine()
            terminal.out(terminal.paint("  stream stopped: \(reason.terminalSafeLine)", .dim))
        case .testsStarted:
            flushLine()
            terminal.out(terminal.paint("  running tests...", .dim))
        case .roundFinished(let result):
            flushLine()
            terminal.out(roundLine(result))
        case .finished(let outcome):
            flushLine()
            summary(outcome)
        }
    }

    private func streamText(_ text: String) {
        for line in reply.append(text) {
            let withoutNewline = line.hasSuffix("\n") ? String(line.dropLast()) : line
            terminal.out("  │ " + colorDiffLine(withoutNewline.terminalSafe))
        }
    }

    private func flushLine() {
        if let rest = reply.takeRest() {
            terminal.out("  │ " + colorDiffLine(rest.terminalSafe))
        }
    }

    private func colorDiffLine(_ line: String) -> String {
        if line.hasPrefix("+++") || line.hasPrefix("---") { return terminal.paint(line, .bold) }
        if line.hasPrefix("+") { return terminal.paint(line, .green) }
        if line.hasPrefix("-") { return terminal.paint(line, .red) }
        if line.hasPrefix("@@") { return terminal.paint(line, .cyan) }
        return line
    }

    private func describe(_ summary: TestSummary) -> String {
        var text = summary.allPassed ? "all \(summary.passing) tests pass" : "\(summary.failing) failing, \(summary.passing) passing"
        if summary.timedOut { text += " (timed out)" }
        text += " [\(summary.framework), \(DurationText.format(summary.seconds))]"
        if let note = summary.note { text += " — \(note)" }
        if !summary.failingTests.isEmpty && summary.failing <= 8 { text += "\n  failing: " + summary.failingTests.joined(separator: ", ") }
        return text.terminalSafe
    }

    private func roundLine(_ result: RoundResult) -> String {
        var files = result.appliedFiles.isEmpty ? "" : " \(result.appliedFiles.joined(separator: ", ").terminalSafeLine)"
        if let candidate = result.candidate, let count = result.candidates?.count {
            files = " candidate \(candidate) of \(count)" + (files.isEmpty ? "" : ":" + files)
        }
        if let steps = result.steps {
            files += " (\(steps) request\(steps == 1 ? "" : "s"))"
        }
        var tokens = ""
        if let completion = result.completionTokens { tokens = ", \(completion) tokens" }
        let timing = "\(DurationText.format(result.seconds))\(tokens)"
        switch result.verdict {
        case .accepted:
            return terminal.paint("  accepted", .green) + "\(files): failing \(result.failingBefore) → \(result.failingAfter ?? 0), committed \(result.commit.map { String($0.prefix(10)) } ?? "") (\(timing))"
        case .rejected:
            return terminal.paint("  rolled back", .yellow) + "\(files): \(result.reason.terminalSafeLine) (\(timing))"
        case .patchFailed:
            return terminal.paint("  patch failed", .red) + ": the explanation went back to the model (\(timing))"
        case .noEdit:
            return terminal.paint("  no edit", .yellow) + ": \(result.reason.terminalSafeLine) (\(timing))"
        }
    }

    private func summary(_ outcome: RunOutcome) {
        printHeadline(outcome)
        reviewCommands(outcome)
    }

    /// The outcome's first lines without the commands that follow, for callers that print their own.
    func headline(_ outcome: RunOutcome) {
        lock.lock()
        defer { lock.unlock() }
        printHeadline(outcome)
    }

    private func printHeadline(_ outcome: RunOutcome) {
        terminal.out()
        let headline: String
        switch outcome.status {
        case .fixed: headline = terminal.paint("All tests pass", .green)
        case .alreadyPassing: headline = terminal.paint("All tests already pass: nothing to fix", .green)
        // Failing with no failing test: a task given in words that no accepted change finished.
        case .failing: headline = terminal.paint(outcome.failingAfter == 0 ? "Not done" : "Tests still failing", .red)
        case .interrupted: headline = terminal.paint("Interrupted", .yellow)
        }
        // The headline already says it when the reason is only that the tests pass.
        let reason = outcome.status == .fixed && outcome.stopReason == "all tests pass" ? "" : " — \(outcome.stopReason.terminalSafeLine)"
        terminal.out("\(headline)\(reason). Failing: \(outcome.failingBefore) → \(outcome.failingAfter) after \(outcome.rounds) round\(outcome.rounds == 1 ? "" : "s") in \(DurationText.format(outcome.seconds)).")
        if let prompt = outcome.promptTokens, let completion = outcome.completionTokens {
            terminal.out("Tokens: \(prompt) prompt, \(completion) completion.")
        }
    }

    private func reviewCommands(_ outcome: RunOutcome) {
        if outcome.commits.isEmpty {
            terminal.out("No commit was accepted. Your working tree was not touched.")
            terminal.out("  what each round did:  git autofix show \(outcome.run) --rounds")
            terminal.out("  remove the run:       git autofix drop \(outcome.run)")
            return
        }
        let ref = ShellWord.quoted(outcome.ref.terminalSafeLine)
        terminal.out("\(outcome.commits.count) commit\(outcome.commits.count == 1 ? "" : "s") on \(ref). Your working tree was not touched. Review:")
        terminal.out("  git autofix show \(outcome.run)")
        terminal.out("  git log -p \(String(outcome.snapshot.prefix(10)))..\(ref)")
        terminal.out("  git autofix show \(outcome.run) --rounds   # what each round did")
        terminal.out("Take it:")
        let cherryPick = "git cherry-pick \(String(outcome.snapshot.prefix(10)))..\(ref)"
        if outcome.hadLocalChanges {
            terminal.out("  git autofix apply \(outcome.run)        # into your working tree, beside your uncommitted changes")
            terminal.out("As commits, once you have committed your own changes (cherry-pick refuses a dirty tree):")
            terminal.out("  \(cherryPick)")
        } else {
            terminal.out("  git autofix apply \(outcome.run)        # into your working tree")
            terminal.out("  \(cherryPick)   # as commits on your branch")
        }
        terminal.out("Or drop it:")
        terminal.out("  git autofix drop \(outcome.run)")
    }
}

/// `--json`: one JSON object per line, `{"event": NAME, ...}`. The streamed reply comes as one
/// `model_text` event per line of it (and whatever is pending before any other event), not one
/// per token, so a script reading the events is not flooded.
final class JSONRunRenderer: RunRenderer, @unchecked Sendable {
    private let lock = NSLock()
    private var reply = StreamedLines()
    private var pendingRound = 0
    private var pendingStep: Int?

    func render(_ event: RunEvent) {
        lock.lock()
        defer { lock.unlock() }
        // A request of a round that asks for one file patch per request: its events carry its number.
        var (event, step) = (event, Int?.none)
        if case .step(let number, let inner) = event { (event, step) = (inner, number) }
        if case .modelText(let round, let text) = event {
            if round != pendingRound || step != pendingStep { flushText() }
            (pendingRound, pendingStep) = (round, step)
            for line in reply.append(text) {
                write(Self.text(line, round: round, step: step))
            }
            return
        }
        flushText()
        if case .candidate(let number, let inner) = event {
            return render(inner, candidate: number)
        }
        guard var line = Self.line(event) else { return }
        if let step { line["step"] = step }
        write(line)
    }

    private static func text(_ text: String, round: Int, step: Int?) -> [String: Any] {
        var line: [String: Any] = ["event": "model_text", "round": round, "text": text]
        if let step { line["step"] = step }
        return line
    }

    /// A candidate's event carries its number; its reply, which arrives whole, comes line by line.
    private func render(_ event: RunEvent, candidate: Int) {
        if case .modelText(let round, let text) = event {
            var lines = StreamedLines()
            for line in lines.append(text) + [lines.takeRest()].compactMap({ $0 }) {
                write(["event": "model_text", "round": round, "candidate": candidate, "text": line])
            }
            return
        }
        guard var line = Self.line(event) else { return }
        line["candidate"] = candidate
        write(line)
    }

    private static func line(_ event: RunEvent) -> [String: Any]? {
        let line: [String: Any]
        switch event {
        case .started(let header): line = Self.object("started", header)
        case .warning(let message): line = ["event": "warning", "message": message]
        case .dependenciesCopied(let paths): line = ["event": "dependencies_copied", "paths": paths]
        case .scratchKept(let checkout, let sandbox): line = ["event": "scratch_kept", "checkout": checkout, "sandbox": sandbox]
        case .baseline(let summary): line = Self.object("baseline", summary)
        case .baselineRechecked(let summary, let reason):
            line = Self.object("baseline_rechecked", summary).merging(["reason": reason]) { $1 }
        case .roundStarted(let round, let characters, let tokens):
            line = ["event": "round_started", "round": round, "prompt_characters": characters, "prompt_tokens": tokens]
        case .modelText, .candidate, .step: return nil
        case .patchApplied(let round, let path, let strategies):
            line = ["event": "patch_applied", "round": round, "path": path, "strategies": strategies]
        case .patchRejected(let round, let path, let reason):
            line = ["event": "patch_rejected", "round": round, "path": path ?? NSNull(), "reason": reason]
        case .streamCancelled(let round, let reason): line = ["event": "stream_cancelled", "round": round, "reason": reason]
        case .testsStarted(let round, let files): line = ["event": "tests_started", "round": round, "files": files]
        case .roundFinished(let result): line = Self.object("round_finished", result)
        case .finished(let outcome): line = Self.object("finished", outcome)
        }
        return line
    }

    private func flushText() {
        if let rest = reply.takeRest() {
            write(Self.text(rest, round: pendingRound, step: pendingStep))
        }
    }

    private func write(_ line: [String: Any]) {
        guard let data = try? JSONSerialization.data(withJSONObject: line, options: [.sortedKeys, .withoutEscapingSlashes]) else { return }
        try? FileHandle.standardOutput.write(contentsOf: Data((Terminal.jsonSafeForTerminal(data) + "\n").utf8))
    }

    private static func object<T: Encodable>(_ name: String, _ value: T) -> [String: Any] {
        guard let data = try? RecordJSON.encoder().encode(value),
              var object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return ["event": name] }
        object["event"] = name
        return object
    }
}

/// A streamed reply cut into whole lines as its pieces arrive, for both renderers. Only each new
/// piece is searched for newlines, so the work is linear in the reply; a line longer than
/// `longestLine` bytes comes out in parts, so what is held stays bounded.
struct StreamedLines {
    static let longestLine = 16 * 1024
    private var pending: [UInt8] = []

    /// Adds `text` and returns the lines it completed, each with its newline, and the pending part
    /// once it reaches `longestLine` (without a newline).
    mutating func append(_ text: String) -> [String] {
        var lines: [String] = []
        var rest = text.utf8[...]
        // A newline byte never occurs inside a multi-byte UTF-8 sequence, so every cut is
        // between characters.
        while let newline = rest.firstIndex(of: UInt8(ascii: "\n")) {
            pending += rest[...newline]
            lines.append(String(decoding: pending, as: UTF8.self))
            pending.removeAll(keepingCapacity: true)
            rest = rest[rest.index(after: newline)...]
        }
        pending += rest
        if pending.count >= Self.longestLine, let part = takeRest() { lines.append(part) }
        return lines
    }

    /// The part of a line received so far, if any, which is then no longer pending.
    mutating func takeRest() -> String? {
        guard !pending.isEmpty else { return nil }
        defer { pending.removeAll(keepingCapacity: true) }
        return String(decoding: pending, as: UTF8.self)
    }
}
