import AutofixBenchSupport
import AutofixCore
import AutofixGit
import AutofixModel
import AutofixSupport
import Foundation

/// One file patch per request against one reply of every patch, on the loop benchmark's
/// repository with one failing test: the time from the baseline to round 1's verdict for a
/// change of 1, 2 and 3 file patches streamed at 30 tokens/s, the fixing patch first or last,
/// both modes in the same run. The other patches touch source files the tests do not read.
/// Then how a request's one patch is best ended: cut at its closing fence, or by a stop
/// sequence, or read to the end of a reply that goes on past it.
enum OnePatchBench {
    struct Options {
        var files = 1_000
        var repetitions = 3
        /// 30 tokens/s, about 4 characters a token.
        var tokenDelay = 1.0 / 30
        /// What one test run costs: a small suite's time, the same in both modes.
        var testSeconds = 0.5

        static let smoke = Options(files: 200, repetitions: 1, tokenDelay: 0.001, testSeconds: 0)
    }

    static func run(smoke: Bool) throws {
        try run(smoke ? .smoke : Options())
    }

    static func run(_ options: Options) throws {
        Hermetic.applyToCurrentProcess()
        MachineDescription.announce(.code)
        let fixture = try LoopFixture(trackedFiles: options.files, environment: Hermetic.environment)
        // One failing test, so that the fix alone makes every test pass.
        try "case01 fail\n".write(to: fixture.url.appendingPathComponent("cases.txt"), atomically: true, encoding: .utf8)
        try timeToVerdict(fixture, options)
        try endOfOnePatch(fixture, options)
    }

    /// Makes the one failing test pass.
    static let fix = "--- a/cases.txt\n+++ b/cases.txt\n@@ -1 +1 @@\n-case01 fail\n+case01 pass\n"

    /// `count` patches, the fix first or last, the others to source files the tests do not read.
    static func patches(_ count: Int, fixFirst: Bool) -> [String] {
        let others = LoopFixture.editedFiles.prefix(count - 1).map { LoopFixture.sourcePatch(file: $0) }
        return fixFirst ? [fix] + others : others + [fix]
    }

    static func fenced(_ patch: String) -> String { "```diff\n" + patch + "```\n" }

    // MARK: time to verdict

    static func timeToVerdict(_ fixture: LoopFixture, _ options: Options) throws {
        print()
        print(String(format: "one patch per request against one reply: baseline → round 1's verdict, replies streamed at %.0f tokens/s"
            + " (4 characters a token), each test run %.1f s, %d runs each; median (p10–p90)",
            1 / options.tokenDelay, options.testSeconds, options.repetitions))
        var table = BenchTable(["patches", "fix", "one reply", "one patch per request", "per request / one reply",
                                "requests", "test runs (one reply / per request)"])
        for count in 1...3 {
            for fixFirst in [true, false] where count > 1 || fixFirst {
                let list = patches(count, fixFirst: fixFirst)
                var whole: [Double] = [], perRequest: [Double] = []
                var wholeRuns = 0, stepRuns = 0, requests = 0
                for _ in 0..<options.repetitions {
                    let one = try Played.play(fixture, options, onePatch: false, replies: [
                        reply("Summary: fix case01\n\n" + list.map(fenced).joined(separator: "\n"), options),
                    ])
                    whole.append(one.verdictSeconds)
                    wholeRuns = one.testRuns
                    let fixAt = fixFirst ? 1 : count
                    let steps = try Played.play(fixture, options, onePatch: true, replies: list.prefix(fixAt).enumerated().map { index, patch in
                        reply((index == 0 ? "Summary: fix case01\n\n" : "") + fenced(patch), options)
                    })
                    guard steps.steps == fixAt else {
                        throw BenchError("one patch per request, \(count) patches: expected \(fixAt) requests, got \(steps.steps)")
                    }
                    perRequest.append(steps.verdictSeconds)
                    stepRuns = steps.testRuns
                    requests = steps.steps
                }
                table.add(["\(count)", count == 1 ? "the only one" : fixFirst ? "first" : "last",
                           Spread(whole).text, Spread(perRequest).text,
                           Format.ratio(Spread(perRequest).median / Spread(whole).median),
                           "\(requests)", "\(wholeRuns) / \(stepRuns)"])
            }
        }
        print(table.render())
        print("one reply = today's loop: patches applied as they complete, a test run on the patches so far whenever the reply"
            + " pauses, the rest of the reply cancelled once a run passes everything. The scripted server charges nothing for a"
            + " prompt: a real one reads each further request's new messages (the earlier ones from its prefix cache)")
    }

    // MARK: how a request's one patch ends

    static func endOfOnePatch(_ fixture: LoopFixture, _ options: Options) throws {
        print()
        print("the end of a request's one patch, when the model would go on with two more: request → patch applied; median (p10–p90)")
        let patch = fenced(fix)
        let rest = patches(3, fixFirst: false).dropLast().map(fenced).joined(separator: "\n")
        // A server given the stop sequence "\n```\n" ends the reply before the closing fence, at once.
        let stopped = ScriptedSSEServer.Reply(
            headers: [("Content-Type", "text/event-stream")],
            chunks: replyChunks(String(patch.dropLast(4)), options, trailingDelay: 0))
        var table = BenchTable(["how the patch ends", "patch applied", "server chunks sent", "client left early"])
        for (label, made) in [("cut at its closing fence (the loop's way)", reply(patch + "\n" + rest, options)),
                              ("a stop sequence ends the reply there", stopped)] {
            var seconds: [Double] = []
            var sent: [Int] = [], left = 0
            for _ in 0..<options.repetitions {
                let played = try Played.play(fixture, options, onePatch: true, replies: [made])
                guard let applied = played.firstPatchSeconds else { throw BenchError("\(label): the patch did not apply") }
                seconds.append(applied)
                sent += played.connections.map(\.chunksSent)
                left += played.connections.filter(\.clientLeftEarly).count
            }
            table.add([label, Spread(seconds).text, "\(Int(Statistics.median(sent.map(Double.init)))) of \(made.chunks.count)",
                       "\(left) of \(options.repetitions)"])
        }
        print(table.render())
    }

    // MARK: replies

    static func reply(_ text: String, _ options: Options) -> ScriptedSSEServer.Reply {
        .init(headers: [("Content-Type", "text/event-stream")], chunks: replyChunks(text, options, trailingDelay: options.tokenDelay))
    }

    /// One SSE event a token, `tokenDelay` apart; the events after the text (finish, usage, done) `trailingDelay` apart.
    static func replyChunks(_ text: String, _ options: Options, trailingDelay: Double) -> [ScriptedSSEServer.Chunk] {
        let pieces = LoopFixture.deltas(text)
        let events = ScriptedSSEServer.chatStreamEvents(pieces, usage: (prompt: 1000, completion: pieces.count))
        return events.enumerated().map { index, event in
            .init(event, delay: index <= pieces.count ? options.tokenDelay : trailingDelay)
        }
    }
}

/// One in-process run of round 1, timed from its events.
private struct Played {
    let verdictSeconds: Double
    let firstPatchSeconds: Double?
    let steps: Int
    let testRuns: Int
    let connections: [ScriptedSSEServer.ConnectionRecord]

    static func play(_ fixture: LoopFixture, _ options: OnePatchBench.Options, onePatch: Bool,
                     replies: [ScriptedSSEServer.Reply]) throws -> Played {
        let server = try ScriptedSSEServer(replies: replies)
        defer { server.stop() }
        var flags = RepairFlags()
        flags.test = LoopFixture.testCommand
        flags.endpoint = server.baseURL
        flags.model = "bench-model"
        flags.maxRounds = 1
        flags.sandbox = "none"
        flags.onePatchPerRequest = onePatch
        let settings = try SettingsResolver(flags: flags, environment: Hermetic.environment, projectRoot: fixture.url,
                                            config: { _ in nil }).resolve()
        let marks = Locked((baseline: UInt64?.none, requested: UInt64?.none, applied: UInt64?.none, finished: UInt64?.none,
                            result: RoundResult?.none))
        let tests = PausedTests(seconds: options.testSeconds)
        let loop = RepairLoop(repository: try Repository.discover(from: fixture.url), settings: settings,
                              model: OpenAICompatibleClient(endpoint: ModelEndpoint(baseURL: server.baseURL)), tests: tests,
                              events: { event in
                                  let now = BenchClock.now()
                                  marks.withLock { marks in
                                      switch event {
                                      case .baseline: marks.baseline = now
                                      case .roundStarted, .step(1, .roundStarted): marks.requested = marks.requested ?? now
                                      case .patchApplied, .step(_, .patchApplied): marks.applied = marks.applied ?? now
                                      case .roundFinished(let result): (marks.finished, marks.result) = (now, result)
                                      default: break
                                      }
                                  }
                              })
        let outcome = try blocking { try await loop.run() }
        server.waitUntilIdle()
        let seen = marks.current
        guard let baseline = seen.baseline, let finished = seen.finished, let result = seen.result, result.verdict == .accepted else {
            throw BenchError("round 1 was not accepted: \(seen.result.map { "\($0.verdict.rawValue), \($0.reason)" } ?? "none")"
                + " (\(outcome.stopReason))")
        }
        let seconds = { (start: UInt64?, end: UInt64?) -> Double? in
            guard let start, let end else { return nil }
            return Double(end - start) / 1e9
        }
        return Played(verdictSeconds: Double(finished - baseline) / 1e9, firstPatchSeconds: seconds(seen.requested, seen.applied),
                      steps: result.steps ?? 1, testRuns: tests.runs - 1, connections: server.connections)
    }
}

/// The loop benchmark's instant tests, each run taking `seconds`.
private final class PausedTests: TestExecutor, @unchecked Sendable {
    private let seconds: Double
    private let count = Locked(0)

    init(seconds: Double) { self.seconds = seconds }

    /// Every run so far, the baseline's included.
    var runs: Int { count.current }

    func runTests(in directory: URL, timeout: Double) async throws -> TestExecution {
        count.withLock { $0 += 1 }
        if seconds > 0 { try await Task.sleep(nanoseconds: UInt64(seconds * 1e9)) }
        return try await InstantTests().runTests(in: directory, timeout: timeout)
    }
}
