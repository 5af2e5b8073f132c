import AutofixPatch
import AutofixTestReport
import Foundation

/// The first user message of a run from what the run knows before its first round: the
/// failure digest, the diff of the user's uncommitted work, the repository's files. Public so
/// that the context benchmark measures the very prompt the loop builds.
public enum FirstPrompt {
    /// The digest's share of the first message, as the loop gives it: enough for the failures,
    /// never the whole budget.
    public static func digestTokens(budget: ContextBudget, testCommand: String, editFormat: EditFormat = .diff) -> Int {
        let builder = PromptBuilder(editFormat: editFormat, testCommand: testCommand, budget: budget)
        return max(200, min(2000, builder.contextTokens / 3))
    }

    public static func message(
        digest: FailureDigest, uncommittedDiff: String, repositoryFiles: [String], read: @escaping (String) -> String?,
        budget: ContextBudget, testCommand: String, editFormat: EditFormat = .diff
    ) -> String {
        let known = Set(repositoryFiles)
        let context = PromptContext(
            locations: digest.referencedLocations.filter { known.contains($0.path) },
            changes: WorkingChanges(patchText: uncommittedDiff), repositoryFiles: repositoryFiles,
            read: { known.contains($0) ? read($0) : nil })
        let builder = PromptBuilder(editFormat: editFormat, testCommand: testCommand, budget: budget)
        return builder.firstMessage(issue: nil, digest: digest.text, context: context)
    }
}
