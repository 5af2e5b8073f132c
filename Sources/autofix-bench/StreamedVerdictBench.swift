import AutofixBenchSupport
import AutofixCore
import AutofixModel
import Foundation

/// Time to a round's verdict when the tests run on each prefix of a streaming reply (a run
/// starts as soon as a file patch applied, and a passing run ends the reply) against the tests
/// waiting for the complete reply, in the same run: replies of one, two and three file patches
/// streamed by the loopback scripted server, the fix being the first or the last patch.
enum StreamedVerdictBench {
    struct Options {
        var files = 200
        var runs = 3
        var tokensPerSecond = 30.0
        /// The test command's own time, a stand-in for a real suite.
        var testPause = 1.5

        static let smoke = Options(files: 200, runs: 1, tokensPerSecond: 1000, testPause: 0)
    }

    /// How the round's tests wait for the reply.
    enum Mode: CaseIterable {
        /// Today's way before prefix runs: the loop gets the reply whole once it has arrived
        /// (`WholeReplyModel`), so its one test run starts on the complete reply.
        case completeReply
        /// The loop as it is: a test run on each prefix of patches, the reply cancelled when one passes.
        case eachPrefix
    }

    struct Case {
        let patches: Int
        let fixAt: Int
        var label: String { patches == 1 ? "only" : fixAt == 0 ? "first" : "last" }
    }

    static let cases = [Case(patches: 1, fixAt: 0), Case(patches: 2, fixAt: 0), Case(patches: 2, fixAt: 1),
                        Case(patches: 3, fixAt: 0), Case(patches: 3, fixAt: 2)]

    static func run(smoke: Bool) throws {
        try run(smoke ? .smoke : Options())
    }

    struct Sample {
        let verdict: Double
        let stream: Double
        let testRuns: Int
        let chunksSent: Int
        let chunksTotal: Int
        let cancelled: Bool
    }

    static func run(_ options: Options) throws {
        Hermetic.applyToCurrentProcess()
        MachineDescription.announce(.streamingAndTests)
        let fixture = try OneFailureFixture(trackedFiles: options.files, pause: options.testPause)
        let sandbox = BenchSandbox.preferred()
        let tests = sandbox.executor(fixture.testCommand)
        let delay = 1 / options.tokensPerSecond
        print(String(format: "streamed verdict: %@ tracked files; test command `%@` (TAP, cannot be narrowed) through sandbox %@;"
            + " replies in 4-character deltas at %.0f tokens/s; %d runs per case and mode, one round each",
            Format.count(options.files), fixture.testCommand, sandbox.name, options.tokensPerSecond, options.runs))

        var samples: [String: [Sample]] = [:]
        func key(_ item: Case, _ mode: Mode) -> String { "\(item.patches)-\(item.fixAt)-\(mode)" }
        for _ in 0..<options.runs {
            for item in cases {
                for mode in Mode.allCases {
                    samples[key(item, mode), default: []].append(try play(item, mode, fixture: fixture, tests: tests,
                                                                            sandbox: sandbox.name, delay: delay))
                }
            }
        }

        var table = BenchTable(["patches", "fix", "verdict, tests after the complete reply", "verdict, tests on each prefix",
                                "prefix / complete", "stream (prefix runs)", "test runs (prefix runs)", "server chunks sent (prefix runs)",
                                "reply cancelled"])
        for item in cases {
            let complete = samples[key(item, .completeReply)] ?? []
            let prefix = samples[key(item, .eachPrefix)] ?? []
            let ratio = Spread(prefix.map(\.verdict)).median / Spread(complete.map(\.verdict)).median
            table.add([
                String(item.patches), item.label, Spread(complete.map(\.verdict)).text, Spread(prefix.map(\.verdict)).text,
                Format.ratio(ratio), Spread(prefix.map(\.stream)).text,
                prefix.map { String($0.testRuns) }.joined(separator: ", "),
                "\(Int(Statistics.median(prefix.map { Double($0.chunksSent) }))) of \(prefix.first?.chunksTotal ?? 0)",
                "\(prefix.filter(\.cancelled).count) of \(prefix.count)",
            ])
        }
        print(table.render())
        print("verdict = round started → round finished (request, stream, tests, judging); stream = request → the model's last"
            + " event; test runs = runs started in the round, per run of the bench")
    }

    static func play(_ item: Case, _ mode: Mode, fixture: OneFailureFixture, tests: TestExecutor, sandbox: String,
                     delay: Double) throws -> Sample {
        let reply = LoopFixture.streamed(OneFailureFixture.reply(patches: item.patches, fixAt: item.fixAt), delay: delay)
        let server = try ScriptedSSEServer(replies: [reply])
        defer { server.stop() }
        let client = OpenAICompatibleClient(endpoint: ModelEndpoint(baseURL: server.baseURL))
        let run = StampedLoopRun(repository: fixture.url, testCommand: fixture.testCommand, sandbox: sandbox,
                                 model: mode == .completeReply ? WholeReplyModel(inner: client) : client, tests: tests, maxRounds: 1)
        let played = try run.play(endpoint: server.baseURL)
        server.waitUntilIdle()
        guard played.outcome.status == .fixed, let verdict = played.roundSeconds.first,
              let model = played.timeline.modelCalls.first, let connection = server.connections.first else {
            throw BenchError("\(item.patches) patches, fix \(item.label), \(mode): expected one fixing round, got"
                + " \(played.results.map(\.verdict.rawValue)) (\(played.outcome.stopReason))")
        }
        return Sample(verdict: verdict, stream: played.timeline.seconds(model.called, model.lastEvent),
                      testRuns: played.testRunsStarted(round: 1), chunksSent: connection.chunksSent,
                      chunksTotal: reply.chunks.count, cancelled: played.cancelledAfterPassing(round: 1))
    }
}
