import AutofixCore
import AutofixModel
import AutofixSupport
import Foundation

/// What a scripted part was asked for that its script did not cover: the test names the call.
struct ScriptExhausted: Error, CustomStringConvertible {
    let description: String
}

/// A model that plays one scripted reply per request, as deltas then a finish event, and keeps
/// every request it got so a test can read the feedback the loop sent.
final class ScriptedModel: ChatModel, @unchecked Sendable {
    struct Reply {
        var deltas: [String]
        var finish = ModelFinish(finishReason: "stop", usage: TokenUsage(promptTokens: 100, completionTokens: 20),
                                 timeToFirstToken: 0, totalSeconds: 0)
    }

    private let lock = NSLock()
    private var replies: [Reply]
    private var received: [ChatRequest] = []

    /// Each text is cut into deltas of a few characters, as a server streams it.
    init(_ texts: [String], pieceSize: Int = 7) {
        replies = texts.map { text in
            var deltas: [String] = []
            var rest = Substring(text)
            while !rest.isEmpty {
                deltas.append(String(rest.prefix(pieceSize)))
                rest = rest.dropFirst(pieceSize)
            }
            return Reply(deltas: deltas)
        }
    }

    var requests: [ChatRequest] { lock.withLock { received } }

    /// The last message of request `index`: the feedback on the round before it.
    func feedback(inRequest index: Int) -> String { requests[index].messages.last?.content ?? "" }

    func stream(_ request: ChatRequest) -> AsyncThrowingStream<ModelEvent, Error> {
        let (number, reply) = lock.withLock { () -> (Int, Reply?) in
            received.append(request)
            return (received.count, replies.isEmpty ? nil : replies.removeFirst())
        }
        return AsyncThrowingStream { continuation in
            guard let reply else {
                return continuation.finish(throwing: ScriptExhausted(description: "no scripted reply for request \(number)"))
            }
            for delta in reply.deltas { continuation.yield(.delta(delta)) }
            continuation.yield(.finished(reply.finish))
            continuation.finish()
        }
    }
}

/// A test executor that returns scripted outputs, one per run, and keeps where each run was
/// asked to happen and what some files held there at that moment.
final class ScriptedTests: TestExecutor, @unchecked Sendable {
    struct Run {
        var execution: TestExecution
        /// How long the run takes, for time budgets.
        var seconds = 0.0
    }

    struct Call {
        let directory: URL
        let timeout: Double
        /// The narrowed command a targeted run was given; nil for the test command itself.
        let command: String?
        /// The watched files as the run found them (nil: absent).
        let files: [String: String?]
    }

    private let lock = NSLock()
    private var runs: [Run]
    private var made: [Call] = []
    private let watched: [String]
    /// Called with the directory of each run as it starts, to look around it.
    var whileRunning: (@Sendable (URL) -> Void)?
    /// What keys this runner's stored results; nil (the default): it keeps none.
    var resultEnvironment: String?

    init(_ runs: [Run], watching: [String] = []) {
        self.runs = runs
        watched = watching
    }

    var calls: [Call] { lock.withLock { made } }

    /// On: a round may run a narrowed command first, which takes the next scripted output.
    var runsSelections = false

    var commands: [String?] { calls.map(\.command) }

    func selecting(_ command: String) -> TestExecutor? {
        runsSelections ? Selected(scripted: self, command: command) : nil
    }

    private struct Selected: TestExecutor {
        let scripted: ScriptedTests
        let command: String

        func runTests(in directory: URL, timeout: Double) async throws -> TestExecution {
            try await scripted.run(command, in: directory, timeout: timeout)
        }
    }

    func runTests(in directory: URL, timeout: Double) async throws -> TestExecution {
        try await run(nil, in: directory, timeout: timeout)
    }

    private func run(_ command: String?, in directory: URL, timeout: Double) async throws -> TestExecution {
        whileRunning?(directory)
        var files: [String: String?] = [:]
        for path in watched {
            files[path] = try? String(contentsOf: directory.appendingPathComponent(path), encoding: .utf8)
        }
        let (number, run) = lock.withLock { () -> (Int, Run?) in
            made.append(Call(directory: directory, timeout: timeout, command: command, files: files))
            return (made.count, runs.isEmpty ? nil : runs.removeFirst())
        }
        guard let run else { throw ScriptExhausted(description: "no scripted test output for run \(number)") }
        // `.infinity`: the tests run until the time they were given is up, as a hanging suite does.
        let seconds = run.seconds.isInfinite ? timeout : run.seconds
        if seconds > 0 { try await Task.sleep(nanoseconds: UInt64(seconds * 1e9)) }
        return run.execution
    }
}

extension ScriptedTests.Run {
    /// `pytest -v` output for the named tests of one file, failures with their traceback line.
    static func pytest(file: String = "test_calc.py", passing: [String], failing: [String]) -> Self {
        let names = (passing.map { ($0, true) } + failing.map { ($0, false) }).sorted { $0.0 < $1.0 }
        var lines = [
            "============================= test session starts ==============================",
            "collecting ... collected \(names.count) items",
            "",
        ]
        for (index, (name, passed)) in names.enumerated() {
            let percent = (index + 1) * 100 / names.count
            lines.append("\(file)::\(name) \(passed ? "PASSED" : "FAILED")".padding(toLength: 73, withPad: " ", startingAt: 0)
                + " [\(String(percent).leftPadded(to: 3))%]")
        }
        lines.append("")
        if !failing.isEmpty {
            lines.append("=================================== FAILURES ===================================")
            for name in failing.sorted() {
                lines += ["___ \(name) ___", "", "    def \(name)():", ">       assert result == expected",
                          "E       assert 1 == 2", "", "\(file):5: AssertionError"]
            }
            lines.append("=========================== short test summary info ============================")
            lines += failing.sorted().map { "FAILED \(file)::\($0) - assert 1 == 2" }
        }
        let counts = [failing.isEmpty ? nil : "\(failing.count) failed", passing.isEmpty ? nil : "\(passing.count) passed"]
        lines.append("======================== \(counts.compactMap { $0 }.joined(separator: ", ")) in 0.01s ========================")
        return Self(execution: TestExecution(output: lines.joined(separator: "\n") + "\n", exitCode: failing.isEmpty ? 0 : 1,
                                             timedOut: false, seconds: 0.01, limitNote: nil))
    }

    /// TAP output, one line per test in the order given.
    static func tap(_ results: [(name: String, passes: Bool)]) -> Self {
        var lines = results.enumerated().map { "\($1.passes ? "ok" : "not ok") \($0 + 1) - \($1.name)" }
        lines.append("1..\(results.count)")
        let failed = results.contains { !$0.passes }
        return Self(execution: TestExecution(output: lines.joined(separator: "\n") + "\n", exitCode: failed ? 1 : 0,
                                             timedOut: false, seconds: 0.01, limitNote: nil))
    }

    /// Output as a test command printed it.
    static func output(_ lines: [String], exitCode: Int32?, timedOut: Bool = false) -> Self {
        Self(execution: TestExecution(output: lines.joined(separator: "\n") + "\n", exitCode: exitCode, timedOut: timedOut,
                                      seconds: 0.01, limitNote: nil))
    }

    /// `pytest -v` cut off by the time limit while `running` ran, after `passed` passed.
    static func pytestTimedOut(passed: [String], running: String, file: String = "test_calc.py") -> Self {
        var lines = ["============================= test session starts ==============================",
                     "collecting ... collected \(passed.count + 1) items", ""]
        lines += passed.map { "\(file)::\($0) PASSED" }
        lines.append("\(file)::\(running) ")
        return output(lines, exitCode: nil, timedOut: true)
    }

    func taking(_ seconds: Double) -> Self {
        var run = self
        run.seconds = seconds
        return run
    }
}

private extension String {
    func leftPadded(to width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
}

/// A test executor whose output depends on what the view holds (`judge` reads it), for runs
/// that go on side by side and so come in no fixed order. It counts how many overlapped.
final class JudgedTests: TestExecutor, @unchecked Sendable {
    private let judge: @Sendable (URL) -> ScriptedTests.Run
    private let pause: Double
    private let waitForOthers: Int
    private let state = Locked((calls: [ScriptedTests.Call](), running: 0, most: 0))

    /// `pause`: seconds each run takes. `waitForOthers`: every run after the first (the
    /// baseline) waits until that many runs go on at once, for at most a minute, so that runs
    /// which could not overlap show as `mostAtOnce` below it rather than as a hang.
    init(_ judge: @escaping @Sendable (URL) -> ScriptedTests.Run, pause: Double = 0, waitForOthers: Int = 0) {
        self.judge = judge
        self.pause = pause
        self.waitForOthers = waitForOthers
    }

    var calls: [ScriptedTests.Call] { state.current.calls }
    var mostAtOnce: Int { state.current.most }

    func runTests(in directory: URL, timeout: Double) async throws -> TestExecution {
        let number = state.withLock { state -> Int in
            state.calls.append(ScriptedTests.Call(directory: directory, timeout: timeout, command: nil, files: [:]))
            state.running += 1
            state.most = max(state.most, state.running)
            return state.calls.count
        }
        defer { state.withLock { $0.running -= 1 } }
        let run = judge(directory)
        if number > 1, waitForOthers > 1 {
            for _ in 0..<600 where state.current.most < waitForOthers {
                try await Task.sleep(nanoseconds: 100_000_000)
            }
        }
        if pause > 0 { try await Task.sleep(nanoseconds: UInt64(pause * 1e9)) }
        return run.execution
    }
}

/// The calculator the in-process loop tests repair (`SampleProjects.pythonCalculator`): its test
/// runs before and after the fix, and a reply that applies without changing what the tests see.
enum CalculatorScript {
    /// Before the fix: `add` subtracts.
    static let addFails = ScriptedTests.Run.pytest(passing: ["test_mul"], failing: ["test_add", "test_add_negative"])
    static let allPass = ScriptedTests.Run.pytest(passing: ["test_add", "test_add_negative", "test_mul"], failing: [])

    /// Applies to calc.py and changes nothing the tests look at.
    static let commentOnly = """
        Summary: explain add

        ```diff
        --- a/calc.py
        +++ b/calc.py
        @@ -1,2 +1,3 @@
        +# adds, eventually
         def add(a, b):
             return a - b
        ```
        """
}
