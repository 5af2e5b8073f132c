import AutofixGit
import AutofixModel
import AutofixPatch
import AutofixSupport
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
    /// The patches that applied, in order, with the paths each wrote.
    private var applied: [(patch: FilePatch, touched: [String])] = []
    /// How many patches the test run that ended the reply early saw; nil when it was read to its end.
    private(set) var passedPrefix: Int?
    /// How many patches the latest test run started on.
    private var testedPatches = 0
    private(set) var patchRecords: [RoundTranscript.PatchRecord] = []
    /// What went wrong with the first edit that could not be used, in words for the model.
    private(set) var failure: String?
    private(set) var finish: ModelFinish?
    private(set) var modelSeconds = 0.0
    /// True when the reading stopped right after the reply's first edit (one patch per request).
    private(set) var endedAfterPatch = false

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

    /// Lines the applied patches add and remove (a whole file counts its new lines): how big the change is.
    var changedLines: Int {
        applied.reduce(0) { total, each in
            if let content = each.patch.wholeFileContent { return total + content.split(separator: "\n", omittingEmptySubsequences: false).count }
            return total + each.patch.hunks.reduce(0) { $0 + $1.lines.filter { $0.kind != .context }.count }
        }
    }

    /// The model's one-line summary of its change, for the commit subject.
    var summaryLine: String? { parser.summaryLine }

    /// Reads the reply to `request`, applying each file patch as it completes. Stops reading at
    /// the first edit that fails: the rest of the reply would be applied on top of a hole. With
    /// `prefixes`, the patches applied so far get a test run whenever the reply pauses, and a run
    /// whose report ends the reply stops the reading there (`passedPrefix`). A patch whose
    /// successor has already arrived gets none: that run would be obsolete before it began.
    /// With `endingAfterOnePatch` the reading stops right after the line that completed the
    /// reply's first edit: a stop sequence could not end it as reliably (a bare ``` opens a
    /// fence as well as closing one, and a whole file may hold fences of its own), and the
    /// patch is complete at that same line either way.
    mutating func stream(from model: ChatModel, _ request: ChatRequest, testing prefixes: PrefixTestRuns? = nil,
                         endingAfterOnePatch: Bool = false) async throws {
        let (signals, sink) = AsyncStream<Signal>.makeStream()
        let waiting = Locked(0)
        let reader = Task {
            do {
                for try await event in model.stream(request) {
                    waiting.withLock { $0 += 1 }
                    sink.yield(.model(event))
                }
                sink.yield(.ended(nil))
            } catch {
                sink.yield(.ended(error))
            }
        }
        // Stopping the reader drops the model's stream, which cancels the transfer.
        defer { reader.cancel() }
        let passed: @Sendable (Int) -> Void = { sink.yield(.passed(patches: $0)) }
        streaming: for await signal in signals {
            switch signal {
            case .model(.delta(let text)):
                waiting.withLock { $0 -= 1 }
                if endingAfterOnePatch {
                    if !readUntilFirstEdit(text) { break streaming }
                    continue
                }
                reply += text
                emit(.modelText(round: round, text: text))
                if !apply(parser.feed(text)) { break streaming }
                if waiting.current == 0 { try startTests(prefixes, passed) }
            case .model(.finished(let info)):
                waiting.withLock { $0 -= 1 }
                finish = info
            case .ended(let error):
                if let error { throw error }
                break streaming
            case .passed(let patches):
                passedPrefix = patches
                break streaming
            }
        }
        try Task.checkCancellation()
        if failure != nil {
            emit(.streamCancelled(round: round, reason: "a patch failed; the rest of the reply was not needed"))
        } else if passedPrefix != nil {
            emit(.streamCancelled(round: round, reason: "the tests already passed"))
        } else if endedAfterPatch {
            emit(.streamCancelled(round: round, reason: "the file patch is complete; the next is asked for in a request of its own"))
        } else if apply(parser.finish()) {
            try startTests(prefixes, passed)
        }
        modelSeconds = Date().timeIntervalSince(started)
    }

    private enum Signal: Sendable {
        case model(ModelEvent)
        case ended((any Error)?)
        case passed(patches: Int)
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

    /// Takes `text` a line at a time, so that the reply ends exactly after the line that
    /// completed its first edit; false once it has (applied or not).
    private mutating func readUntilFirstEdit(_ text: String) -> Bool {
        var rest = Substring(text)
        while !rest.isEmpty {
            // By bytes: a CR LF pair is one Character, which a search for "\n" would pass over.
            let end = rest.utf8.firstIndex(of: UInt8(ascii: "\n")).map { rest.utf8.index(after: $0) } ?? rest.endIndex
            let line = String(rest[..<end])
            rest = rest[end...]
            reply += line
            emit(.modelText(round: round, text: line))
            let edits = parser.feed(line)
            if !apply(edits) { return false }
            if !edits.isEmpty {
                endedAfterPatch = true
                return false
            }
        }
        return true
    }

    /// Starts a test run on the patches applied so far, unless one already runs on them all.
    private mutating func startTests(_ prefixes: PrefixTestRuns?, _ passed: @escaping @Sendable (Int) -> Void) throws {
        guard let prefixes, applied.count > testedPatches else { return }
        testedPatches = applied.count
        try prefixes.start(patches: applied.count, passed: passed)
        emit(.testsStarted(round: round, files: appliedFiles))
    }

    /// Keeps only the first `count` patches, those a passing test run saw: every path the reply
    /// touched goes back through `restore`, then those patches are applied again as they applied
    /// the first time.
    mutating func keepPrefix(_ count: Int, restore: ([String]) throws -> Void) throws {
        guard count < applied.count else { return }
        var seen = Set<String>()
        try restore(touched.filter { seen.insert($0).inserted })
        let kept = Array(applied.prefix(count))
        for each in kept { _ = try applier.apply(each.patch) }
        applied = kept
        touched = kept.flatMap(\.touched)
        appliedFiles = Array(appliedFiles.prefix(count))
        patchRecords = Array(patchRecords.prefix(count))
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
                applied.append((patch, report.touchedPaths))
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
                commit: ObjectID? = nil, tests: RoundTestSeconds? = nil) -> RoundResult {
        RoundResult(round: round, verdict: verdict, reason: reason, appliedFiles: appliedFiles,
                    failingBefore: failingBefore, failingAfter: after?.failingCount, newlyFailing: newlyFailing,
                    commit: commit?.hex, seconds: Date().timeIntervalSince(started), modelSeconds: modelSeconds,
                    testSeconds: tests?.total, targetedTestSeconds: tests?.targeted, fullTestSeconds: tests?.full,
                    timeToFirstToken: finish?.timeToFirstToken,
                    promptTokens: finish?.usage?.promptTokens, completionTokens: finish?.usage?.completionTokens)
    }

    /// The round as the transcript keeps it.
    func transcript(_ result: RoundResult, tests: TestSummary?) -> RoundTranscript {
        RoundTranscript(round: round, promptMessages: prompt.count, promptCharacters: promptCharacters,
                        reply: reply, patches: patchRecords, tests: tests, result: result)
    }
}
