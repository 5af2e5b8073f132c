import AutofixBenchSupport
import AutofixCore
import AutofixModel
import Foundation

/// A rejected round's test time when it runs only the tests that failed before
/// (`TargetedRoundTests`: pytest node ids), against the whole suite's run, in the same run:
/// generated pytest suites of 120 and 1,000 tests with one failure, `RepairLoop` with the
/// scripted model and the real sandbox, once with trivial tests and once with tests that cost
/// 10 ms each. For scale, the floor every pytest run pays: starting the sandbox and the
/// interpreter and importing pytest.
enum TargetedBench {
    /// What each passing test does: nothing, so pytest's start-up is most of a run, or a pause
    /// that stands for what a real test costs.
    enum Shape: CaseIterable {
        case trivial
        case tenMilliseconds

        var name: String { self == .trivial ? "trivial" : "10 ms each" }

        /// The body of the passing test `index` (indented, after its `def` line).
        func body(_ index: Int) -> String {
            switch self {
            case .trivial: "    assert value(\(index)) == \(index)\n"
            case .tenMilliseconds: "    time.sleep(0.01)\n    assert value(\(index)) == \(index)\n"
            }
        }

        var imports: String { self == .trivial ? "from lib import value\n" : "import time\n\nfrom lib import value\n" }
    }

    struct Options {
        var suites = [120, 1000]
        var shapes = Shape.allCases
        var runs = 3
        var rounds = 3
        var floorSamples = 5

        static let smoke = Options(suites: [20], runs: 1, rounds: 1, floorSamples: 1)
    }

    /// The issue's goal for a rejected round's test time, as a share of the whole suite's.
    static func goal(tests: Int) -> Double? { [120: 0.25, 1000: 0.05][tests] }

    static let testCommand = "python3 -m pytest -q"
    static let testFiles = 10

    static func run(smoke: Bool) throws {
        try run(smoke ? .smoke : Options())
    }

    static func run(_ options: Options) throws {
        Hermetic.applyToCurrentProcess()
        print(MachineDescription.current())
        let sandbox = BenchSandbox.preferred()
        let python = (try? Shell.check(["python3", "-c", "import sys, pytest; print(sys.version.split()[0], pytest.__version__)"]))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? "unknown"
        print("targeted test runs: generated pytest suites (\(testFiles) files of tests, one failing), `\(testCommand)` through"
            + " sandbox \(sandbox.name), python and pytest \(python) from PATH; \(options.runs) runs × \(options.rounds) rejected rounds per suite")

        let floor = try interpreterFloor(sandbox: sandbox, samples: options.floorSamples)
        var table = BenchTable(["tests", "each test", "whole suite (baselines)", "targeted run (rejected rounds)", "targeted / whole",
                                "goal", "floor: sandbox + python3 + import pytest", "targeted − floor"])
        for shape in options.shapes {
            for size in options.suites {
                var whole: [Double] = [], targeted: [Double] = []
                for _ in 0..<options.runs {
                    let played = try rejectedRounds(suite: size, shape: shape, sandbox: sandbox, rounds: options.rounds)
                    whole.append(played.whole)
                    targeted += played.targeted
                }
                let share = Spread(targeted).median / Spread(whole).median
                let goal = goal(tests: size).map { String(format: "≤ %.0f%%: %@", 100 * $0, share <= $0 ? "met" : "MISSED") } ?? "-"
                table.add([Format.count(size), shape.name, Spread(whole).text, Spread(targeted).text,
                           String(format: "%.1f%%", 100 * share), goal, Spread(floor).text,
                           Spread.milliseconds(Spread(targeted).median - Spread(floor).median)])
            }
        }
        print(table.render())
        print("whole suite = the run's baseline (`\(testCommand)`); targeted = `\(testCommand) test_m0.py::test_broken`, which the"
            + " round ran alone and rejected on; both as the sandbox timed them")
    }

    /// One run of `rounds` rejected rounds on a fresh suite: its baseline's time and each round's targeted run.
    static func rejectedRounds(suite size: Int, shape: Shape, sandbox: BenchSandbox,
                               rounds: Int) throws -> (whole: Double, targeted: [Double]) {
        let project = try Self.suite(size, shape: shape)
        let server = try ScriptedSSEServer(replies: (1...rounds).map { LoopFixture.streamed(commentReply(round: $0), delay: 0) })
        defer { server.stop() }
        let run = StampedLoopRun(repository: project.url, testCommand: testCommand, sandbox: sandbox.name,
                                 model: OpenAICompatibleClient(endpoint: ModelEndpoint(baseURL: server.baseURL)),
                                 tests: sandbox.executor(testCommand), maxRounds: rounds)
        let played = try withExtendedLifetime(project) { try run.play(endpoint: server.baseURL) }
        let baseline = played.timeline.events.compactMap { stamped -> TestSummary? in
            if case .baseline(let summary) = stamped.value { return summary } else { return nil }
        }.first
        let results = played.results
        guard let baseline, baseline.failing == 1, results.count == rounds,
              results.allSatisfy({ $0.verdict == .rejected && $0.targetedTestSeconds != nil && $0.fullTestSeconds == nil }) else {
            throw BenchError("\(size) tests: expected a baseline with 1 failure and \(rounds) rounds rejected on the targeted run alone,"
                + " got \(baseline.map { "\($0.failing) failing" } ?? "no baseline"), rounds"
                + " \(results.map { "\($0.verdict.rawValue) targeted \($0.targetedTestSeconds.map { "\($0)" } ?? "-") full \($0.fullTestSeconds.map { "\($0)" } ?? "-")" })"
                + " (\(played.outcome.stopReason))")
        }
        return (baseline.seconds, results.compactMap(\.targetedTestSeconds))
    }

    /// What a pytest run cannot go below here: the sandbox, the interpreter and pytest's import.
    static func interpreterFloor(sandbox: BenchSandbox, samples: Int) throws -> [Double] {
        let directory = try TemporaryDirectory(prefix: "autofix-bench-floor")
        let executor = sandbox.executor("python3 -c 'import pytest'")
        return try (0..<samples).map { _ in
            try blocking { try await executor.runTests(in: directory.url, timeout: 60) }.seconds
        }
    }

    static let library = "def value(i):\n    return i\n"

    /// Adds a comment, another one each round (the same reply twice ends a run): the failing test fails as before.
    static func commentReply(round: Int) -> String {
        LoopFixture.reply(["--- a/lib.py\n+++ b/lib.py\n@@ -1,2 +1,3 @@\n+# every value is its own index (\(round))\n def value(i):\n     return i\n"],
                          summary: "document value")
    }

    /// A committed project of `size` tests in `testFiles` files, `test_m0.py::test_broken` the one that fails.
    static func suite(_ size: Int, shape: Shape) throws -> TemporaryDirectory {
        let directory = try TemporaryDirectory(prefix: "autofix-bench-pytest")
        try library.write(to: directory.file("lib.py"), atomically: true, encoding: .utf8)
        try "[pytest]\naddopts = -p no:cacheprovider\n".write(to: directory.file("pytest.ini"), atomically: true, encoding: .utf8)
        try "__pycache__/\n".write(to: directory.file(".gitignore"), atomically: true, encoding: .utf8)
        for file in 0..<testFiles {
            let count = size / testFiles + (file < size % testFiles ? 1 : 0)
            var text = shape.imports
            for test in 0..<count {
                text += file == 0 && test == 0
                    ? "\n\ndef test_broken():\n    assert value(1) == 2\n"
                    : "\n\ndef test_\(test)():\n" + shape.body(test)
            }
            try text.write(to: directory.file("test_m\(file).py"), atomically: true, encoding: .utf8)
        }
        for arguments in [["git", "init", "-q"], ["git", "add", "-A"], ["git", "commit", "-q", "-m", "suite"]] {
            try Shell.check(arguments, in: directory.url)
        }
        return directory
    }
}
