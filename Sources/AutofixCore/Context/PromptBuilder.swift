import Foundation

/// Builds what the model reads. The first two messages (rules, repository context and the first
/// failure) never change during a run, and later rounds only append, so a server with prefix
/// caching reuses the whole earlier conversation on every round.
public struct PromptBuilder {
    /// Roughly four characters per token for code and English.
    public static func estimatedTokens(_ text: String) -> Int { (text.utf8.count + 3) / 4 }

    public let editFormat: EditFormat
    public let testCommand: String
    public let contextTokens: Int

    public init(editFormat: EditFormat, testCommand: String, contextTokens: Int = 12_000) {
        self.editFormat = editFormat
        self.testCommand = testCommand
        self.contextTokens = contextTokens
    }

    public var systemMessage: String {
        let common = """
            You are an expert software engineer fixing failing tests in a repository.
            You see the failing tests, their output and the relevant files. Change the code so the \
            tests pass. Keep the change as small as possible; do not weaken or delete tests unless \
            a test itself is clearly wrong. Only edit files inside the repository.
            """ + "\n" + ReplyGrammar.instructions
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

    /// The first user message: task, repository map, files, and the failure.
    public func firstMessage(issue: String?, repositoryMap: [String], files: [(path: String, content: String)],
                             digest: String) -> String {
        var budget = contextTokens
        var text = ""
        if let issue, !issue.isEmpty {
            text += "## Task\n\(issue.trimmingCharacters(in: .whitespacesAndNewlines))\n\(ReplyGrammar.doneInstructions)\n\n"
        }
        text += "## Failing tests (`\(testCommand)`)\n\(digest.trimmingCharacters(in: .whitespacesAndNewlines))\n\n"
        budget -= PromptBuilder.estimatedTokens(text)

        var fileSection = ""
        var included = 0
        for file in files {
            let block = "### \(file.path)\n```\n\(file.content)\(file.content.hasSuffix("\n") ? "" : "\n")```\n\n"
            let cost = PromptBuilder.estimatedTokens(block)
            if cost > budget - 500 { continue }
            fileSection += block
            budget -= cost
            included += 1
        }
        var mapSection = "## Repository files\n"
        var listed = 0
        for path in repositoryMap {
            let line = path + "\n"
            if PromptBuilder.estimatedTokens(line) > budget { break }
            mapSection += line
            budget -= PromptBuilder.estimatedTokens(line)
            listed += 1
        }
        if listed < repositoryMap.count { mapSection += "(\(repositoryMap.count - listed) more files not listed)\n" }
        text += mapSection + "\n"
        if included > 0 { text += "## Relevant files\n" + fileSection }
        text += "Fix the failing tests."
        return text
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

    /// What the model is told after a round, with the current content of files it may edit next.
    private func feedbackMessage(outcome: String, digest: String?, files: [(path: String, content: String)]) -> String {
        var text = outcome.trimmingCharacters(in: .whitespacesAndNewlines) + "\n"
        if let digest, !digest.isEmpty {
            text += "\n## Failing tests now (`\(testCommand)`)\n" + digest.trimmingCharacters(in: .whitespacesAndNewlines) + "\n"
        }
        var budget = contextTokens / 2
        for file in files {
            let block = "\n### \(file.path) (current content)\n```\n\(file.content)\(file.content.hasSuffix("\n") ? "" : "\n")```\n"
            let cost = PromptBuilder.estimatedTokens(block)
            if cost > budget { continue }
            text += block
            budget -= cost
        }
        return text + "\nTry again."
    }
}
