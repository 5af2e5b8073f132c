import AutofixGit
import AutofixModel
import AutofixPatch
import AutofixTestReport
import Foundation

/// A round that asks for one file patch per request, on one conversation that only grows (so
/// that a server with prefix caching serves each request from the one before). Each reply is
/// read up to the end of its one patch, which is applied at once; the loop tests the patches
/// so far and either keeps them as the round's commit or tells the model the result and asks
/// for the next patch.
///
/// A patch that did not improve the tests stays applied for the round's next requests, as the
/// model was told: a fix may need two files, and the first alone shows no test passing. The
/// round's patches go back only when the round ends without an improvement.
struct OnePatchRound {
    /// The most file patches one round asks for: a change that has not improved the tests
    /// after this many files is better rolled back and asked for again, with the failures it
    /// left, than grown further on the same conversation.
    static let maxPatches = 8

    let round: Int
    /// Failing tests as the round found them: those of the last accepted test run.
    let failingBefore: Int
    private let started = Date()
    private let editFormat: EditFormat
    private let applier: PatchApplier
    private let emit: (RunEvent) -> Void
    /// Each request's reply, in order, with the tests of the patches so far after it.
    private(set) var steps: [RoundAttempt] = []
    private var stepTests: [TestSummary?] = []
    private var testSeconds: [RoundTestSeconds] = []

    init(round: Int, failingBefore: Int, editFormat: EditFormat, applier: PatchApplier, events: @escaping (RunEvent) -> Void) {
        self.round = round
        self.failingBefore = failingBefore
        self.editFormat = editFormat
        self.applier = applier
        self.emit = events
    }

    /// Sends `request`, the conversation so far, and reads its reply up to the end of its
    /// first edit, applying it. The step is kept whether or not this throws, so that a
    /// rollback finds what it wrote.
    mutating func requestPatch(_ request: ChatRequest, from model: ChatModel) async throws -> RoundAttempt {
        let (step, emit) = (steps.count + 1, emit)
        var attempt = RoundAttempt(round: round, prompt: request.messages, failingBefore: failingBefore,
                                   parser: StreamingDiffParser(format: editFormat), applier: applier,
                                   events: { emit(.step(step, $0)) })
        emit(.step(step, .roundStarted(round: round, promptCharacters: attempt.promptCharacters,
                                       promptTokens: attempt.promptTokens)))
        defer {
            steps.append(attempt)
            stepTests.append(nil)
        }
        try await attempt.stream(from: model, request, endingAfterOnePatch: true)
        return attempt
    }

    /// The latest step's tests, as the loop judged them.
    mutating func tested(_ summary: TestSummary, seconds: RoundTestSeconds) {
        stepTests[stepTests.count - 1] = summary
        testSeconds.append(seconds)
    }

    var step: Int { steps.count }
    var appliedFiles: [String] { steps.flatMap(\.appliedFiles) }
    /// True once the round has asked for as many patches as a round may.
    var isFull: Bool { appliedFiles.count >= Self.maxPatches }
}

extension OnePatchRound: RoundChange {
    var touched: [String] {
        var seen = Set<String>()
        return steps.flatMap(\.touched).filter { seen.insert($0).inserted }
    }

    /// The first the model stated; later requests may repeat one or not.
    var summaryLine: String? { steps.lazy.compactMap(\.summaryLine).first }

    /// The replies of every request, in order: a round repeats another only when all of them do.
    var reply: String { steps.map(\.reply).joined(separator: "\n") }

    /// The round's result: `tests` is the deciding step's; the test seconds of every step add up.
    func result(_ verdict: RoundResult.Verdict, _ reason: String, after: TestReport?, newlyFailing: [String],
                commit: ObjectID?, tests: RoundTestSeconds?) -> RoundResult {
        let finishes = steps.compactMap(\.finish)
        let usages = finishes.compactMap(\.usage)
        let targeted = testSeconds.compactMap(\.targeted)
        let full = testSeconds.compactMap(\.full)
        var result = RoundResult(
            round: round, verdict: verdict, reason: reason, appliedFiles: appliedFiles, failingBefore: failingBefore,
            failingAfter: after?.failingCount, newlyFailing: newlyFailing, commit: commit?.hex,
            seconds: Date().timeIntervalSince(started), modelSeconds: steps.reduce(0) { $0 + $1.modelSeconds },
            testSeconds: testSeconds.isEmpty ? nil : testSeconds.reduce(0) { $0 + $1.total },
            targetedTestSeconds: targeted.isEmpty ? nil : targeted.reduce(0, +),
            fullTestSeconds: full.isEmpty ? nil : full.reduce(0, +),
            timeToFirstToken: steps.first?.finish?.timeToFirstToken,
            promptTokens: usages.isEmpty ? nil : usages.reduce(0) { $0 + $1.promptTokens },
            completionTokens: usages.isEmpty ? nil : usages.reduce(0) { $0 + $1.completionTokens })
        result.steps = steps.count
        return result
    }

    func transcript(_ result: RoundResult, tests: TestSummary?) -> RoundTranscript {
        var transcript = RoundTranscript(
            round: round, promptMessages: steps.first?.prompt.count ?? 0,
            promptCharacters: steps.first?.promptCharacters ?? 0,
            reply: reply, patches: steps.flatMap(\.patchRecords), tests: tests, result: result)
        transcript.steps = zip(steps, stepTests).enumerated().map { index, each in
            StepTranscript(step: index + 1, promptMessages: each.0.prompt.count, reply: each.0.reply,
                           patches: each.0.patchRecords, tests: each.1)
        }
        return transcript
    }
}
