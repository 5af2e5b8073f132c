import AutofixBenchSupport
import AutofixCore
import AutofixModel
import Foundation

/// N candidates per round (`--candidates`):
/// 1. a round of 3 candidates against a single-candidate round, the scripted server serving the
///    streams side by side (as vLLM does up to `--max-num-seqs`);
/// 2. the same server serving one sequence at a time (`OneSequenceAtATimeModel`): a round of N
///    candidates against N single-candidate rounds;
/// 3. pass@N with scripted replies that are right with a given probability per seed
///    (`LocalModelPassAtN` does the same against the local model).
enum CandidateBench {
    struct Options {
        var files = 200
        var runs = 3
        var rounds = 2
        var tokensPerSecond = 30.0
        var testPause = 1.5
        var passTrials = 40
        var passProbability = 0.3
        var passCandidates = [1, 2, 3, 5]

        static let smoke = Options(files: 200, runs: 1, rounds: 1, tokensPerSecond: 1000, testPause: 0, passTrials: 2,
                                   passProbability: 0.5, passCandidates: [1, 3])
    }

    static func run(smoke: Bool) throws {
        try run(smoke ? .smoke : Options())
    }

    static func run(_ options: Options) throws {
        Hermetic.applyToCurrentProcess()
        MachineDescription.announce(.streamingAndTests)
        let fixture = try OneFailureFixture(trackedFiles: options.files, pause: options.testPause)
        let sandbox = BenchSandbox.preferred()
        try concurrentServer(fixture, sandbox: sandbox, options: options)
        try serialServer(fixture, sandbox: sandbox, options: options)
        try scriptedPassAtN(options)
        print("\npass@N with the local model: `autofix-bench local-pass`")
    }

    /// Rounds that change no test result, so every round is played and rolled back.
    private static func rejectedRounds(_ fixture: OneFailureFixture, sandbox: BenchSandbox, candidates: Int, rounds: Int,
                                       parallelTests: Int? = nil, serial: Bool, delay: Double) throws -> [Double] {
        // Served in the order asked for: a round's candidates take the same reply, the next round another.
        let replies = (0..<rounds).flatMap { round in
            Array(repeating: LoopFixture.streamed(OneFailureFixture.rejectedReply(variant: round), delay: delay), count: candidates)
        }
        let server = try ScriptedSSEServer(replies: replies)
        defer { server.stop() }
        let client = OpenAICompatibleClient(endpoint: ModelEndpoint(baseURL: server.baseURL))
        let run = StampedLoopRun(repository: fixture.url, testCommand: fixture.testCommand, sandbox: sandbox.name,
                                 model: serial ? OneSequenceAtATimeModel(inner: client) : client,
                                 tests: sandbox.executor(fixture.testCommand), maxRounds: rounds) { settings in
            settings.candidates = candidates
            if let parallelTests { settings.parallelTests = parallelTests }
        }
        let played = try run.play(endpoint: server.baseURL)
        server.waitUntilIdle()
        guard played.results.count == rounds, played.results.allSatisfy({ $0.verdict == .rejected }) else {
            throw BenchError("\(candidates) candidates: expected \(rounds) rejected rounds, got \(played.results.map(\.verdict.rawValue))"
                + " (\(played.outcome.stopReason))")
        }
        return played.roundSeconds
    }

    // MARK: 1. streams side by side

    static func concurrentServer(_ fixture: OneFailureFixture, sandbox: BenchSandbox, options: Options) throws {
        let delay = 1 / options.tokensPerSecond
        let cores = SettingDefaults.parallelTests
        print()
        print(String(format: "1. candidates streamed side by side (the scripted server serves every connection at once): a reply of"
            + " one file patch at %.0f tokens/s, test command `%@` through sandbox %@, rolled-back rounds; %d runs × %d rounds",
            options.tokensPerSecond, fixture.testCommand, sandbox.name, options.runs, options.rounds))
        let variants: [(label: String, candidates: Int, parallelTests: Int?)] = [
            ("1 candidate", 1, nil),
            ("3 candidates, parallelTests \(cores) (the default: one per core)", 3, nil),
            ("3 candidates, parallelTests 3", 3, 3),
        ]
        var times: [String: [Double]] = [:]
        for _ in 0..<options.runs {
            for variant in variants {
                times[variant.label, default: []] += try rejectedRounds(
                    fixture, sandbox: sandbox, candidates: variant.candidates, rounds: options.rounds,
                    parallelTests: variant.parallelTests, serial: false, delay: delay)
            }
        }
        let single = Spread(times[variants[0].label] ?? []).median
        var table = BenchTable(["round", "time", "against 1 candidate"])
        for variant in variants {
            let spread = Spread(times[variant.label] ?? [])
            table.add([variant.label, spread.text, Format.ratio(spread.median / single)])
        }
        print(table.render())
    }

    // MARK: 2. one sequence at a time

    static func serialServer(_ fixture: OneFailureFixture, sandbox: BenchSandbox, options: Options) throws {
        let delay = 1 / options.tokensPerSecond
        print()
        print("2. a server that serves one sequence at a time (the others queue): a round of N candidates against N"
            + " single-candidate rounds, same replies and tests as 1; \(options.runs) runs each")
        var table = BenchTable(["N", "N single rounds (summed)", "one round of N candidates", "candidates / single rounds"])
        for count in [2, 3] {
            var singles: [Double] = [], rounds: [Double] = []
            for _ in 0..<options.runs {
                singles.append(try rejectedRounds(fixture, sandbox: sandbox, candidates: 1, rounds: count, serial: true, delay: delay)
                    .reduce(0, +))
                rounds += try rejectedRounds(fixture, sandbox: sandbox, candidates: count, rounds: 1, serial: true, delay: delay)
            }
            table.add([String(count), Spread(singles).text, Spread(rounds).text,
                       Format.ratio(Spread(rounds).median / Spread(singles).median)])
        }
        print(table.render())
    }

    // MARK: 3. pass@N, scripted

    static func scriptedPassAtN(_ options: Options) throws {
        let fixture = try OneFailureFixture(trackedFiles: options.files, pause: 0)
        print()
        print(String(format: "3. pass@N, scripted: each candidate's reply is the fix when a draw for its seed in that trial falls below"
            + " %.2f, else an edit that fixes nothing; one round, instant tests, %d trials per N", options.passProbability, options.passTrials))
        var table = BenchTable(["N", "fixed in one round", "pass@N", "a right reply was among the N", "1 − (1 − p)^N"])
        for count in options.passCandidates {
            var fixed = 0, offered = 0
            for trial in 1...options.passTrials {
                let right = try ScriptedSSEServer(replies: Array(repeating: LoopFixture.streamed(OneFailureFixture.reply(patches: 1, fixAt: 0), delay: 0),
                                                                 count: count))
                let wrong = try ScriptedSSEServer(replies: Array(repeating: LoopFixture.streamed(OneFailureFixture.rejectedReply(), delay: 0),
                                                                 count: count))
                defer {
                    right.stop()
                    wrong.stop()
                }
                let model = SeededReplyModel(right: OpenAICompatibleClient(endpoint: ModelEndpoint(baseURL: right.baseURL)),
                                             wrong: OpenAICompatibleClient(endpoint: ModelEndpoint(baseURL: wrong.baseURL)),
                                             trial: trial, probability: options.passProbability)
                let run = StampedLoopRun(repository: fixture.url, testCommand: fixture.testCommand, sandbox: "none",
                                         model: model, tests: InstantTests(), maxRounds: 1) { $0.candidates = count }
                let played = try run.play(endpoint: right.baseURL)
                let anyRight = (1...count).contains { SeededReplyModel.isRight(trial: trial, seed: $0, probability: options.passProbability) }
                let wasFixed = played.outcome.status == .fixed
                guard wasFixed == anyRight else {
                    throw BenchError("trial \(trial), \(count) candidates: a right reply was \(anyRight ? "" : "not ")offered,"
                        + " but the run ended \(played.outcome.status) (\(played.outcome.stopReason))")
                }
                fixed += wasFixed ? 1 : 0
                offered += anyRight ? 1 : 0
            }
            let expected = 1 - pow(1 - options.passProbability, Double(count))
            table.add([String(count), "\(fixed) of \(options.passTrials)", String(format: "%.2f", Double(fixed) / Double(options.passTrials)),
                       "\(offered) of \(options.passTrials)", String(format: "%.2f", expected)])
        }
        print(table.render())
    }
}
