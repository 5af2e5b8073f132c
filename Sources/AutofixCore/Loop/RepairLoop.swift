import AutofixGit
import AutofixModel
import AutofixPatch
import AutofixSupport
import AutofixTestReport
import Foundation

/// The streamed repair loop: snapshot, scratch checkout, baseline tests, then rounds of
/// prompt → streamed reply → each file patch applied as soon as it is complete → tests →
/// accept (commit on the run ref) or roll back, until the tests pass or a limit is reached.
/// Never writes the user's work tree, index, HEAD or branch; every accepted commit stays
/// reachable from the run ref, whatever happens.
public final class RepairLoop {
    public let repository: Repository
    public let settings: RepairSettings
    let model: ChatModel
    let tests: TestExecutor
    let events: (RunEvent) -> Void
    /// Where scratch checkouts go (the system temp dir by default).
    public var scratchParent: URL?
    /// Keep the scratch checkout after the run, for inspection.
    public var keepScratch = false
    /// Whether the session may start from what the last run in this repository built.
    public var warmBuilds = WarmBuilds.off("not asked for")
    /// What cancelled the run, for its stop reason ("Ctrl-C", "SIGTERM").
    public var interruptedBy: () -> String = { "Ctrl-C" }
    /// The user's environment, where a baseline that failed for the environment's sake is looked into.
    public var hostEnvironment = ProcessInfo.processInfo.environment
    /// What the run repairs: the work tree by default.
    public var start = RunStart.workingTree

    public init(repository: Repository, settings: RepairSettings, model: ChatModel, tests: TestExecutor,
                events: @escaping (RunEvent) -> Void) {
        self.repository = repository
        self.settings = settings
        self.model = model
        self.tests = tests
        self.events = events
    }

    /// Runs to the end. Model, sandbox and git failures are thrown after the run's state is
    /// saved; Ctrl-C (task cancellation) ends the run with status `interrupted`.
    public func run() async throws -> RunOutcome {
        let started = Date()
        // No server, no run: say so before the baseline tests, which can take minutes.
        try await model.checkReachable()
        let budget = ContextBudget.resolve(
            configured: settings.contextTokens,
            reported: settings.contextTokens == nil ? await model.reportedContextWindow(model: settings.model) : nil,
            maxCompletionTokens: settings.maxDiffTokens)
        if let workTree = repository.workingDirectory,
           let fetch = FetchedDependencies.fetchCommandIfMissing(in: workTree, testCommand: settings.testCommand) {
            throw RunError.dependenciesNotFetched(workTree: workTree, fetch: fetch)
        }
        let snapshot = try start.snapshot(in: repository)
        let recorder = try RunRecorder(repository: repository, settings: settings, runID: snapshot.run.id, events: events)
        for warning in snapshot.capture.warnings + snapshot.largeFiles.map(\.warning) { recorder.record(.warning(warning)) }
        var state = RunState(snapshot: snapshot, started: started, budget: budget)
        try recorder.markRunning(state)
        let warm = openWarmPlace(recorder: recorder)

        let header = RunHeader(
            run: snapshot.run.id, ref: snapshot.run.ref,
            repository: repository.workingDirectory?.path ?? repository.gitDirectory.path,
            branch: snapshot.head.refComponent, base: snapshot.base?.hex,
            testCommand: settings.testCommand, testCommandSource: settings.testCommandSource,
            model: settings.model, endpoint: ModelEndpoint.redacted(settings.endpoint), sandbox: settings.sandbox.rawValue,
            maxRounds: settings.maxRounds, editFormat: settings.editFormat.rawValue,
            contextWindow: budget.window, contextWindowSource: budget.source, promptBudget: budget.promptTokens,
            warmBuild: warm.start.description)
        recorder.record(.started(header))

        let scratch: ScratchSession
        do {
            // Recorded before anything fills it, so that whoever finds this run killed can remove it.
            let made: (URL) throws -> Void = { root in
                state.scratchRoot = root
                try recorder.markRunning(state)
            }
            scratch = try warm.place.map {
                try ScratchSession(repository: repository, commit: snapshot.commit, warm: $0, under: scratchParent, made: made)
            } ?? ScratchSession(repository: repository, commit: snapshot.commit, under: scratchParent, made: made)
        } catch {
            recorder.setUpFailed(state)
            throw error
        }
        defer { if keepScratch { try? scratch.keep() } else { scratch.remove() } }
        if keepScratch {
            recorder.record(.scratchKept(checkout: scratch.checkout.directory.path, sandbox: scratch.view.directory.path))
        }
        if !scratch.copiedDependencies.isEmpty {
            recorder.record(.dependenciesCopied(paths: scratch.copiedDependencies))
        }

        do {
            let outcome = try await rounds(state: &state, scratch: scratch, budget: budget, recorder: recorder)
            try recorder.finish(outcome, state: state)
            return outcome
        } catch is CancellationError {
            let outcome = makeOutcome(state, status: .interrupted, reason: "interrupted (\(interruptedBy()))")
            try recorder.finish(outcome, state: state)
            return outcome
        } catch {
            recorder.failed(error, state: state)
            throw error
        }
    }

    /// The warm place when warm builds are on and it can be used; else why not, said as a
    /// warning unless warm builds are simply off.
    private func openWarmPlace(recorder: RunRecorder) -> (place: WarmPlace?, start: WarmStart) {
        switch warmBuilds {
        case .off(let reason):
            return (nil, .fresh(reason))
        case .on(let cacheHome):
            switch WarmPlace.open(for: repository, cacheHome: cacheHome) {
            case .opened(let place):
                return (place, place.state == nil ? .new : .reused)
            case .unavailable(let reason):
                recorder.record(.warning("no warm build: \(reason); this run builds from scratch in a temporary directory"))
                return (nil, .fresh(reason))
            }
        }
    }

    // MARK: rounds

    private func rounds(state: inout RunState, scratch: ScratchSession, budget: ContextBudget,
                        recorder: RunRecorder) async throws -> RunOutcome {
        let baseline = try await baselineTests(in: scratch, state: &state, recorder: recorder)
        state.baseline = baseline.report
        state.accepted = baseline.report
        recorder.record(.baseline(baseline.summary))
        // A model cannot fix the sandbox's environment: say what to set instead of playing rounds against it.
        if let failure = EnvironmentDiagnosis(settings: settings, environment: hostEnvironment, project: repository.workingDirectory)
            .diagnose(output: baseline.output, exitCode: baseline.summary.exitCode, report: baseline.report) {
            throw failure
        }
        if baseline.report.allPassed && settings.issueText == nil {
            return makeOutcome(state, status: .alreadyPassing, reason: "all tests already pass")
        }

        let builder = PromptBuilder(editFormat: settings.editFormat, testCommand: settings.testCommand, budget: state.budget,
                                    onePatchPerRequest: settings.onePatchPerRequest)
        let digest = FailureDigest.make(report: baseline.report, output: baseline.output, repositoryRoot: scratch.checkout.directory,
                                        tokenBudget: digestTokens(builder.contextTokens / 3), stoppedBy: baseline.limitNote)
        let snapshotTree = try repository.commit(state.snapshot.commit).tree
        let allFiles = try repository.filePaths(in: snapshotTree)
        state.knownFiles = Set(allFiles)
        var conversation = Conversation(system: builder.systemMessage, budgetTokens: state.budget.promptTokens)
        let checkout = scratch.checkout.directory
        let context = PromptContext(
            locations: digest.referencedLocations.filter { state.knownFiles.contains($0.path) },
            changes: try uncommittedChanges(state.snapshot, snapshotTree: snapshotTree),
            unpushed: try UnpushedCommits(repository: repository, head: state.snapshot.head),
            repositoryFiles: allFiles,
            read: { [knownFiles = state.knownFiles] path in
                knownFiles.contains(path) ? Self.readText(checkout.appendingPathComponent(path)) : nil
            })
        conversation.start(builder.firstMessage(issue: settings.issueText, digest: digest.text, context: context))

        var emptyReplies = 0
        var repeats = RepeatWatch(testTimeout: settings.testTimeout)
        for round in 1...settings.maxRounds {
            try Task.checkCancellation()
            if let timeout = settings.timeout, Date().timeIntervalSince(state.started) >= timeout {
                return makeOutcome(state, status: .failing, reason: "time budget of \(DurationText.format(timeout)) used up")
            }
            state.rounds = round
            let played: PlayedRound
            do {
                played = try await playRound(round, state: &state, conversation: &conversation, builder: builder,
                                             scratch: scratch, recorder: recorder)
            } catch let error as ModelError where error.kind == .timeout(.timeLimit) {
                // playRound rolled the scratch checkout back; the accepted commits stand.
                recorder.recordError(error.message)
                return makeOutcome(state, status: .failing,
                                   reason: "time budget of \(DurationText.format(settings.timeout ?? 0)) used up while the model was replying")
            }
            adoptRecheckedBaseline(&state)
            let result = played.result
            if state.accepted?.allPassed == true && settings.issueText == nil {
                return makeOutcome(state, status: .fixed, reason: "all tests pass")
            }
            // With a task in words the tests cannot tell when it is finished: the model says so.
            if settings.issueText != nil, result.verdict == .accepted || result.verdict == .noEdit,
               ReplyGrammar.saysDone(played.reply) {
                return makeOutcome(state, status: endStatus(state), reason: state.commits.isEmpty
                                   ? "the model said it is done, but no change was accepted" : "the model said the task is done")
            }
            if state.declined, result.verdict != .noEdit {
                return makeOutcome(state, status: endStatus(state), reason: "the model declined: \(state.declineReason ?? "no reason given")")
            }
            if result.verdict == .noEdit {
                emptyReplies += 1
                if state.declined || emptyReplies >= 2 {
                    return makeOutcome(state, status: endStatus(state),
                                       reason: state.declined ? "the model declined: \(state.declineReason ?? "no reason given")" : "the model gave no usable edit twice in a row")
                }
            } else {
                emptyReplies = 0
            }
            if let reason = repeats.stopReason(after: played) {
                return makeOutcome(state, status: endStatus(state), reason: reason)
            }
        }
        let passing = state.accepted?.allPassed == true && settings.issueText == nil
        return makeOutcome(state, status: endStatus(state),
                           reason: passing ? "all tests pass" : "reached the maximum of \(settings.maxRounds) round\(settings.maxRounds == 1 ? "" : "s")")
    }

    /// How a run that stops now ends: fixed when the tests pass, and, with a task in words, when
    /// a change for it was accepted too (passing tests alone do not say the task was done).
    private func endStatus(_ state: RunState) -> RunOutcome.Status {
        guard state.accepted?.allPassed == true else { return .failing }
        return settings.issueText == nil || !state.commits.isEmpty ? .fixed : .failing
    }

    /// One round, as one pass: stream the reply (each file patch applied as it completes), test
    /// what applied, then keep it as a commit or roll it back. The model is told what happened.
    private func playRound(_ round: Int, state: inout RunState, conversation: inout Conversation, builder: PromptBuilder,
                           scratch: ScratchSession, recorder: RunRecorder) async throws -> PlayedRound {
        if settings.candidates > 1 {
            return try await playCandidates(round, state: &state, conversation: &conversation, builder: builder,
                                            scratch: scratch, recorder: recorder)
        }
        if settings.onePatchPerRequest {
            return try await playOnePatch(round, state: &state, conversation: &conversation, builder: builder,
                                          scratch: scratch, recorder: recorder)
        }
        var attempt = RoundAttempt(round: round, prompt: conversation.messages, failingBefore: state.accepted?.failingCount ?? 0,
                                   parser: StreamingDiffParser(format: settings.editFormat), applier: applier(in: scratch),
                                   events: { recorder.record($0) })
        recorder.record(.roundStarted(round: round, promptCharacters: attempt.promptCharacters, promptTokens: attempt.promptTokens))
        let prefixes = prefixTestRuns(state: state, scratch: scratch)
        // Where the failing tests can run alone, they judge the complete reply first and reject a
        // patch that fixes none of them in a fraction of the suite's time; test runs on the
        // patches so far run the whole suite, so they are for commands that cannot be narrowed.
        let targeted = targetedExecutor(state: state)
        do {
            try await attempt.stream(from: model, request(attempt.prompt, state: state), testing: targeted == nil ? prefixes : nil)
        } catch {
            await prefixes.stopAll()
            try? rollBack(attempt.touched, in: scratch, to: state.tip)
            throw error
        }
        state.count(attempt.finish?.usage)
        conversation.append(assistant: attempt.reply)

        if let failure = attempt.failure {
            await prefixes.stopAll()
            try rollBack(attempt.touched, in: scratch, to: state.tip)
            conversation.append(user: builder.unappliedFeedback(
                problem: failure, files: readFiles(unique(attempt.touched), in: scratch.checkout.directory)))
            return PlayedRound(result: record(attempt, attempt.result(.patchFailed, failure), in: recorder),
                               reply: attempt.reply, patchFailure: failure, tests: nil)
        }
        if attempt.touched.isEmpty {
            await prefixes.stopAll()
            return PlayedRound(result: record(attempt, noEdit(attempt, state: &state, conversation: &conversation, builder: builder), in: recorder),
                               reply: attempt.reply, patchFailure: nil, tests: nil)
        }

        // A run on the patches so far that passed everything decides; else the tests that failed
        // before, alone, then the whole suite, on the complete reply; else the complete reply's run.
        let tested: TestedRound
        do {
            if let passed = attempt.passedPrefix {
                let run = try await prefixes.decide(passed)
                try attempt.keepPrefix(passed) { try rollBack($0, in: scratch, to: state.tip) }
                tested = judged(summarize(run, round: round, recorder: recorder), state: state, targetedSeconds: nil)
            } else if let targeted {
                recorder.record(.testsStarted(round: round, files: attempt.appliedFiles))
                tested = try await testRound(round, in: scratch, state: state, recorder: recorder, targeted: targeted)
            } else {
                let run = try await prefixes.decide(attempt.appliedFiles.count)
                tested = judged(summarize(run, round: round, recorder: recorder), state: state, targetedSeconds: nil)
            }
        } catch {
            await prefixes.stopAll()
            try? rollBack(attempt.touched, in: scratch, to: state.tip)
            throw error
        }
        let (execution, comparison) = (tested.judged, tested.comparison)
        let digest = feedbackDigest(execution, builder: builder, scratch: scratch)
        let result = accepts(comparison)
            ? try keep(attempt, tested: tested, digest: digest, state: &state, conversation: &conversation,
                       builder: builder, scratch: scratch)
            : try rollBack(attempt, tested: tested, digest: digest, state: state, conversation: &conversation,
                           builder: builder, scratch: scratch)
        return PlayedRound(result: record(attempt, result, tests: execution.summary, in: recorder), reply: attempt.reply,
                           patchFailure: nil,
                           tests: .init(execution.report))
    }

    /// A round of one file patch per request (`OnePatchRound`): each patch is tested as soon as
    /// it is complete, the failing tests alone first where they can run alone, and the patches
    /// so far become the round's commit as soon as they improve on the last accepted run. Until
    /// then the model hears each result and is asked for the next patch; a patch that does not
    /// apply, the model saying it is done, or the most patches a round asks for end the round,
    /// and its patches are rolled back.
    private func playOnePatch(_ round: Int, state: inout RunState, conversation: inout Conversation, builder: PromptBuilder,
                              scratch: ScratchSession, recorder: RunRecorder) async throws -> PlayedRound {
        var patches = OnePatchRound(round: round, failingBefore: state.accepted?.failingCount ?? 0, editFormat: settings.editFormat,
                                    applier: applier(in: scratch), events: { recorder.record($0) })
        let targeted = targetedExecutor(state: state)
        var latest: (tested: TestedRound, digest: FailureDigest)?
        requests: while true {
            let step: RoundAttempt
            let tested: TestedRound
            do {
                step = try await patches.requestPatch(request(conversation.messages, state: state), from: model)
                state.count(step.finish?.usage)
                conversation.append(assistant: step.reply)
                guard step.failure == nil, !step.touched.isEmpty else { break requests }
                recorder.record(.step(patches.step, .testsStarted(round: round, files: patches.appliedFiles)))
                if let targeted {
                    tested = try await testRound(round, in: scratch, state: state, recorder: recorder, targeted: targeted)
                } else {
                    tested = judged(try await runTests(in: scratch, round: round, state: state, recorder: recorder),
                                    state: state, targetedSeconds: nil)
                }
            } catch {
                try? rollBack(patches.touched, in: scratch, to: state.tip)
                throw error
            }
            patches.tested(tested.judged.summary, seconds: tested.seconds)
            let execution = tested.judged
            let digest = feedbackDigest(execution, builder: builder, scratch: scratch)
            if accepts(tested.comparison) {
                let result = try keep(patches, tested: tested, digest: digest, state: &state, conversation: &conversation,
                                      builder: builder, scratch: scratch)
                return PlayedRound(result: record(patches, result, tests: execution.summary, in: recorder), reply: patches.reply,
                                   patchFailure: nil, tests: .init(execution.report))
            }
            latest = (tested, digest)
            if patches.isFull { break requests }
            let rejection = Rejection(tested.comparison, failingBefore: tested.comparison.beforeFailingCount,
                                      failingAfter: execution.report.failingCount)
            conversation.append(user: builder.nextPatchFeedback(path: step.appliedFiles.last ?? "the file", outcome: rejection.reason,
                                                                digest: digest.text))
        }

        if let failure = patches.steps.last?.failure {
            try rollBack(patches.touched, in: scratch, to: state.tip)
            conversation.append(user: builder.unappliedFeedback(
                problem: failure, files: readFiles(patches.touched, in: scratch.checkout.directory)))
            let result = patches.result(.patchFailed, failure, after: nil, newlyFailing: [], commit: nil, tests: nil)
            return PlayedRound(result: record(patches, result, in: recorder), reply: patches.reply, patchFailure: failure, tests: nil)
        }
        guard let latest else {
            return PlayedRound(result: record(patches, noEdit(patches, state: &state, conversation: &conversation, builder: builder), in: recorder),
                               reply: patches.reply, patchFailure: nil, tests: nil)
        }
        let ending = patches.isFull ? "after \(OnePatchRound.maxPatches) file patches, the most a round asks for"
            : "and the model had no further patch"
        let result = try rollBack(patches, tested: latest.tested, digest: latest.digest, state: state, conversation: &conversation,
                                  builder: builder, scratch: scratch, ending: ending)
        // A decline after patches that did not help ends the run, as a decline in a first reply does.
        if let decline = patches.steps.last.flatMap({ ReplyGrammar.declineReason(in: $0.reply) }) {
            state.declined = true
            state.declineReason = decline
        }
        let execution = latest.tested.judged
        return PlayedRound(result: record(patches, result, tests: execution.summary, in: recorder), reply: patches.reply,
                           patchFailure: nil, tests: .init(execution.report))
    }

    /// A round of several replies at once: the best improving candidate is kept as the round's
    /// commit, the fewest failing tests first, then the smallest change, then the lowest number.
    /// When none improves, the model hears about the one that came nearest. Every other
    /// candidate that applied is kept on a ref of the run.
    private func playCandidates(_ round: Int, state: inout RunState, conversation: inout Conversation, builder: PromptBuilder,
                                scratch: ScratchSession, recorder: RunRecorder) async throws -> PlayedRound {
        let prompt = conversation.messages
        recorder.record(.roundStarted(round: round, promptCharacters: prompt.reduce(0) { $0 + $1.content.count },
                                      promptTokens: Conversation.estimatedTokens(prompt)))
        let base = request(prompt, state: state)
        let asked = CandidateRequest.round(round, count: settings.candidates, temperature: settings.temperature,
                                           others: settings.candidateTemperature)
        let (settings, started) = (settings, state.started)
        let candidateRound = CandidateRound(
            round: round, prompt: prompt, failingBefore: state.accepted?.failingCount ?? 0,
            requests: asked.map { candidate in
                var request = base
                request.temperature = candidate.temperature
                request.seed = candidate.seed
                return (candidate, request)
            },
            repository: repository, scratch: scratch, tip: state.tip, runID: state.snapshot.run.id,
            editFormat: settings.editFormat, applier: applier(in: scratch), tests: tests, parallelTests: settings.parallelTests,
            timeout: { Self.testTimeout(settings, started: started) }, emit: { recorder.record($0) })
        let candidates = try await candidateRound.play(model)
        for candidate in candidates { state.count(candidate.attempt.finish?.usage) }

        let before = state.accepted
        let rank: (Candidate) -> (Int, Int, Int) = { ($0.run?.report.failingCount ?? Int.max, $0.attempt.changedLines, $0.request.number) }
        let winner = candidates.filter { candidate in
            candidate.run.map { accepts(ReportComparison(before: before ?? $0.report, after: $0.report)) } ?? false
        }.min { rank($0) < rank($1) }
        let lead = winner ?? candidates.filter { $0.run != nil }.min { rank($0) < rank($1) }
            ?? candidates.first { $0.attempt.failure != nil } ?? candidates[0]
        let refs = try keepOutdone(candidates, except: winner?.request.number, round: round, state: state)

        let attempt = lead.attempt
        conversation.append(assistant: attempt.reply)
        var result: RoundResult
        var tests: Execution?
        if let failure = attempt.failure {
            conversation.append(user: builder.unappliedFeedback(
                problem: failure, files: readFiles(unique(attempt.touched), in: scratch.checkout.directory)))
            result = attempt.result(.patchFailed, failure)
        } else if let run = lead.run, let commit = lead.commit {
            // The lead's change goes back into the checkout: the digest reads it, the commit is built from it.
            try scratch.checkout.restore(paths: attempt.touched, to: commit, from: repository)
            let execution = summarize(run, round: round, recorder: recorder)
            let tested = judged(execution, state: state, targetedSeconds: nil)
            let digest = feedbackDigest(execution, builder: builder, scratch: scratch)
            result = winner != nil
                ? try keep(attempt, tested: tested, digest: digest, state: &state, conversation: &conversation,
                           builder: builder, scratch: scratch)
                : try rollBack(attempt, tested: tested, digest: digest, state: state, conversation: &conversation,
                               builder: builder, scratch: scratch)
            tests = execution
        } else {
            result = noEdit(attempt, state: &state, conversation: &conversation, builder: builder)
        }
        result.candidate = lead.request.number
        result.candidates = candidates.map { candidate in
            CandidateOutcome(candidate: candidate.request.number, seed: candidate.request.seed,
                             temperature: candidate.request.temperature,
                             verdict: verdict(of: candidate, winner: winner?.request.number, before: before),
                             appliedFiles: candidate.attempt.appliedFiles, failingAfter: candidate.run?.report.failingCount,
                             changedLines: candidate.attempt.changedLines, ref: refs[candidate.request.number])
        }
        var transcript = attempt.transcript(result, tests: tests?.summary)
        transcript.candidates = candidates.map { candidate in
            CandidateTranscript(candidate: candidate.request.number, seed: candidate.request.seed,
                                temperature: candidate.request.temperature, reply: candidate.attempt.reply,
                                patches: candidate.attempt.patchRecords,
                                tests: candidate.run.map { summarize($0, round: round, recorder: nil).summary })
        }
        recorder.recordRound(transcript)
        return PlayedRound(result: result, reply: attempt.reply, patchFailure: attempt.failure,
                           tests: tests.map { .init($0.report) })
    }

    private func verdict(of candidate: Candidate, winner: Int?, before: TestReport?) -> CandidateOutcome.Verdict {
        if candidate.request.number == winner { return .accepted }
        if candidate.attempt.failure != nil { return .patchFailed }
        guard let run = candidate.run else { return .noEdit }
        return accepts(ReportComparison(before: before ?? run.report, after: run.report)) ? .outdone : .notImproving
    }

    /// Points a ref of the run at every candidate that applied and was not accepted; their refs by number.
    private func keepOutdone(_ candidates: [Candidate], except winner: Int?, round: Int, state: RunState) throws -> [Int: String] {
        var refs: [Int: String] = [:]
        for candidate in candidates where candidate.request.number != winner {
            guard let commit = candidate.commit else { continue }
            let ref = state.snapshot.run.candidateRef(round: round, candidate: candidate.request.number)
            try repository.updateReference(ref, to: commit, expected: nil,
                                           message: "git autofix: round \(round), candidate \(candidate.request.number)")
            refs[candidate.request.number] = ref
        }
        return refs
    }

    /// Accepted only when nothing that passed now fails (or vanished) and fewer tests fail. With
    /// a task in words a change may leave the failures as they were (a bug no test shows yet),
    /// but it must break nothing, and the tests it adds must pass.
    private func accepts(_ comparison: ReportComparison) -> Bool {
        if comparison.isImprovement { return true }
        return settings.issueText != nil && !comparison.isRegression
            && comparison.afterFailingCount <= comparison.beforeFailingCount
    }

    private func request(_ messages: [ChatMessage], state: RunState) -> ChatRequest {
        var request = ChatRequest(model: settings.model, messages: messages)
        request.temperature = settings.temperature
        request.topP = settings.topP
        request.maxTokens = state.budget.completionTokens
        request.extraFields = settings.requestFields
        // The reply must end within the run's time budget too, not only the test runs.
        request.timeLimit = settings.timeout.map { $0 - Date().timeIntervalSince(state.started) }
        return request
    }

    private func applier(in scratch: ScratchSession) -> PatchApplier {
        let root = scratch.checkout.directory
        return PatchApplier(root: root, policy: PathPolicy(root: root, protectedGlobs: settings.protectedGlobs))
    }

    private func record(_ attempt: some RoundChange, _ result: RoundResult, tests: TestSummary? = nil,
                        in recorder: RunRecorder) -> RoundResult {
        recorder.recordRound(attempt.transcript(result, tests: tests))
        return result
    }

    /// A reply without an edit: a decline ends the run, anything else is asked again.
    private func noEdit(_ attempt: some RoundChange, state: inout RunState, conversation: inout Conversation,
                        builder: PromptBuilder) -> RoundResult {
        if let decline = ReplyGrammar.declineReason(in: attempt.reply) {
            state.declined = true
            state.declineReason = decline
        }
        conversation.append(user: builder.noEditFeedback())
        return attempt.result(.noEdit, state.declined ? "the model declined" : "no edit in the reply", after: nil, newlyFailing: [],
                              commit: nil, tests: nil)
    }

    /// The tests improved: the change becomes a commit on the run ref.
    private func keep(_ attempt: some RoundChange, tested: TestedRound, digest: FailureDigest, state: inout RunState, conversation: inout Conversation, builder: PromptBuilder,
                      scratch: ScratchSession) throws -> RoundResult {
        let (after, comparison) = (tested.judged.report, tested.comparison)
        // Counted as the rule counts them: after a failed build, every test was failing.
        let failingBefore = comparison.beforeFailingCount
        if state.commits.isEmpty { state.baselineFailingCounted = failingBefore }
        let commit = try commitRound(attempt.round, touched: attempt.touched, summary: attempt.summaryLine,
                                     failing: "\(failingBefore) -> \(after.failingCount)", state: &state, scratch: scratch)
        state.accepted = after
        state.knownFiles.formUnion(attempt.touched)
        conversation.append(user: builder.acceptedFeedback(
            failingBefore: failingBefore, failingAfter: after.failingCount, allPassed: after.allPassed, digest: digest.text,
            files: readFiles(unique(attempt.touched + known(digest.referencedFiles, state)), in: scratch.checkout.directory)))
        return attempt.result(.accepted, "failing \(failingBefore) -> \(after.failingCount)", after: after, newlyFailing: [],
                              commit: commit, tests: tested.seconds)
    }

    /// The tests did not improve: the checkout goes back to the last accepted commit. `ending`
    /// says what ended a round of several requests, after the reason.
    private func rollBack(_ attempt: some RoundChange, tested: TestedRound, digest: FailureDigest, state: RunState, conversation: inout Conversation, builder: PromptBuilder,
                          scratch: ScratchSession, ending: String? = nil) throws -> RoundResult {
        let (after, comparison) = (tested.judged.report, tested.comparison)
        try rollBack(attempt.touched, in: scratch, to: state.tip)
        let rejection = Rejection(comparison, failingBefore: comparison.beforeFailingCount, failingAfter: after.failingCount)
        conversation.append(user: builder.rolledBackFeedback(
            rejection, digest: digest.text,
            files: readFiles(unique(attempt.touched + known(digest.referencedFiles, state)), in: scratch.checkout.directory)))
        var reason = tested.seconds.full == nil ? rejection.reason + " (only the tests that failed before were run)" : rejection.reason
        if let ending { reason += " " + ending }
        return attempt.result(.rejected, reason, after: after, newlyFailing: comparison.newlyFailing, commit: nil,
                              tests: tested.seconds)
    }

    // MARK: pieces

    /// Puts `paths` back as they are in `commit`. The next test run sees them with modification
    /// times that caches notice: `SandboxView.update` moves a rewritten file past its old second.
    private func rollBack(_ paths: [String], in scratch: ScratchSession, to commit: ObjectID) throws {
        try scratch.checkout.restore(paths: paths, to: commit, from: repository)
    }

    struct Execution {
        let report: TestReport
        let output: String
        let summary: TestSummary
        /// The limit the sandbox stopped the tests at, said to the model too.
        let limitNote: String?
    }

    /// A round's tests as they judged it: the run that decided and what it showed against the
    /// last accepted run.
    struct TestedRound {
        let judged: Execution
        let comparison: ReportComparison
        let seconds: RoundTestSeconds
    }

    private func judged(_ execution: Execution, state: RunState, targetedSeconds: Double?) -> TestedRound {
        TestedRound(judged: execution, comparison: ReportComparison(before: state.accepted ?? execution.report, after: execution.report),
                    seconds: RoundTestSeconds(targeted: targetedSeconds, full: execution.summary.seconds))
    }

    /// The executor for the tests that failed before, alone, when they can be selected and their
    /// result alone can reject the patch.
    private func targetedExecutor(state: RunState) -> TestExecutor? {
        guard let before = state.accepted,
              let command = TargetedRoundTests(testCommand: settings.testCommand, before: before,
                                               mayRejectWithoutFix: settings.issueText == nil).command
        else { return nil }
        return tests.selecting(command)
    }

    /// The tests that failed before first, alone; then, unless they rejected the patch, the whole suite.
    private func testRound(_ round: Int, in scratch: ScratchSession, state: RunState, recorder: RunRecorder,
                           targeted selected: TestExecutor) async throws -> TestedRound {
        let before = state.accepted!
        let targeted = try await runTests(in: scratch, round: round, state: state, recorder: recorder, using: selected)
        if TargetedRoundTests.rejectsAtOnce(before: before, targeted: targeted.report) {
            return TestedRound(judged: targeted, comparison: ReportComparison(before: before, after: targeted.report),
                               seconds: RoundTestSeconds(targeted: targeted.summary.seconds, full: nil))
        }
        let full = try await runTests(in: scratch, round: round, state: state, recorder: recorder)
        if let rechecked = try await recheckBaseline(against: full, state: state, recorder: recorder) {
            return TestedRound(judged: full, comparison: ReportComparison(before: rechecked.report, after: full.report),
                               seconds: RoundTestSeconds(targeted: targeted.summary.seconds, full: full.summary.seconds))
        }
        return judged(full, state: state, targetedSeconds: targeted.summary.seconds)
    }

    // MARK: results remembered by tree

    /// The snapshot's tests: a stored result for its tree when one may stand for a new run,
    /// else a new run, which is stored for the next.
    private func baselineTests(in scratch: ScratchSession, state: inout RunState, recorder: RunRecorder) async throws -> Execution {
        let tree = try repository.commit(state.snapshot.commit).tree
        let results = TreeResults(repository: repository, tests: tests, command: settings.testCommand)
        if settings.reuseResults, let results, let stored = reusableBaseline(results, tree: tree) {
            if stored.key.environment == TestEnvironment.host { state.hostBaselineBy = stored.by }
            let execution = summarize(SessionTestRun(stored: stored, checkout: scratch.checkout.directory), round: 0, recorder: recorder)
            var summary = execution.summary
            summary.reusedFrom = ReusedResult(stored)
            return Execution(report: execution.report, output: execution.output, summary: summary, limitNote: execution.limitNote)
        }
        let timeout = Self.testTimeout(settings, started: state.started)
        let run = try await SessionTestRun.run(tests, in: scratch, timeout: timeout)
        results?.record(run, tree: tree, by: TestResultSource.run(state.snapshot.run.id), root: scratch.checkout.directory,
                        timeout: timeout, testTimeout: settings.testTimeout)
        return summarize(run, round: 0, recorder: recorder)
    }

    /// A result of the sandbox's own environment stands for a new run. One the pre-push hook
    /// made on the host stands for it only where each round can tell when the sandbox sees
    /// otherwise (`recheckBaseline`): one reply per round, and failing tests the rounds run alone first.
    private func reusableBaseline(_ results: TreeResults, tree: ObjectID) -> StoredTestResult? {
        if let own = results.stored(tree: tree) { return own }
        guard settings.candidates == 1, let host = results.storedOnHost(tree: tree) else { return nil }
        let report = TestReportParser.parse(output: host.output, exitCode: host.exitCode, timedOut: host.timedOut)
        guard let command = TargetedRoundTests(testCommand: settings.testCommand, before: report,
                                               mayRejectWithoutFix: settings.issueText == nil).command,
              tests.selecting(command) != nil
        else { return nil }
        return host
    }

    /// Set by `recheckBaseline` during a round; the run takes it as its baseline after the round.
    private var recheckedBaseline: Execution?

    /// While the baseline is the host's, a round whose whole suite shows failing a test that
    /// passed there may be seeing the sandbox, not the patch: the baseline runs again, in the
    /// sandbox, on the snapshot in a session of its own, and the round is judged against that.
    private func recheckBaseline(against full: Execution, state: RunState, recorder: RunRecorder) async throws -> Execution? {
        guard let hostRun = state.hostBaselineBy, state.commits.isEmpty, let before = state.accepted else { return nil }
        let comparison = ReportComparison(before: before, after: full.report)
        guard comparison.isRegression else { return nil }
        let session = try ScratchSession(repository: repository, commit: state.snapshot.commit, under: scratchParent)
        defer { session.remove() }
        let timeout = Self.testTimeout(settings, started: state.started)
        let run = try await SessionTestRun.run(tests, in: session, timeout: timeout)
        TreeResults(repository: repository, tests: tests, command: settings.testCommand)?
            .record(run, tree: try repository.commit(state.snapshot.commit).tree, by: TestResultSource.run(state.snapshot.run.id),
                    root: session.checkout.directory, timeout: timeout, testTimeout: settings.testTimeout)
        let rechecked = summarize(run, round: 0, recorder: recorder)
        let shown = (comparison.newlyFailing + comparison.missing).prefix(3).joined(separator: ", ")
        recorder.record(.baselineRechecked(rechecked.summary, reason:
            "the round showed \(shown) failing, which passed in \(TestResultSource.described(hostRun)) on the host"))
        if let failure = EnvironmentDiagnosis(settings: settings, environment: hostEnvironment, project: repository.workingDirectory)
            .diagnose(output: rechecked.output, exitCode: rechecked.summary.exitCode, report: rechecked.report) {
            throw failure
        }
        recheckedBaseline = rechecked
        return rechecked
    }

    /// After a round that ran the baseline again: that run is the baseline from now on.
    private func adoptRecheckedBaseline(_ state: inout RunState) {
        guard let rechecked = recheckedBaseline else { return }
        recheckedBaseline = nil
        state.hostBaselineBy = nil
        state.baseline = rechecked.report
        if state.commits.isEmpty { state.accepted = rechecked.report }
    }

    private func runTests(in scratch: ScratchSession, round: Int, state: RunState, recorder: RunRecorder,
                          using executor: TestExecutor? = nil) async throws -> Execution {
        let run = try await SessionTestRun.run(executor ?? tests, in: scratch, timeout: Self.testTimeout(settings, started: state.started))
        return summarize(run, round: round, recorder: recorder)
    }

    /// The time a test run starting now may take: the test time limit, within the run's time budget.
    private static func testTimeout(_ settings: RepairSettings, started: Date) -> Double {
        var timeout = settings.testTimeout
        if let budget = settings.timeout {
            timeout = max(1, min(timeout, budget - Date().timeIntervalSince(started)))
        }
        return timeout
    }

    /// The test runs of one reply's prefixes. Without a task in words, a run on a prefix that
    /// makes every test pass, breaking none, ends the reply: the rest cannot improve on it.
    private func prefixTestRuns(state: RunState, scratch: ScratchSession) -> PrefixTestRuns {
        let (settings, started, before) = (settings, state.started, state.accepted)
        var endsReply: (@Sendable (TestReport) -> Bool)?
        if settings.issueText == nil, let before {
            endsReply = { report in report.allPassed && ReportComparison(before: before, after: report).isImprovement }
        }
        return PrefixTestRuns(scratch: scratch, tests: tests, timeout: { Self.testTimeout(settings, started: started) },
                              endsReply: endsReply)
    }

    /// The run as the round judges it; `recorder` keeps its output as the round's.
    private func summarize(_ run: SessionTestRun, round: Int, recorder: RunRecorder?) -> Execution {
        let (execution, output, report) = (run.execution, run.output, run.report)
        recorder?.saveTestOutput(execution.output, round: round)
        let running = report.unfinishedTests.isEmpty ? nil
            : "still running when it stopped: " + report.unfinishedTests.prefix(5).joined(separator: ", ")
        let summary = TestSummary(
            framework: report.framework, failing: report.failingCount, passing: report.passingCount,
            failingTests: report.failing.map(\.id).sorted(), exitCode: execution.exitCode, timedOut: execution.timedOut,
            seconds: execution.seconds,
            note: [report.note, execution.limitNote, running].compactMap { $0 }.joined(separator: "; ").nilIfEmpty)
        return Execution(report: report, output: output, summary: summary, limitNote: execution.limitNote)
    }

    private func commitRound(_ round: Int, touched: [String], summary: String?, failing: String,
                             state: inout RunState, scratch: ScratchSession) throws -> ObjectID {
        let tree = try TreeBuilder(repository: repository).tree(from: state.tip, replacing: touched, in: scratch.checkout.directory)
        let subject = ReplyGrammar.commitSubject(summary, round: round)
        let message = Trailers.message(subject: subject, trailers: [
            ("Autofix-Run", state.snapshot.run.id),
            ("Autofix-Round", String(round)),
            ("Autofix-Model", TerminalSafeText.line(settings.model)),
            ("Autofix-Test-Command", TerminalSafeText.line(PortableCommand.recorded(
                settings.testCommand, repositoryRoot: repository.workingDirectory?.path,
                home: ProcessInfo.processInfo.environment["HOME"]))),
            ("Autofix-Failing", failing),
        ])
        let commit = try repository.createCommit(tree: tree, parents: [state.tip], message: message)
        try repository.updateReference(state.snapshot.run.ref, to: commit, expected: state.tip,
                                       message: "git autofix: round \(round)")
        state.tip = commit
        state.commits.append(commit)
        return commit
    }

    private func readFiles(_ paths: [String], in directory: URL) -> [(path: String, content: String)] {
        paths.compactMap { path in Self.readText(directory.appendingPathComponent(path)).map { (path, $0) } }
    }

    /// A text file's content; nil for a binary, unreadable or very large file.
    static func readText(_ url: URL) -> String? {
        guard let data = try? Data(contentsOf: url), data.count < 2_000_000, !data.contains(0) else { return nil }
        return String(data: data, encoding: .utf8)
    }

    /// The snapshot against its base (HEAD): the user's uncommitted work.
    private func uncommittedChanges(_ snapshot: Snapshot, snapshotTree: ObjectID) throws -> WorkingChanges {
        guard !snapshot.capture.isClean else { return WorkingChanges(files: []) }
        let base = try snapshot.base.map { try repository.commit($0).tree }
        return WorkingChanges(patchText: try repository.patchText(from: base, to: snapshotTree))
    }

    /// What the model hears of a round's tests. Read before the checkout changes: it names the
    /// files the failures point at.
    private func feedbackDigest(_ execution: Execution, builder: PromptBuilder, scratch: ScratchSession) -> FailureDigest {
        FailureDigest.make(report: execution.report, output: execution.output, repositoryRoot: scratch.checkout.directory,
                           tokenBudget: digestTokens(builder.feedbackTokens / 2), stoppedBy: execution.limitNote)
    }

    /// The digest's share of a message: enough for the failures, never the whole budget.
    private func digestTokens(_ share: Int) -> Int { max(200, min(2000, share)) }

    /// Only files of the snapshot or of accepted commits reach a prompt: never ignored files
    /// (`.env`, build output) that a traceback happens to name.
    private func known(_ paths: [String], _ state: RunState) -> [String] {
        paths.filter { state.knownFiles.contains($0) }
    }

    private func unique(_ paths: [String]) -> [String] {
        var seen = Set<String>()
        return paths.filter { seen.insert($0).inserted }
    }

    private func makeOutcome(_ state: RunState, status: RunOutcome.Status, reason: String) -> RunOutcome {
        RunOutcome(status: status, stopReason: reason, run: state.snapshot.run.id, ref: state.snapshot.run.ref,
                   snapshot: state.snapshot.commit.hex, commits: state.commits.map(\.hex), rounds: state.rounds,
                   failingBefore: state.baselineFailingCounted ?? state.baseline?.failingCount ?? 0, failingAfter: state.accepted?.failingCount ?? 0,
                   seconds: Date().timeIntervalSince(state.started),
                   promptTokens: state.usageReported ? state.promptTokens : nil,
                   completionTokens: state.usageReported ? state.completionTokens : nil,
                   hadLocalChanges: !state.snapshot.capture.isClean || state.snapshot.stagedCommit != nil)
    }
}

/// What a run has done so far.
struct RunState {
    let snapshot: Snapshot
    let started: Date
    let budget: ContextBudget
    var tip: ObjectID
    var commits: [ObjectID] = []
    var baseline: TestReport?
    /// The baseline's failures as the first accepted round counted them (all tests, after a failed build).
    var baselineFailingCounted: Int?
    var accepted: TestReport?
    var rounds = 0
    var promptTokens = 0
    var completionTokens = 0
    var usageReported = false
    var declined = false
    var declineReason: String?
    var knownFiles: Set<String> = []
    var scratchRoot: URL?
    /// Who made the baseline, while it is a result from the host (the pre-push hook's) that the
    /// sandbox has not run yet.
    var hostBaselineBy: String?

    init(snapshot: Snapshot, started: Date, budget: ContextBudget) {
        self.snapshot = snapshot
        self.started = started
        self.budget = budget
        self.tip = snapshot.commit
    }

    mutating func count(_ usage: TokenUsage?) {
        guard let usage else { return }
        usageReported = true
        promptTokens += usage.promptTokens
        completionTokens += usage.completionTokens
    }
}

/// The messages of a run: stable system and first message, then appended rounds. When the
/// conversation grows past its budget, the oldest rounds go from the middle, then the last reply
/// is shortened, so that no request holds more than the budget.
struct Conversation {
    private(set) var messages: [ChatMessage]
    /// Estimated tokens (`PromptBuilder.estimatedTokens`) all messages may take.
    let budgetTokens: Int

    init(system: String, budgetTokens: Int = ContextBudget.resolve(configured: nil, reported: nil, maxCompletionTokens: 2048).promptTokens) {
        messages = [ChatMessage(role: .system, content: system)]
        self.budgetTokens = budgetTokens
    }

    static func estimatedTokens(_ messages: [ChatMessage]) -> Int {
        messages.reduce(0) { $0 + PromptBuilder.estimatedTokens($1.content) }
    }

    var estimatedTokens: Int { Self.estimatedTokens(messages) }

    mutating func start(_ text: String) { messages.append(ChatMessage(role: .user, content: text)) }

    mutating func append(assistant text: String) {
        messages.append(ChatMessage(role: .assistant, content: text.isEmpty ? "(empty reply)" : text))
    }

    mutating func append(user text: String) {
        messages.append(ChatMessage(role: .user, content: text))
        while estimatedTokens > budgetTokens, messages.count > 4 {
            messages.removeSubrange(2...3)
        }
        guard estimatedTokens > budgetTokens, messages.count == 4 else { return }
        let others = Self.estimatedTokens(messages) - PromptBuilder.estimatedTokens(messages[2].content)
        messages[2].content = Self.shortened(messages[2].content, toTokens: budgetTokens - others)
    }

    /// `text` cut to its head and tail within `tokens`, saying how much is left out.
    static func shortened(_ text: String, toTokens tokens: Int) -> String {
        let marker = "\n… (part of this reply left out to stay within the context window) …\n"
        let room = tokens * 4 - marker.utf8.count - 8
        guard room > 0 else { return "(reply left out to stay within the context window)" }
        let characters = Array(text)
        guard characters.count > room else { return text }
        return String(characters.prefix(room / 2)) + marker + String(characters.suffix(room / 2))
    }
}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}
