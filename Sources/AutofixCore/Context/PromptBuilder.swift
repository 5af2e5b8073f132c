import AutofixPatch
import Foundation

/// Builds what the model reads. The first two messages (rules, repository context and the first
/// failure) never change during a run, and later rounds only append, so a server with prefix
/// caching reuses the whole earlier conversation on every round.
public struct PromptBuilder {
    /// Roughly four characters per token for code and English.
    public static func estimatedTokens(_ text: String) -> Int { (text.utf8.count + 3) / 4 }

    public let editFormat: EditFormat
    public let testCommand: String
    /// Estimated tokens of the first message, and of what the model is told after a round.
    public let contextTokens: Int
    public let feedbackTokens: Int
    /// Each request asks for one file patch (`--one-patch-per-request`).
    public let onePatchPerRequest: Bool

    public init(editFormat: EditFormat, testCommand: String, contextTokens: Int = 12_000, feedbackTokens: Int? = nil,
                onePatchPerRequest: Bool = false) {
        self.editFormat = editFormat
        self.testCommand = testCommand
        self.contextTokens = contextTokens
        self.feedbackTokens = feedbackTokens ?? contextTokens / 2
        self.onePatchPerRequest = onePatchPerRequest
    }

    /// A builder whose messages fit `budget`, with room left for the system message.
    init(editFormat: EditFormat, testCommand: String, budget: ContextBudget, onePatchPerRequest: Bool = false) {
        let system = PromptBuilder(editFormat: editFormat, testCommand: testCommand, onePatchPerRequest: onePatchPerRequest).systemMessage
        self.init(editFormat: editFormat, testCommand: testCommand,
                  contextTokens: budget.firstMessageTokens - PromptBuilder.estimatedTokens(system), feedbackTokens: budget.feedbackTokens,
                  onePatchPerRequest: onePatchPerRequest)
    }

    public var systemMessage: String {
        let common = """
            You are an expert software engineer fixing failing tests in a repository.
            You see the failing tests, their output and the relevant files. Change the code so the \
            tests pass. Keep the change as small as possible; do not weaken or delete tests unless \
            a test itself is clearly wrong. Only edit files inside the repository.
            """ + "\n" + ReplyGrammar.instructions + (onePatchPerRequest ? "\n" + ReplyGrammar.onePatchInstructions : "")
        switch editFormat {
        case .diff:
            return common + "\n" + """
                Then write the change as unified diffs, one file after another, each inside a ```diff \
                fence, with `--- a/PATH` and `+++ b/PATH` headers and `@@` hunks. Copy context lines \
                exactly from the files shown (same indentation), with about 3 lines of context. \
                Use `--- /dev/null` for a new file.
                """
        case .whole:
            return common + "\n" + """
                Then, for each file you change, write its path on a line of its own, followed by a \
                fenced code block with the COMPLETE new content of that file. Never elide parts \
                of a file.
                """
        }
    }

    /// The first user message: task, failure, then what the repository context shows of the code.
    func firstMessage(issue: String?, digest: String, context: PromptContext) -> String {
        var text = ""
        if let issue, !issue.isEmpty {
            text += "## Task\n\(issue.trimmingCharacters(in: .whitespacesAndNewlines))\n\(ReplyGrammar.doneInstructions)\n\n"
        }
        text += "## Failing tests (`\(testCommand)`)\n\(digest.trimmingCharacters(in: .whitespacesAndNewlines))\n\n"
        let closing = "\nFix the failing tests."
        let room = contextTokens - PromptBuilder.estimatedTokens(text + closing)
        return text + context.render(budgetTokens: max(room, 0)).text + closing
    }

    // MARK: after a round

    /// A reply whose edits did not all apply: nothing of it was kept.
    func unappliedFeedback(problem: String, files: [(path: String, content: String)]) -> String {
        feedbackMessage(outcome: "Your change could not be applied, so nothing of it was kept:\n\(problem)", digest: nil, files: files)
    }

    /// A reply without an edit: what an edit looks like in this run's format.
    func noEditFeedback() -> String {
        let form = editFormat == .diff
            ? "unified diffs in ```diff fences" : "whole-file blocks: the path on a line, then the complete file in a fence"
        return feedbackMessage(outcome: "Your reply contained no edit I could use. Reply with \(form).", digest: nil, files: [])
    }

    /// A change that lowered the failures and became a commit; the failures left, if any.
    func acceptedFeedback(failingBefore: Int, failingAfter: Int, allPassed: Bool, digest: String,
                          files: [(path: String, content: String)]) -> String {
        feedbackMessage(
            outcome: "Your change was applied and committed: failing tests went from \(failingBefore) to \(failingAfter)."
                + (allPassed ? " All tests pass now." : ""),
            digest: allPassed ? nil : digest, files: files)
    }

    /// A change whose tests ran but did not improve, and was undone.
    func rolledBackFeedback(_ rejection: Rejection, digest: String, files: [(path: String, content: String)]) -> String {
        feedbackMessage(outcome: "Your change was applied and the tests ran, but it was rolled back because \(rejection.reason).",
                        digest: digest, files: files)
    }

    /// One file patch of a round that asks for one per request, applied and tested without an
    /// improvement yet: it stays applied, and the next file's patch is asked for.
    func nextPatchFeedback(path: String, outcome: String, digest: String) -> String {
        feedbackMessage(
            outcome: "Your change to \(path) was applied and the tests ran: \(outcome). It stays applied, not committed yet.",
            digest: digest, files: [],
            closing: "Send the change for the next file (one file only), or reply with a line that says only \(ReplyGrammar.doneMarker) if your change is complete.")
    }

    /// What the model is told after a round, with the current content of files it may edit next.
    private func feedbackMessage(outcome: String, digest: String?, files: [(path: String, content: String)],
                                 closing: String = "Try again.") -> String {
        var text = outcome.trimmingCharacters(in: .whitespacesAndNewlines) + "\n"
        if let digest, !digest.isEmpty {
            text += "\n## Failing tests now (`\(testCommand)`)\n" + digest.trimmingCharacters(in: .whitespacesAndNewlines) + "\n"
        }
        var budget = feedbackTokens - PromptBuilder.estimatedTokens(text) - 10
        for file in files {
            let block = "\n### \(file.path) (current content)\n```\n\(file.content)\(file.content.hasSuffix("\n") ? "" : "\n")```\n"
            let cost = PromptBuilder.estimatedTokens(block)
            if cost > budget { continue }
            text += block
            budget -= cost
        }
        return text + "\n" + closing
    }
}
