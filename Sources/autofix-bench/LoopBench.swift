import AutofixBenchSupport
import AutofixCore
import AutofixSandbox
import Foundation

/// The repair loop's own cost, with the model and the tests taken out: a generated 10k-file
/// repository, a scripted model on loopback, and a test script that only prints TAP lines.
/// 1. per-round overhead in-process (rolled-back and committed rounds, no sandbox and bwrap),
///    broken down from the loop's events, against the git CLI doing one round's git work;
/// 2. `git autofix run --json` as a process, for each sandbox, with its peak memory;
/// 3. what applying patches during the stream saves, against applying after the reply.
enum LoopBench {
    struct Options {
        var files = 10_000
        var rounds = 10
        var runs = 3
        var gitRounds = 5
        var overlapRounds = 3
        var tokenDelay = 0.020

        /// Tiny sizes, one run: proves the suite works, measures nothing.
        static let smoke = Options(files: 200, rounds: 2, runs: 1, gitRounds: 1, overlapRounds: 1, tokenDelay: 0.001)
    }

    static func run() throws {
        // main.swift keeps its options for the snapshot suite; `--smoke` means the same here.
        try run(CommandLine.arguments.contains("--smoke") ? .smoke : Options())
    }

    static func run(_ options: Options) throws {
        Hermetic.applyToCurrentProcess()
        let environment = Hermetic.environment
        MachineDescription.announce(.code)
        let (fixture, buildSeconds) = try BenchClock.measure {
            try LoopFixture(trackedFiles: options.files, environment: environment)
        }
        print("repository: \(Format.count(options.files)) tracked files, generated in \(Format.seconds(buildSeconds));"
            + " test command `\(LoopFixture.testCommand)` (TAP, 1 passing, \(LoopFixture.failingCases) failing)")
        let bwrap = try? SandboxFactory.make(.bwrap)
        if bwrap == nil { print("bwrap: skipped (not available here)") }

        let perRound = try perRoundOverhead(fixture, options: options, bwrap: bwrap)
        try gitComparison(fixture, options: options, loop: perRound)
        try processRuns(fixture, options: options, withBwrap: bwrap != nil)
        try streamingOverlap(fixture, options: options)
    }

    // MARK: 1. per-round overhead, in-process

    struct Scenario {
        let label: String
        let accepting: Bool
        let tests: TestExecutor
        let sandbox: String
    }

    static func perRoundOverhead(_ fixture: LoopFixture, options: Options, bwrap: Sandbox?) throws -> [String: [RunTiming]] {
        let quiet = UnconfinedSandbox(warn: { _ in })
        var scenarios = [
            Scenario(label: "rolled back, instant tests", accepting: false, tests: InstantTests(), sandbox: "none"),
            Scenario(label: "committed, instant tests", accepting: true, tests: InstantTests(), sandbox: "none"),
            Scenario(label: "rolled back, sandbox none", accepting: false, tests: executor(quiet, "none"), sandbox: "none"),
        ]
        if let bwrap {
            scenarios.append(Scenario(label: "rolled back, sandbox bwrap", accepting: false, tests: executor(bwrap, "bwrap"), sandbox: "bwrap"))
        }
        print()
        print("1. per-round overhead, in-process (RepairLoop with the real client on loopback, zero token delay),"
            + " \(options.rounds) rounds × \(options.runs) runs per scenario; median (p10–p90) over all rounds")
        var timings: [String: [RunTiming]] = [:]
        for _ in 0..<options.runs {
            for scenario in scenarios {
                let replies = (1...options.rounds).map { round in
                    LoopFixture.streamed(scenario.accepting ? LoopFixture.acceptedReply(round: round) : LoopFixture.rejectedReply, delay: 0)
                }
                let played = try InProcessRun(fixture: fixture, replies: replies, tests: scenario.tests, sandbox: scenario.sandbox,
                                              maxRounds: options.rounds).play()
                let expected: RoundResult.Verdict = scenario.accepting ? .accepted : .rejected
                guard played.timing.rounds.count == options.rounds, played.timing.rounds.allSatisfy({ $0.verdict == expected }) else {
                    throw BenchError("\(scenario.label): expected \(options.rounds) rounds \(expected.rawValue), got "
                        + "\(played.timing.rounds.map { $0.verdict.rawValue }) (\(played.outcome.stopReason))")
                }
                timings[scenario.label, default: []].append(played.timing)
            }
        }

        var rounds = BenchTable(["scenario", "round", "model (loopback)", "tests", "overhead = round − model − tests",
                                 "apply (parse + write)", "after tests", "overhead / round"])
        var once = BenchTable(["scenario", "snapshot", "scratch checkout", "first prompt", "finish"])
        for scenario in scenarios {
            let runs = timings[scenario.label] ?? []
            let all = runs.flatMap(\.rounds)
            rounds.add([
                scenario.label, Spread(all.map(\.total)).text, Spread(all.map(\.model)).text, Spread(all.map(\.tests)).text,
                Spread(all.map(\.overhead)).text, Spread(all.map(\.apply)).text, Spread(all.compactMap(\.afterTests)).text,
                Format.ratio(Spread(all.map(\.overhead)).median / Spread(all.map(\.total)).median),
            ])
            once.add([scenario.label, Spread(runs.map(\.snapshot)).text, Spread(runs.map(\.checkout)).text,
                      Spread(runs.map(\.firstPrompt)).text, Spread(runs.map(\.finish)).text])
        }
        print("per round:")
        print(rounds.render())
        print("once per run:")
        print(once.render())
        return timings
    }

    private static func executor(_ sandbox: Sandbox, _ backend: String) -> TestExecutor {
        var settings = try! SandboxSettings.resolve(.init(backend: backend), config: { _ in nil }, configList: { _ in [] })
        settings.limits.timeout = 60
        return SandboxTestExecutor(sandbox: sandbox, settings: settings, command: LoopFixture.testCommand)
    }

    // MARK: 1b. the same git work with the git CLI

    static func gitComparison(_ fixture: LoopFixture, options: Options, loop: [String: [RunTiming]]) throws {
        let git = try GitCLIRound(fixture: fixture, environment: Hermetic.environment).measure(rounds: options.gitRounds)
        let rejected = loop["rolled back, instant tests"] ?? []
        let accepted = loop["committed, instant tests"] ?? []
        let loopSetup = rejected.map { $0.snapshot + $0.checkout }
        let loopRejected = rejected.flatMap(\.rounds).map(\.overhead)
        let loopAccepted = accepted.flatMap(\.rounds).map(\.overhead)

        print()
        print("1b. the git CLI doing a round's git work on the same repository (one process per step, wall time summed),"
            + " \(options.gitRounds) rounds each; against the loop's whole overhead above (instant tests)")
        var table = BenchTable(["work", "git CLI", "RepairLoop", "loop / git"])
        func row(_ label: String, _ cli: [Double], _ library: [Double]) {
            table.add([label, Spread(cli).text, Spread(library).text, Format.ratio(Spread(library).median / Spread(cli).median)])
        }
        row("snapshot + scratch checkout (once per run)", git.setup, loopSetup)
        row("rolled-back round: apply 2 files + restore them", git.rejected, loopRejected)
        row("committed round: apply 1 file + commit", git.accepted, loopAccepted)
        print(table.render())
        print("git CLI steps: snapshot = cp index, add -A, write-tree, commit-tree (private index); checkout = worktree add --detach;"
            + " rolled back = apply, checkout -- <paths>; committed = apply, add, commit")
        let steps = try RoundEndSteps(fixture: fixture).measure(rounds: options.gitRounds)
        print("the loop's own git steps at the end of a round, timed alone: restore 2 files from the tip \(Spread(steps.rollback).text);"
            + " tree + commit + ref update for 1 file \(Spread(steps.commit).text)")
    }

    // MARK: 2. the process, with its memory

    static func processRuns(_ fixture: LoopFixture, options: Options, withBwrap: Bool) throws {
        let autofix = try BuiltAutofix.url()
        print()
        print("2. `git autofix run --json --max-rounds \(options.rounds)` as a process (and once without --json), rolled-back rounds,"
            + " scripted model (zero delay), \(options.runs) runs each; round times from the run's transcript")
        var table = BenchTable(["sandbox", "process wall", "round", "tests (in round)", "round − tests", "peak RSS"])
        let variants = [("none", true), ("none", false)] + (withBwrap ? [("bwrap", true)] : [])
        for (sandbox, json) in variants {
            var walls: [Double] = [], rounds: [Double] = [], tests: [Double] = [], peaks: [Int] = []
            for _ in 0..<options.runs {
                let run = try ProcessRun(autofix: autofix, fixture: fixture, sandbox: sandbox, rounds: options.rounds, json: json).play()
                walls.append(run.wall)
                rounds += run.rounds.map(\.seconds)
                tests += run.rounds.map(\.tests)
                if let peak = run.peakKiB { peaks.append(peak) }
            }
            let overhead = zip(rounds, tests).map { $0 - $1 }
            table.add([json ? sandbox : "\(sandbox), text output", Spread(walls).text, Spread(rounds).text, Spread(tests).text, Spread(overhead).text,
                       peaks.isEmpty ? "n/a" : peaks.sorted().map { Format.mebibytes(kibibytes: $0) }.joined(separator: ", ")])
        }
        print(table.render())
        let snapshot = try BenchProcess(arguments: [autofix.path, "snapshot"], directory: fixture.url, environment: Hermetic.environment)
            .checkMeasuringPeakMemory()
        print("for scale: `git autofix snapshot` on the same repository: peak RSS \(Format.mebibytes(kibibytes: snapshot.peakKiB))")
        if snapshot.peakKiB == nil { print("peak memory needs GNU time at /usr/bin/time (Debian: apt-get install time)") }
    }

    // MARK: 3. applying during the stream

    static func streamingOverlap(_ fixture: LoopFixture, options: Options) throws {
        let good = LoopFixture.fourFileReply(firstBroken: false)
        let bad = LoopFixture.fourFileReply(firstBroken: true)
        let deltas = LoopFixture.deltas(good).count
        print()
        print(String(format: "3. a reply with 4 file patches, %d deltas of 4 characters, %.0f ms apart (%.0f tokens/s);"
            + " %d rounds per mode, instant tests", deltas, options.tokenDelay * 1000, 1 / options.tokenDelay, options.overlapRounds))
        var table = BenchTable(["reply", "patches applied", "stream", "first patch on disk", "stream end → tests start",
                                "round", "server chunks sent", "client left early"])
        for (label, reply) in [("4 good patches", good), ("first patch bad", bad)] {
            for streaming in [true, false] {
                let replies = Array(repeating: LoopFixture.streamed(reply, delay: options.tokenDelay), count: options.overlapRounds)
                let played = try InProcessRun(fixture: fixture, replies: replies, tests: InstantTests(), sandbox: "none",
                                              maxRounds: options.overlapRounds, wholeReplies: !streaming).play()
                let rounds = played.timing.rounds
                let sent = played.connections.map(\.chunksSent)
                let total = replies[0].chunks.count
                table.add([
                    label, streaming ? "during the stream" : "after the reply",
                    Spread(rounds.map(\.model)).text,
                    Spread(rounds.compactMap(\.firstPatch)).text,
                    rounds.allSatisfy({ $0.streamEndToTests != nil }) ? Spread(rounds.compactMap(\.streamEndToTests)).text : "no tests (patch failed)",
                    Spread(rounds.map(\.total)).text,
                    "\(Int(Statistics.median(sent.map(Double.init)))) of \(total)",
                    "\(played.connections.filter(\.clientLeftEarly).count) of \(played.connections.count)",
                ])
            }
        }
        print(table.render())
        print("stream = request to the model's last event as the loop's client saw it; first patch on disk = request to"
            + " the first patch applied (or refused)")
    }
}

/// A median with the 10th and 90th percentiles, in milliseconds.
struct Spread {
    let values: [Double]
    init(_ values: [Double]) { self.values = values.sorted() }

    var median: Double { Statistics.median(values) }

    func percentile(_ fraction: Double) -> Double {
        guard !values.isEmpty else { return .nan }
        return values[min(values.count - 1, Int((Double(values.count - 1) * fraction).rounded()))]
    }

    var text: String {
        guard !values.isEmpty else { return "n/a" }
        if values.count < 3 { return Self.milliseconds(median) }
        return "\(Self.milliseconds(median)) (\(Self.milliseconds(percentile(0.1)))–\(Self.milliseconds(percentile(0.9))))"
    }

    static func milliseconds(_ seconds: Double) -> String {
        let ms = seconds * 1000
        if abs(ms) >= 1000 { return String(format: "%.2f s", seconds) }
        return abs(ms) >= 100 ? String(format: "%.0f ms", ms) : abs(ms) >= 10 ? String(format: "%.1f ms", ms) : String(format: "%.2f ms", ms)
    }
}
