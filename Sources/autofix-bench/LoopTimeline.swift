import AutofixCore
import AutofixModel
import Foundation

/// Everything one in-process repair run did, with monotonic times (`BenchClock`): the loop's own
/// events, each model request (called, last event received) and each test run (started, ended).
final class LoopTimeline: @unchecked Sendable {
    struct Stamped<Value> {
        let at: UInt64
        let value: Value
    }

    struct ModelCall {
        let called: UInt64
        let lastEvent: UInt64
    }

    struct TestCall {
        let started: UInt64
        let ended: UInt64
    }

    private let lock = NSLock()
    private(set) var events: [Stamped<RunEvent>] = []
    private(set) var modelCalls: [ModelCall] = []
    private(set) var testCalls: [TestCall] = []
    var runCalled: UInt64 = 0
    var runReturned: UInt64 = 0

    func record(_ event: RunEvent) {
        let now = BenchClock.now()
        lock.lock()
        events.append(Stamped(at: now, value: event))
        lock.unlock()
    }

    func record(_ call: ModelCall) {
        lock.lock()
        modelCalls.append(call)
        lock.unlock()
    }

    func record(_ call: TestCall) {
        lock.lock()
        testCalls.append(call)
        lock.unlock()
    }
}

/// Passes the real client's stream through and notes when it was asked for and when its last
/// event arrived, which is when the model's part of a round ends.
struct TimedModel: ChatModel {
    let inner: ChatModel
    let timeline: LoopTimeline

    func stream(_ request: ChatRequest) -> AsyncThrowingStream<ModelEvent, Error> {
        let called = BenchClock.now()
        let upstream = inner.stream(request)
        let timeline = self.timeline
        return AsyncThrowingStream { continuation in
            let forward = Task {
                var last = called
                do {
                    for try await event in upstream {
                        last = BenchClock.now()
                        continuation.yield(event)
                    }
                    timeline.record(LoopTimeline.ModelCall(called: called, lastEvent: last))
                    continuation.finish()
                } catch {
                    timeline.record(LoopTimeline.ModelCall(called: called, lastEvent: last))
                    continuation.finish(throwing: error)
                }
            }
            // The loop dropping its stream (a failed patch) must cancel the transfer, as it does
            // without this wrapper.
            continuation.onTermination = { _ in forward.cancel() }
        }
    }
}

/// Reads each reply to its end and passes it on as one delta: the loop then parses and applies
/// every patch after the reply, which is what applying during the stream is measured against.
/// Reading on after a bad patch is part of that: the server sends the reply whole.
struct WholeReplyModel: ChatModel {
    let inner: ChatModel

    func checkReachable() async throws { try await inner.checkReachable() }

    func stream(_ request: ChatRequest) -> AsyncThrowingStream<ModelEvent, Error> {
        let upstream = inner.stream(request)
        return AsyncThrowingStream { continuation in
            let forward = Task {
                var text = ""
                var finish: ModelFinish?
                do {
                    for try await event in upstream {
                        switch event {
                        case .delta(let delta): text += delta
                        case .finished(let info): finish = info
                        }
                    }
                    if !text.isEmpty { continuation.yield(.delta(text)) }
                    if let finish { continuation.yield(.finished(finish)) }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in forward.cancel() }
        }
    }
}

/// Notes when each test run starts and ends around another executor.
struct TimedTests: TestExecutor {
    let inner: TestExecutor
    let timeline: LoopTimeline

    func runTests(in directory: URL, timeout: Double) async throws -> TestExecution {
        let started = BenchClock.now()
        let execution = try await inner.runTests(in: directory, timeout: timeout)
        timeline.record(LoopTimeline.TestCall(started: started, ended: BenchClock.now()))
        return execution
    }
}

/// `check.sh`'s output computed in-process: tests that cost nothing, so a round's time is the
/// tool's own (and the scripted model's).
struct InstantTests: TestExecutor {
    func runTests(in directory: URL, timeout: Double) async throws -> TestExecution {
        let result = LoopFixture.expectedTestOutput(in: directory)
        return TestExecution(output: result.output, exitCode: result.exitCode, timedOut: false, seconds: 0, limitNote: nil)
    }
}

/// One round cut into the parts the benchmark reports, in seconds.
struct RoundTiming {
    let round: Int
    let verdict: RoundResult.Verdict
    /// roundStarted → roundFinished.
    let total: Double
    /// Model request to its last event (the scripted server and the HTTP client).
    let model: Double
    /// The test command (zero-cost for `InstantTests`, a process for the sandboxes).
    let tests: Double
    /// Parsing the delta that completed a patch plus applying it, summed over the round's patches.
    let apply: Double
    /// Model request → first patch applied or refused.
    let firstPatch: Double?
    /// The model's last event → tests started.
    let streamEndToTests: Double?
    /// Tests ended → round finished: report parsing, comparison, roll back or commit, feedback.
    let afterTests: Double?
    var overhead: Double { total - model - tests }
}

/// The once-per-run parts, in seconds.
struct RunTiming {
    /// `run()` called → `started` event: snapshot, run record.
    let snapshot: Double
    /// `started` → baseline tests start: scratch checkout.
    let checkout: Double
    /// Baseline tests end → round 1 starts: digest, file list, related files, first prompt.
    let firstPrompt: Double
    /// Last round finished → `run()` returned: outcome, status, note.
    let finish: Double
    let rounds: [RoundTiming]
}

extension LoopTimeline {
    func seconds(_ from: UInt64, _ to: UInt64) -> Double { Double(Int64(to) - Int64(from)) / 1e9 }

    func analyse() throws -> RunTiming {
        guard let started = events.first(where: { if case .started = $0.value { return true } else { return false } }),
              let baselineTests = testCalls.first,
              let firstRound = events.first(where: { if case .roundStarted = $0.value { return true } else { return false } }),
              let lastFinished = events.last(where: { if case .roundFinished = $0.value { return true } else { return false } })
        else { throw BenchError("the run played no round: \(events.map { "\($0.value)".prefix(80) })") }

        var rounds: [RoundTiming] = []
        var testIndex = 1
        var modelIndex = 0
        var roundStart: UInt64 = 0
        var previousEvent: UInt64 = 0
        var apply = 0.0
        var testsStarted: UInt64?
        var firstPatchAt: UInt64?
        for stamped in events {
            defer { previousEvent = stamped.at }
            switch stamped.value {
            case .roundStarted:
                roundStart = stamped.at
                apply = 0
                testsStarted = nil
                firstPatchAt = nil
            case .patchApplied:
                apply += seconds(previousEvent, stamped.at)
                if firstPatchAt == nil { firstPatchAt = stamped.at }
            case .patchRejected:
                if firstPatchAt == nil { firstPatchAt = stamped.at }
            case .testsStarted:
                testsStarted = stamped.at
            case .roundFinished(let result):
                guard modelIndex < modelCalls.count else { throw BenchError("round \(result.round) made no model request") }
                let model = modelCalls[modelIndex]
                modelIndex += 1
                var tests: TestCall?
                if testsStarted != nil {
                    guard testIndex < testCalls.count else { throw BenchError("round \(result.round) ran no tests") }
                    tests = testCalls[testIndex]
                    testIndex += 1
                }
                rounds.append(RoundTiming(
                    round: result.round, verdict: result.verdict, total: seconds(roundStart, stamped.at),
                    model: seconds(model.called, model.lastEvent), tests: tests.map { seconds($0.started, $0.ended) } ?? 0,
                    apply: apply, firstPatch: firstPatchAt.map { seconds(model.called, $0) }, streamEndToTests: tests.map { seconds(model.lastEvent, $0.started) },
                    afterTests: tests.map { seconds($0.ended, stamped.at) }))
            default:
                break
            }
        }
        return RunTiming(
            snapshot: seconds(runCalled, started.at), checkout: seconds(started.at, baselineTests.started),
            firstPrompt: seconds(baselineTests.ended, firstRound.at), finish: seconds(lastFinished.at, runReturned),
            rounds: rounds)
    }
}
