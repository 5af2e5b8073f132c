import AutofixTestSupport
import Foundation
import XCTest

/// `git autofix` against a real model server (`scripts/local-model start`; `.ci/run` sets
/// AUTOFIX_E2E_ENDPOINT). A 135M model mostly writes patches that do not apply, so these tests
/// never expect a fix: they check what must hold whatever the model says.
final class RealModelEndToEndTests: XCTestCase {
    private var endpoint = ""
    private var model = ""

    override func setUpWithError() throws {
        let environment = ProcessInfo.processInfo.environment
        guard let endpoint = environment["AUTOFIX_E2E_ENDPOINT"], !endpoint.isEmpty else {
            throw XCTSkip("set AUTOFIX_E2E_ENDPOINT to a running server (scripts/local-model start) to run these")
        }
        self.endpoint = endpoint
        model = environment["AUTOFIX_E2E_MODEL"] ?? "smollm2"
    }

    func testPythonProjectWithDiffEdits() throws {
        try checkInvariants(of: try runAutofix(on: .pythonOffByOne, editFormat: "diff"))
    }

    func testPythonProjectWithWholeFileEdits() throws {
        try checkInvariants(of: try runAutofix(on: .pythonOffByOne, editFormat: "whole"))
    }

    func testShellProjectWithDiffEdits() throws {
        try checkInvariants(of: try runAutofix(on: .shellGreeting, editFormat: "diff"))
    }

    // MARK: - Running

    private static let maxRounds = 2

    private func runAutofix(on sample: SampleProject, editFormat: String) throws -> RealModelRun {
        let repo = try sample.makeRepository()
        let untouched = try UserStateFingerprint(of: repo)
        // The run's own --timeout bounds it; the outer limit turns a hang into a failure.
        let output = try Shell.run([
            "timeout", "-k", "10s", "8m", BuiltProducts.executable("git-autofix").path,
            "--json", "--yes",
            "--test", sample.testCommand,
            "--endpoint", endpoint, "--model", model,
            "--max-rounds", String(Self.maxRounds),
            "--sandbox", "bwrap",
            "--max-diff-tokens", "256",
            // scripts/local-model's window, which its server does not report.
            "--context-tokens", "8192",
            "--edit-format", editFormat,
            "--timeout", "5m",
            "--test-timeout", "60s",
        ], in: repo.url)
        return RealModelRun(sample: sample, repo: repo, untouched: untouched, output: output,
                            events: try JSONLines.parse(output.stdout, what: "git autofix --json stdout"))
    }

    // MARK: - What must hold whatever the model says

    private func checkInvariants(of run: RealModelRun, file: StaticString = #filePath, line: UInt = #line) throws {
        // The run's events and stderr go with the first failure only, so the log stays readable.
        var context = run.context
        func check(_ condition: @autoclosure () throws -> Bool, _ message: String) {
            let holds: Bool
            do { holds = try condition() } catch { holds = false }
            if !holds {
                XCTFail("\(message)\n\(context)", file: file, line: line)
                context = ""
            }
        }
        check([0, 1].contains(run.output.status), "a run against a working server ends fixed (0) or still failing (1)")
        check(run.events.first?.name == "started", "the first event is started")
        let finished = try XCTUnwrap(run.events.last, context, file: file, line: line)
        check(finished.name == "finished", "the last event is finished")

        // The run completes its rounds within the budget.
        let status = finished.string("status") ?? ""
        check(["fixed", "failing"].contains(status), "the run ended on its own, not by the time budget: \(status)")
        check(!(finished.string("stop_reason") ?? "").contains("time budget"), "the budget was not used up")
        let rounds = finished.int("rounds") ?? 0
        check((1...Self.maxRounds).contains(rounds), "1...\(Self.maxRounds) rounds, got \(rounds)")
        let started = run.events.filter { $0.name == "round_started" }.compactMap { $0.int("round") }
        let ended = run.events.filter { $0.name == "round_finished" }
        check(started == Array(1...max(rounds, 1)), "rounds started are numbered 1...\(rounds): \(started)")
        check(ended.compactMap { $0.int("round") } == started, "every round that started finished")

        // Every reply is parsed: each round ends with a verdict, and the streamed text is the reply
        // the transcript kept.
        let transcript = try run.transcript()
        for round in ended {
            let number = round.int("round") ?? 0
            let verdict = round.string("verdict") ?? ""
            check(["accepted", "rejected", "patch_failed", "no_edit"].contains(verdict), "round \(number): verdict \(verdict)")
            check(!(round.string("reason") ?? "").isEmpty, "round \(number) says why it ended as \(verdict)")
            let recorded = try XCTUnwrap(transcript.round(number), "transcript has round \(number)\n\(context)", file: file, line: line)
            check(run.streamedText(round: number) == recorded.reply, "round \(number): the transcript keeps the streamed reply")
            switch verdict {
            case "accepted", "rejected":
                check(!recorded.patches.isEmpty && recorded.patches.allSatisfy { $0["result"] as? String == "applied" },
                      "round \(number): tests ran only after every edit applied")
                check(recorded.tests != nil, "round \(number): the test result is recorded")
            case "patch_failed":
                check(recorded.patches.last.map { $0["result"] as? String != "applied" } ?? false,
                      "round \(number): the edit that failed is recorded with why")
                check(run.events.contains { $0.name == "patch_rejected" && $0.int("round") == number },
                      "round \(number): the rejection was reported")
                check(recorded.tests == nil, "round \(number): no tests ran on a patch that failed")
            default:
                check(recorded.patches.isEmpty, "round \(number): no edit, nothing applied")
            }
        }

        // Unusable replies are rejected with feedback sent back: the next prompt holds the reply
        // and, after it, a message at least as long as the reason the edit failed.
        for round in ended where round.string("verdict") != "accepted" {
            let number = round.int("round") ?? 0
            guard number < rounds, let this = transcript.round(number), let next = transcript.round(number + 1) else { continue }
            check(next.promptMessages == this.promptMessages + 2, "round \(number + 1) adds the reply and the feedback")
            let feedback = next.promptCharacters - this.promptCharacters - this.reply.count
            let reason = (this.patches.last?["detail"] as? String)?.count ?? 1
            check(feedback >= reason, "round \(number + 1) tells the model why round \(number) failed (\(feedback) characters)")
        }

        // Nothing is committed unless tests improved.
        let accepted = ended.filter { $0.string("verdict") == "accepted" }
        let reported = finished.strings("commits")
        let onRef = try run.commitsAboveSnapshot(finished)
        check(onRef == reported, "the run ref holds exactly the reported commits: \(onRef) vs \(reported)")
        check(accepted.compactMap { $0.string("commit") } == reported, "one commit per accepted round")
        for round in accepted {
            let before = round.int("failing_before") ?? 0
            let after = round.int("failing_after") ?? Int.max
            check(after < before, "accepted round \(round.int("round") ?? 0) lowered failing tests: \(before) -> \(after)")
        }
        if !onRef.isEmpty {
            // Checked without the tool: the committed tree makes the tests pass.
            check(try run.testsPass(at: onRef.last!), "the committed fix passes the tests outside the tool")
        }
        check((status == "fixed") == (finished.int("failing_after") == 0), "fixed exactly when nothing fails")
        if status == "fixed" {
            check(!onRef.isEmpty, "a fix is a commit")
        }

        // The transcript records each round.
        check(transcript.rounds.map(\.round) == Array(1...max(rounds, 1)), "the transcript records rounds 1...\(rounds)")
        check(transcript.outcomeStatus == status, "the transcript records the outcome")

        // The user's tree, index, HEAD and branch are untouched.
        check(try UserStateFingerprint(of: run.repo) == run.untouched, "the user's tree, index and branch are untouched")
    }
}

/// One sample repository with a one-line bug and a test that plain python3 or sh runs.
private struct SampleProject {
    let name: String
    let testCommand: String
    let files: [String: String]

    static let pythonOffByOne = SampleProject(
        name: "python",
        testCommand: "python3 test_stats.py",
        files: [
            ".gitignore": "__pycache__/\n",
            "stats.py": """
                def mean(values):
                    return sum(values) / (len(values) - 1)


                def spread(values):
                    return max(values) - min(values)

                """,
            "test_stats.py": """
                import unittest

                from stats import mean, spread


                class StatsTests(unittest.TestCase):
                    def test_mean(self):
                        self.assertEqual(mean([2, 4, 6]), 4)

                    def test_spread(self):
                        self.assertEqual(spread([2, 4, 6]), 4)


                if __name__ == "__main__":
                    unittest.main()

                """,
        ])

    static let shellGreeting = SampleProject(
        name: "shell",
        testCommand: "sh test.sh",
        files: [
            "greet.sh": """
                #!/bin/sh
                printf 'Hello %s\\n' "$1"

                """,
            "test.sh": """
                #!/bin/sh
                out=$(sh greet.sh world)
                if [ "$out" = "Hello, world!" ]; then
                    echo "ok greeting"
                    exit 0
                fi
                echo "FAIL greeting: expected 'Hello, world!', got '$out'"
                exit 1

                """,
        ])

    /// Checking a sample outside the tool must not leave __pycache__ in the user's tree.
    static var environment: [String: String] {
        var environment = Hermetic.environment
        environment["PYTHONDONTWRITEBYTECODE"] = "1"
        return environment
    }

    func makeRepository() throws -> TestRepository {
        let repo = try TestRepository(prefix: "autofix-e2e-\(name)")
        for (path, text) in files { try repo.write(path, text) }
        try repo.commitAll("a one-line bug")
        let baseline = try Shell.run(["sh", "-c", testCommand], in: repo.url, environment: Self.environment)
        guard baseline.status != 0 else {
            throw SampleError(message: "sample \(name) must fail before the run:\n\(baseline.stdout)")
        }
        return repo
    }
}

private struct SampleError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// Everything a user would notice changed: work tree files, index, HEAD, branches.
private struct UserStateFingerprint: Equatable {
    let files: [String: String]
    let head: String
    let branches: String
    let status: String

    init(of repo: TestRepository) throws {
        files = try repo.fingerprint(excluding: [
            ".git/objects", ".git/refs/autofix", ".git/refs/notes", ".git/logs", ".git/autofix",
            ".git/packed-refs", ".git/worktrees",
        ])
        head = try repo.git("symbolic-ref", "HEAD") + (try repo.git("rev-parse", "HEAD"))
        branches = try repo.git("for-each-ref", "refs/heads", "refs/tags")
        status = try repo.git("status", "--porcelain=v1", "--untracked-files=all")
    }
}

/// One JSON object per line.
private struct JSONEvent {
    let fields: [String: Any]
    var name: String { (fields["event"] as? String) ?? "" }
    func string(_ key: String) -> String? { fields[key] as? String }
    func int(_ key: String) -> Int? { (fields[key] as? NSNumber)?.intValue }
    func strings(_ key: String) -> [String] { fields[key] as? [String] ?? [] }
}

private enum JSONLines {
    static func parse(_ text: String, what: String) throws -> [JSONEvent] {
        try text.split(separator: "\n").map { line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                throw SampleError(message: "\(what): not a JSON object: \(line)")
            }
            return JSONEvent(fields: object)
        }
    }
}

private struct RealModelRun {
    let sample: SampleProject
    let repo: TestRepository
    let untouched: UserStateFingerprint
    let output: Shell.Output
    let events: [JSONEvent]

    var context: String {
        let text = output.stdout.split(separator: "\n").filter { !$0.contains("\"model_text\"") }.joined(separator: "\n")
        return "sample \(sample.name), exit \(output.status)\nevents (model_text left out):\n\(text.suffix(6000))\n"
            + "stderr:\n\(output.stderr.suffix(2000))"
    }

    func streamedText(round: Int) -> String {
        events.filter { $0.name == "model_text" && $0.int("round") == round }.compactMap { $0.string("text") }.joined()
    }

    /// Commits on the run ref above its snapshot commit, oldest first.
    func commitsAboveSnapshot(_ finished: JSONEvent) throws -> [String] {
        guard let ref = finished.string("ref"), let snapshot = finished.string("snapshot") else {
            throw SampleError(message: "the finished event names no ref or snapshot")
        }
        return try repo.git("rev-list", "--reverse", "\(snapshot)..\(ref)").split(separator: "\n").map(String.init)
    }

    func testsPass(at commit: String) throws -> Bool {
        let checkout = try TemporaryDirectory(prefix: "autofix-e2e-tip")
        try Shell.check(["sh", "-c", "git archive \(commit) | tar -x -C '\(checkout.path)'"], in: repo.url)
        return try Shell.run(["sh", "-c", sample.testCommand], in: checkout.url, environment: SampleProject.environment).succeeded
    }

    func transcript() throws -> TranscriptFile {
        let common = try repo.git("rev-parse", "--git-common-dir").trimmingCharacters(in: .whitespacesAndNewlines)
        let run = events.first { $0.name == "started" }?.string("run") ?? ""
        let gitDir = common.hasPrefix("/") ? URL(fileURLWithPath: common) : repo.url.appendingPathComponent(common)
        let file = gitDir.appendingPathComponent("autofix/runs/\(run)/transcript.jsonl")
        return TranscriptFile(lines: try JSONLines.parse(try String(contentsOf: file, encoding: .utf8), what: file.path))
    }
}

/// `transcript.jsonl`: one `{"kind": ..., "value": {...}}` per line.
private struct TranscriptFile {
    struct Round {
        let round: Int
        let promptMessages: Int
        let promptCharacters: Int
        let reply: String
        let patches: [[String: Any]]
        let tests: [String: Any]?
    }

    let rounds: [Round]
    let outcomeStatus: String?

    init(lines: [JSONEvent]) {
        rounds = lines.filter { $0.string("kind") == "round" }.compactMap { line in
            guard let value = line.fields["value"] as? [String: Any] else { return nil }
            return Round(round: (value["round"] as? NSNumber)?.intValue ?? 0,
                         promptMessages: (value["prompt_messages"] as? NSNumber)?.intValue ?? 0,
                         promptCharacters: (value["prompt_characters"] as? NSNumber)?.intValue ?? 0,
                         reply: value["reply"] as? String ?? "",
                         patches: value["patches"] as? [[String: Any]] ?? [],
                         tests: value["tests"] as? [String: Any])
        }
        outcomeStatus = lines.first { $0.string("kind") == "outcome" }
            .flatMap { ($0.fields["value"] as? [String: Any])?["status"] as? String }
    }

    func round(_ number: Int) -> Round? { rounds.first { $0.round == number } }
}
