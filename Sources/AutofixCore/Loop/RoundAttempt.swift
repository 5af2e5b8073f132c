import AutofixGit
import AutofixModel
import AutofixPatch
import AutofixTestReport
import Foundation

/// One round's reply as it streams in: each file patch is applied to the scratch checkout the
/// moment it is complete, and the first edit that cannot be used ends the reply. It keeps what
/// the round wrote, so that the loop can roll it back, and what its result and transcript report.
struct RoundAttempt {
    let round: Int
    let prompt: [ChatMessage]
    /// Failing tests as the round found them: those of the last accepted test run.
    let failingBefore: Int
    private let started = Date()
    private let parser: StreamingDiffParser
    private let applier: PatchApplier
    private let emit: (RunEvent) -> Void

    private(set) var reply = ""
    /// Every path a patch wrote or was about to write, applied or not: what a rollback restores.
    private(set) var touched: [String] = []
    private(set) var appliedFiles: [String] = []
    private(set) var patchRecords: [RoundTranscript.PatchRecord] = []
    /// What went wrong with the first edit that could not be used, in words for the model.
    private(set) var failure: String?
    private(set) var finish: ModelFinish?
    private(set) var modelSeconds = 0.0

    init(round: Int, prompt: [ChatMessage], failingBefore: Int, parser: StreamingDiffParser, applier: PatchApplier,
         events: @escaping (RunEvent) -> Void) {
        self.round = round
        self.prompt = prompt
        self.failingBefore = failingBefore
        self.parser = parser
        self.applier = applier
        self.emit = events
    }

    var promptCharacters: Int { prompt.reduce(0) { $0 + $1.content.count } }
    var promptTokens: Int { Conversation.estimatedTokens(prompt) }

    /// The model's one-line summary of its change, for the commit subject.
    var summaryLine: String? { parser.summaryLine }

    /// Reads the reply to `request`, applying each file patch as it completes. Stops reading at
    /// the first edit that fails: the rest of the reply would be applied on top of a hole.
    mutating func stream(from model: ChatModel, _ request: ChatRequest) async throws {
        streaming: for try await event in model.stream(request) {
            switch event {
            case .delta(let text):
                reply += text
                emit(.modelText(round: round, text: text))
                if !apply(parser.feed(text)) { break streaming }
            case .finished(let info):
                finish = info
            }
        }
        try Task.checkCancellation()
        if failure != nil {
            // Leaving the loop above dropped the stream, which cancels the transfer.
            emit(.streamCancelled(round: round, reason: "a patch failed; the rest of the reply was not needed"))
        } else {
            apply(parser.finish())
        }
        modelSeconds = Date().timeIntervalSince(started)
    }

    /// Applies `edits` in order; false once one of them failed.
    @discardableResult
    private mutating func apply(_ edits: [ParsedEdit]) -> Bool {
        for edit in edits {
            if let problem = apply(edit) {
                failure = problem
                return false
            }
        }
        return true
    }

    /// Applies one edit; returns what went wrong, for the model, or nil.
    private mutating func apply(_ edit: ParsedEdit) -> String? {
        switch edit {
        case .rejected(let path, let reason):
            patchRecords.append(.init(path: path, result: "rejected", detail: reason))
            emit(.patchRejected(round: round, path: path, reason: reason))
            return "The edit for \(path ?? "an unnamed file") was rejected: \(reason)"
        case .patch(let patch):
            do {
                let report = try applier.apply(patch)
                touched += report.touchedPaths
                appliedFiles.append(patch.displayPath)
                let strategies = report.hunkStrategies.map { String(describing: $0) }
                patchRecords.append(.init(path: patch.displayPath, result: "applied", detail: strategies.joined(separator: ",")))
                emit(.patchApplied(round: round, path: patch.displayPath, strategies: strategies))
                return nil
            } catch let error as PatchError {
                touched += patch.touchedPaths
                patchRecords.append(.init(path: patch.displayPath, result: "failed", detail: error.feedback))
                emit(.patchRejected(round: round, path: patch.displayPath, reason: error.message))
                return error.feedback
            } catch {
                touched += patch.touchedPaths
                patchRecords.append(.init(path: patch.displayPath, result: "failed", detail: "\(error)"))
                emit(.patchRejected(round: round, path: patch.displayPath, reason: "\(error)"))
                return "The patch for \(patch.displayPath) could not be written: \(error)"
            }
        }
    }

    /// The round's result once it has been judged.
    func result(_ verdict: RoundResult.Verdict, _ reason: String, after: TestReport? = nil, newlyFailing: [String] = [],
                commit: ObjectID? = nil, testSeconds: Double? = nil) -> RoundResult {
        RoundResult(round: round, verdict: verdict, reason: reason, appliedFiles: appliedFiles,
                    failingBefore: failingBefore, failingAfter: after?.failingCount, newlyFailing: newlyFailing,
                    commit: commit?.hex, seconds: Date().timeIntervalSince(started), modelSeconds: modelSeconds,
                    testSeconds: testSeconds, timeToFirstToken: finish?.timeToFirstToken,
                    promptTokens: finish?.usage?.promptTokens, completionTokens: finish?.usage?.completionTokens)
    }

    /// The round as the transcript keeps it.
    func transcript(_ result: RoundResult, tests: TestSummary?) -> RoundTranscript {
        RoundTranscript(round: round, promptMessages: prompt.count, promptCharacters: promptCharacters,
                        reply: reply, patches: patchRecords, tests: tests, result: result)
    }
}
