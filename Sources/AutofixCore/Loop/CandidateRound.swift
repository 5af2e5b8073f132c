import AutofixGit
import AutofixModel
import AutofixPatch
import AutofixSupport
import Foundation

/// How one candidate of a round is asked for.
struct CandidateRequest: Sendable, Equatable {
    let number: Int
    let seed: Int
    let temperature: Double

    /// A round's candidates: the first at the configured temperature, the others at `others`,
    /// each with a seed no other request of the run has.
    static func round(_ round: Int, count: Int, temperature: Double, others: Double) -> [CandidateRequest] {
        (1...count).map { number in
            CandidateRequest(number: number, seed: (round - 1) * count + number, temperature: number == 1 ? temperature : others)
        }
    }
}

/// One candidate's reply, applied and tested.
struct Candidate {
    let request: CandidateRequest
    var attempt: RoundAttempt
    /// The candidate's change as a commit on the run's tip, no ref moved; nil when nothing applied.
    var commit: ObjectID?
    var run: SessionTestRun?
}

/// A round that asks for several replies at once. The requests stream together; each reply is
/// applied to the host's checkout when it is complete, written down as a commit, copied into a
/// view of its own and taken out of the checkout again, so that the checkout is at the run's tip
/// between candidates. The views' test runs go on side by side, at most `parallelTests` at once.
struct CandidateRound {
    let round: Int
    let prompt: [ChatMessage]
    let failingBefore: Int
    let requests: [(candidate: CandidateRequest, request: ChatRequest)]
    let repository: Repository
    let scratch: ScratchSession
    let tip: ObjectID
    let runID: String
    let editFormat: EditFormat
    let applier: PatchApplier
    let tests: TestExecutor
    let parallelTests: Int
    let timeout: @Sendable () -> Double
    let emit: (RunEvent) -> Void

    /// Every candidate, in their order, with its test run when one was made. The host's
    /// checkout is at `tip` when this returns or throws.
    func play(_ model: ChatModel) async throws -> [Candidate] {
        // Made in order, so that a model answering requests in turn answers candidate 1 first.
        let streams = requests.map { model.stream($0.request) }
        var candidates = requests.map { asked in
            Candidate(request: asked.candidate, attempt: RoundAttempt(
                round: round, prompt: prompt, failingBefore: failingBefore, parser: StreamingDiffParser(format: editFormat),
                applier: applier, events: { [emit] in emit(.candidate(asked.candidate.number, $0)) }))
        }
        let runs = CandidateTestRuns(scratch: scratch, tests: tests, slots: TestSlots(parallelTests), timeout: timeout)
        do {
            try await withThrowingTaskGroup(of: CollectedReply.self) { group in
                for (index, stream) in streams.enumerated() {
                    group.addTask { try await CollectedReply.read(stream, index: index) }
                }
                for try await reply in group {
                    try await apply(reply, to: &candidates[reply.index], testingWith: runs)
                }
            }
            for (number, run) in try await runs.results() {
                candidates[number - 1].run = run
            }
        } catch {
            await runs.stopAll()
            try? scratch.checkout.restore(paths: candidates.flatMap(\.attempt.touched), to: tip, from: repository)
            throw error
        }
        return candidates
    }

    private func apply(_ reply: CollectedReply, to candidate: inout Candidate, testingWith runs: CandidateTestRuns) async throws {
        defer { try? scratch.checkout.restore(paths: candidate.attempt.touched, to: tip, from: repository) }
        try await candidate.attempt.stream(from: ReplayedReply(reply: reply), ChatRequest(model: "", messages: []))
        guard candidate.attempt.failure == nil, !candidate.attempt.touched.isEmpty else { return }
        let touched = candidate.attempt.touched
        let tree = try TreeBuilder(repository: repository).tree(from: tip, replacing: touched, in: scratch.checkout.directory)
        let message = Trailers.message(subject: ReplyGrammar.commitSubject(candidate.attempt.summaryLine, round: round), trailers: [
            ("Autofix-Run", runID),
            ("Autofix-Round", String(round)),
        ])
        candidate.commit = try repository.createCommit(tree: tree, parents: [tip], message: message)
        try runs.start(candidate: candidate.request.number)
        emit(.candidate(candidate.request.number, .testsStarted(round: round, files: candidate.attempt.appliedFiles)))
    }
}

/// A reply read to its end.
struct CollectedReply: Sendable {
    let index: Int
    let text: String
    let finish: ModelFinish?

    static func read(_ stream: AsyncThrowingStream<ModelEvent, Error>, index: Int) async throws -> CollectedReply {
        var text = ""
        var finish: ModelFinish?
        for try await event in stream {
            switch event {
            case .delta(let piece): text += piece
            case .finished(let info): finish = info
            }
        }
        return CollectedReply(index: index, text: text, finish: finish)
    }
}

/// A reply that has already arrived, played again to a `RoundAttempt` in one piece.
private struct ReplayedReply: ChatModel {
    let reply: CollectedReply

    func stream(_ request: ChatRequest) -> AsyncThrowingStream<ModelEvent, Error> {
        AsyncThrowingStream { continuation in
            if !reply.text.isEmpty { continuation.yield(.delta(reply.text)) }
            if let finish = reply.finish { continuation.yield(.finished(finish)) }
            continuation.finish()
        }
    }
}
