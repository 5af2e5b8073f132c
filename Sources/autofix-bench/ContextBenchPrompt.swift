import AutofixCore
import AutofixTestReport
import Foundation

/// The first message of a run, built as the loop builds it: the failure digest with the loop's
/// share of the budget, then `FirstPrompt` (PromptContext) for a server with a `window`-token context.
enum ContextBenchPrompt {
    static let ranking = "evidence first (PromptContext), budget from the context window"
    static let testCommand = "python -m pytest"

    static func firstMessage(pytestOutput: String, uncommittedDiff: String, modified: [String], repositoryFiles: [String],
                             read: @escaping (String) -> String?, window: Int) -> (system: String, message: String) {
        let budget = ContextBudget(window: window, source: "bench", maxCompletionTokens: ContextBench.completionTokens)
        let report = TestReportParser.parse(output: pytestOutput, exitCode: 1)
        let digest = FailureDigest.make(report: report, output: pytestOutput, repositoryRoot: nil,
                                        tokenBudget: FirstPrompt.digestTokens(budget: budget, testCommand: testCommand))
        let message = FirstPrompt.message(digest: digest, uncommittedDiff: uncommittedDiff, repositoryFiles: repositoryFiles,
                                          read: read, budget: budget, testCommand: testCommand)
        return (PromptBuilder(editFormat: .diff, testCommand: testCommand).systemMessage, message)
    }
}
