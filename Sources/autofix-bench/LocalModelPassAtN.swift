import AutofixBenchSupport
import AutofixCore
import AutofixModel
import Foundation

/// pass@1 against pass@3 with a real model server (`scripts/local-model`: llama-cpp-python with
/// SmolLM2-135M, one sequence at a time), on a few one-line Python bugs, one round each.
struct LocalModelPassAtN {
    let endpoint: String
    let sandbox: BenchSandbox
    var candidates = [1, 3]

    struct Bug {
        let name: String
        let module: String
        let source: String
        let test: String
    }

    static let bugs = [
        Bug(name: "add subtracts", module: "calc",
            source: "def add(a, b):\n    return a - b\n",
            test: "from calc import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n"),
        Bug(name: "shout lowercases", module: "text",
            source: "def shout(word):\n    return word.lower() + \"!\"\n",
            test: "from text import shout\n\n\ndef test_shout():\n    assert shout(\"hi\") == \"HI!\"\n"),
        Bug(name: "last takes the first", module: "items",
            source: "def last(values):\n    return values[0]\n",
            test: "from items import last\n\n\ndef test_last():\n    assert last([1, 2, 3]) == 3\n"),
    ]

    static let testCommand = "python3 -m pytest -q"
    static let maxTokens = 512

    /// Against the server `AUTOFIX_BENCH_LOCAL_MODEL` names (`scripts/local-model start` prints it); skipped without one.
    static func runFromEnvironment() throws {
        Hermetic.applyToCurrentProcess()
        guard let endpoint = ProcessInfo.processInfo.environment["AUTOFIX_BENCH_LOCAL_MODEL"], !endpoint.isEmpty else {
            print("skipped: set AUTOFIX_BENCH_LOCAL_MODEL to the endpoint `scripts/local-model start` prints")
            return
        }
        print(MachineDescription.current())
        try LocalModelPassAtN(endpoint: endpoint, sandbox: BenchSandbox.preferred()).run()
    }

    func run() throws {
        print("pass@N with the local model at \(endpoint) (SmolLM2-135M-Instruct, llama-cpp-python, one sequence at a time):"
            + " \(Self.bugs.count) one-line Python bugs, one round each, at most \(Self.maxTokens) completion tokens a reply, N = \(candidates.map(String.init).joined(separator: ", ")),"
            + " tests `\(Self.testCommand)` through sandbox \(sandbox.name)")
        var table = BenchTable(["bug", "N", "fixed", "round", "candidates that applied"])
        for bug in Self.bugs {
            for count in candidates {
                let project = try Self.project(bug)
                let client = OpenAICompatibleClient(endpoint: ModelEndpoint(baseURL: endpoint))
                let run = StampedLoopRun(repository: project.url, testCommand: Self.testCommand, sandbox: sandbox.name, model: client,
                                         tests: sandbox.executor(Self.testCommand), maxRounds: 1) { settings in
                    settings.model = "smollm2"
                    settings.contextTokens = 8192
                    settings.candidates = count
                    // Short replies keep a queued candidate's request within the client's time limit.
                    settings.maxDiffTokens = Self.maxTokens
                }
                let played: StampedLoopRun.Played
                do {
                    played = try withExtendedLifetime(project) { try run.play(endpoint: endpoint) }
                } catch {
                    table.add([bug.name, String(count), "error: \(String(describing: error).prefix(80))", "", ""])
                    continue
                }
                let result = played.results.first
                let applied = result?.candidates.map { $0.filter { !$0.appliedFiles.isEmpty }.count }
                    ?? (result.map { $0.appliedFiles.isEmpty ? 0 : 1 } ?? 0)
                table.add([bug.name, String(count), played.outcome.status == .fixed ? "yes" : "no",
                           played.roundSeconds.first.map(Spread.milliseconds) ?? "no round", "\(applied) of \(count)"])
            }
        }
        print(table.render())
    }

    /// A committed project with the bug and its failing test.
    static func project(_ bug: Bug) throws -> TemporaryDirectory {
        let directory = try TemporaryDirectory(prefix: "autofix-bench-local-model")
        try bug.source.write(to: directory.file("\(bug.module).py"), atomically: true, encoding: .utf8)
        try bug.test.write(to: directory.file("test_\(bug.module).py"), atomically: true, encoding: .utf8)
        try "[pytest]\naddopts = -p no:cacheprovider\n".write(to: directory.file("pytest.ini"), atomically: true, encoding: .utf8)
        try "__pycache__/\n".write(to: directory.file(".gitignore"), atomically: true, encoding: .utf8)
        for arguments in [["git", "init", "-q"], ["git", "add", "-A"], ["git", "commit", "-q", "-m", "start"]] {
            try Shell.check(arguments, in: directory.url)
        }
        return directory
    }
}
