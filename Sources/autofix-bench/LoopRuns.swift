import AutofixBenchSupport
import AutofixCore
import AutofixGit
import AutofixModel
import Foundation

/// One `RepairLoop.run()` in this process against a fresh scripted server, timed from its events.
struct InProcessRun {
    let fixture: LoopFixture
    let replies: [ScriptedSSEServer.Reply]
    let tests: TestExecutor
    let sandbox: String
    let maxRounds: Int
    /// Hand the loop each reply only once it has arrived whole, so it applies every patch after
    /// the reply instead of as each one completes.
    var wholeReplies = false

    struct Played {
        let timing: RunTiming
        let outcome: RunOutcome
        let connections: [ScriptedSSEServer.ConnectionRecord]
    }

    func play() throws -> Played {
        let server = try ScriptedSSEServer(replies: replies)
        defer { server.stop() }
        var flags = RepairFlags()
        flags.test = LoopFixture.testCommand
        flags.endpoint = server.baseURL
        flags.model = "bench-model"
        flags.maxRounds = maxRounds
        flags.sandbox = sandbox
        let settings = try SettingsResolver(flags: flags, environment: Hermetic.environment, projectRoot: fixture.url,
                                            config: { _ in nil }).resolve()
        let repository = try Repository.discover(from: fixture.url)
        let timeline = LoopTimeline()
        let client = OpenAICompatibleClient(endpoint: ModelEndpoint(baseURL: server.baseURL))
        let model = TimedModel(inner: wholeReplies ? WholeReplyModel(inner: client) : client, timeline: timeline)
        let loop = RepairLoop(repository: repository, settings: settings, model: model,
                              tests: TimedTests(inner: tests, timeline: timeline), events: { timeline.record($0) })
        let outcome = try blocking {
            timeline.runCalled = BenchClock.now()
            let outcome = try await loop.run()
            timeline.runReturned = BenchClock.now()
            return outcome
        }
        server.waitUntilIdle()
        return Played(timing: try timeline.analyse(), outcome: outcome, connections: server.connections)
    }
}

/// `git-autofix run` as a process under GNU time, rolled-back rounds only; round times come from
/// the run's transcript, so text and `--json` output are measured the same way.
struct ProcessRun {
    let autofix: URL
    let fixture: LoopFixture
    let sandbox: String
    let rounds: Int
    var json = true

    struct Round {
        let seconds: Double
        let tests: Double
    }

    struct Played {
        let wall: Double
        let rounds: [Round]
        let peakKiB: Int?
    }

    func play() throws -> Played {
        let server = try ScriptedSSEServer(replies: (0..<rounds).map { _ in LoopFixture.streamed(LoopFixture.rejectedReply, delay: 0) })
        defer { server.stop() }
        // Every run on the fixture tests its baseline, as the first run on a tree does.
        let arguments = [autofix.path, "run", "--endpoint", server.baseURL, "--model", "bench-model", "--test", LoopFixture.testCommand,
                         "--sandbox", sandbox, "--max-rounds", String(rounds), "--yes", "--no-reuse"] + (json ? ["--json"] : [])
        let time = "/usr/bin/time"
        let measuresMemory = access(time, X_OK) == 0
        let report = FileManager.default.temporaryDirectory.appendingPathComponent("autofix-bench-rss-\(getpid())-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: report) }
        let runs = fixture.url.appendingPathComponent(".git/autofix/runs")
        let earlier = Set((try? FileManager.default.contentsOfDirectory(atPath: runs.path)) ?? [])
        let process = BenchProcess(arguments: measuresMemory ? [time, "-f", "%M", "-o", report.path] + arguments : arguments,
                                   directory: fixture.url, environment: Hermetic.environment)
        let result = try process.run()
        // Exit 1 is the expected end: the tests still fail after the last round.
        guard result.status == 1 else { throw BenchProcess.Failure(result: result) }

        let newRuns = Set((try? FileManager.default.contentsOfDirectory(atPath: runs.path)) ?? []).subtracting(earlier)
        guard newRuns.count == 1, let run = newRuns.first else {
            throw BenchError("expected one new run record under \(runs.path), found \(newRuns.sorted())")
        }
        let transcript = try String(contentsOf: runs.appendingPathComponent(run).appendingPathComponent("transcript.jsonl"), encoding: .utf8)
        var played: [Round] = []
        for line in transcript.split(separator: "\n") {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  object["kind"] as? String == "round",
                  let round = (object["value"] as? [String: Any])?["result"] as? [String: Any] else { continue }
            guard round["verdict"] as? String == "rejected", let seconds = round["seconds"] as? Double else {
                throw BenchError("unexpected round from git autofix (\(sandbox)): \(line)")
            }
            played.append(Round(seconds: seconds, tests: round["test_seconds"] as? Double ?? 0))
        }
        guard played.count == rounds else {
            throw BenchError("git autofix (\(sandbox)) played \(played.count) of \(rounds) rounds:\n\(result.stdout)\(result.stderr)")
        }
        let peak = measuresMemory
            ? (try? String(contentsOf: report, encoding: .utf8))?.split(separator: "\n").last.flatMap { Int($0) } : nil
        return Played(wall: result.seconds, rounds: played, peakKiB: peak)
    }
}

/// The git work of a run done with the git CLI, one process per step, on a private index and a
/// linked worktree so the repository's own work tree and index are never written.
struct GitCLIRound {
    let fixture: LoopFixture
    let environment: [String: String]

    struct Timings {
        var setup: [Double] = []
        var rejected: [Double] = []
        var accepted: [Double] = []
    }

    func measure(rounds: Int) throws -> Timings {
        var timings = Timings()
        for _ in 0..<max(1, rounds / 2) { try timings.setup.append(measureSetup(then: { _ in })) }
        _ = try measureSetup { worktree in
            let patch = try TemporaryDirectory(prefix: "autofix-bench-patch")
            let rejected = patch.file("rejected.diff")
            try (LoopFixture.sourcePatch(file: LoopFixture.editedFiles[0]) + LoopFixture.sourcePatch(file: LoopFixture.editedFiles[1]))
                .write(to: rejected, atomically: true, encoding: .utf8)
            let paths = LoopFixture.editedFiles.prefix(2).map { SyntheticRepositoryShape(trackedFiles: 1000).path(ofFile: $0) }
            for _ in 0..<rounds {
                timings.rejected.append(try steps(in: worktree, [["apply", rejected.path], ["checkout", "--"] + paths]))
            }
            for round in 1...rounds {
                let accepted = patch.file("accepted-\(round).diff")
                try LoopFixture.failingPatch(round: round).write(to: accepted, atomically: true, encoding: .utf8)
                timings.accepted.append(try steps(in: worktree, [
                    ["apply", accepted.path], ["add", "cases.txt"], ["commit", "-q", "-m", "fix \(LoopFixture.caseName(round))"],
                ]))
            }
        }
        return timings
    }

    /// Snapshot with a private index and check it out as a linked worktree; returns the time of
    /// both after `body` has used the worktree, which is then removed.
    private func measureSetup(then body: (URL) throws -> Void) throws -> Double {
        let scratch = try TemporaryDirectory(prefix: "autofix-bench-git")
        let index = scratch.file("index").path
        var privateIndex = environment
        privateIndex["GIT_INDEX_FILE"] = index
        var seconds = 0.0
        func run(_ arguments: [String], _ env: [String: String], in directory: URL? = nil) throws -> String {
            let result = try BenchProcess(arguments: arguments, directory: directory ?? fixture.url, environment: env).check()
            seconds += result.seconds
            return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        _ = try run(["cp", "-p", fixture.url.appendingPathComponent(".git/index").path, index], environment)
        _ = try run(["git", "add", "-A"], privateIndex)
        let tree = try run(["git", "write-tree"], privateIndex)
        let commit = try run(["git", "commit-tree", tree, "-p", "HEAD", "-m", "snapshot"], environment)
        _ = try run(["git", "update-ref", "refs/bench/snapshot", commit], environment)
        let worktree = scratch.file("worktree")
        _ = try run(["git", "worktree", "add", "-q", "--detach", worktree.path, commit], environment)
        let total = seconds
        try body(worktree)
        try BenchProcess(arguments: ["git", "worktree", "remove", "--force", worktree.path], directory: fixture.url,
                         environment: environment).check()
        try BenchProcess(arguments: ["git", "update-ref", "-d", "refs/bench/snapshot"], directory: fixture.url,
                         environment: environment).check()
        return total
    }

    private func steps(in worktree: URL, _ commands: [[String]]) throws -> Double {
        try commands.reduce(0.0) { total, arguments in
            total + (try BenchProcess(arguments: ["git"] + arguments, directory: worktree, environment: environment).check().seconds)
        }
    }
}

/// Runs async work to completion from the benchmark's synchronous code.
func blocking<T>(_ body: @escaping () async throws -> T) throws -> T {
    let semaphore = DispatchSemaphore(value: 0)
    let box = BlockingResult<T>()
    Task {
        do { box.value = .success(try await body()) } catch { box.value = .failure(error) }
        semaphore.signal()
    }
    semaphore.wait()
    return try box.value!.get()
}

private final class BlockingResult<T>: @unchecked Sendable {
    var value: Result<T, Error>?
}

/// The two git steps that end a round, timed alone with the calls `RepairLoop` makes: restoring
/// the touched files from the run's tip (rolled back), and tree + commit + ref update (committed).
struct RoundEndSteps {
    let fixture: LoopFixture

    func measure(rounds: Int) throws -> (rollback: [Double], commit: [Double]) {
        let repository = try Repository.discover(from: fixture.url)
        let snapshot = try Snapshotter(repository: repository).snapshot()
        let scratch = try ScratchCheckout.create(repository: repository, commit: snapshot.commit)
        defer { scratch.remove() }
        let shape = SyntheticRepositoryShape(trackedFiles: 1000)
        let paths = LoopFixture.editedFiles.prefix(2).map { shape.path(ofFile: $0) }
        var rollback: [Double] = []
        for round in 0..<rounds {
            for path in paths {
                try "let edited = \(round)\n".write(to: scratch.directory.appendingPathComponent(path), atomically: true, encoding: .utf8)
            }
            rollback.append(try BenchClock.measure { try scratch.restore(paths: paths, to: snapshot.commit, from: repository) }.seconds)
        }
        var commit: [Double] = []
        var tip = snapshot.commit
        for round in 1...rounds {
            let cases = (1...LoopFixture.failingCases).map { "\(LoopFixture.caseName($0)) \($0 <= round ? "pass" : "fail")\n" }.joined()
            try cases.write(to: scratch.directory.appendingPathComponent("cases.txt"), atomically: true, encoding: .utf8)
            let (next, seconds) = try BenchClock.measure { () throws -> ObjectID in
                let tree = try TreeBuilder(repository: repository).tree(from: tip, replacing: ["cases.txt"], in: scratch.directory)
                let commit = try repository.createCommit(tree: tree, parents: [tip], message: "round \(round)\n")
                try repository.updateReference(snapshot.run.ref, to: commit, expected: tip, message: "bench: round \(round)")
                return commit
            }
            tip = next
            commit.append(seconds)
        }
        return (rollback, commit)
    }
}
