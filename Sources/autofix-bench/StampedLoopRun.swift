import AutofixBenchSupport
import AutofixCore
import AutofixGit
import AutofixModel
import AutofixSandbox
import Foundation

/// One `RepairLoop.run()` in this process with a given model and test executor, every loop event
/// stamped as it is emitted (`LoopTimeline`), for the suites whose rounds hold several test runs
/// or several model requests, where `InProcessRun`'s one-run-per-round analysis does not fit.
struct StampedLoopRun {
    let repository: URL
    let testCommand: String
    let sandbox: String
    let model: ChatModel
    let tests: TestExecutor
    let maxRounds: Int
    var adjust: (inout RepairSettings) -> Void = { _ in }

    struct Played {
        let outcome: RunOutcome
        let timeline: LoopTimeline

        /// Round number → its result, from the `roundFinished` events.
        var results: [RoundResult] {
            timeline.events.compactMap { if case .roundFinished(let result) = $0.value { return result } else { return nil } }
        }

        /// roundStarted → roundFinished of each round, in seconds.
        var roundSeconds: [Double] {
            var started: UInt64?
            var seconds: [Double] = []
            for stamped in timeline.events {
                switch stamped.value {
                case .roundStarted: started = stamped.at
                case .roundFinished: if let started { seconds.append(timeline.seconds(started, stamped.at)) }
                default: break
                }
            }
            return seconds
        }

        /// The round's `testsStarted` events, candidates' included.
        func testRunsStarted(round: Int) -> Int {
            timeline.events.filter { stamped in
                var event = stamped.value
                while case .candidate(_, let inner) = event { event = inner }
                if case .testsStarted(let number, _) = event { return number == round }
                return false
            }.count
        }

        /// Whether a round's reply was cancelled because its tests had already passed.
        func cancelledAfterPassing(round: Int) -> Bool {
            timeline.events.contains { stamped in
                if case .streamCancelled(let number, let reason) = stamped.value { return number == round && reason.contains("passed") }
                return false
            }
        }
    }

    func play(endpoint: String) throws -> Played {
        var flags = RepairFlags()
        flags.test = testCommand
        flags.endpoint = endpoint
        flags.model = "bench-model"
        flags.maxRounds = maxRounds
        flags.sandbox = sandbox
        var settings = try SettingsResolver(flags: flags, environment: Hermetic.environment, projectRoot: repository,
                                            config: { _ in nil }).resolve()
        adjust(&settings)
        let timeline = LoopTimeline()
        let loop = RepairLoop(repository: try Repository.discover(from: repository), settings: settings,
                              model: TimedModel(inner: model, timeline: timeline), tests: tests, events: { timeline.record($0) })
        let outcome = try blocking {
            timeline.runCalled = BenchClock.now()
            let outcome = try await loop.run()
            timeline.runReturned = BenchClock.now()
            return outcome
        }
        return Played(outcome: outcome, timeline: timeline)
    }
}

/// The test command through a real sandbox: bwrap when it works here, else unconfined.
struct BenchSandbox {
    let name: String
    let sandbox: Sandbox

    static func preferred() -> BenchSandbox {
        if let bwrap = try? SandboxFactory.make(.bwrap) { return BenchSandbox(name: "bwrap", sandbox: bwrap) }
        return BenchSandbox(name: "none", sandbox: UnconfinedSandbox(warn: { _ in }))
    }

    func executor(_ command: String, timeout: Double = 120) -> TestExecutor {
        var settings = try! SandboxSettings.resolve(.init(backend: name), config: { _ in nil }, configList: { _ in [] })
        settings.limits.timeout = timeout
        return SandboxTestExecutor(sandbox: sandbox, settings: settings, command: command)
    }
}

/// A generated repository (`LoopFixture`'s, with its edits and untracked files) whose test script
/// reports one passing and one failing TAP test, `case01`, after a pause that stands for a real
/// suite's run time. A TAP script's tests cannot be selected, so every round runs it whole.
struct OneFailureFixture {
    let loop: LoopFixture
    let pause: Double

    init(trackedFiles: Int, pause: Double) throws {
        loop = try LoopFixture(trackedFiles: trackedFiles, environment: Hermetic.environment)
        self.pause = pause
        try "case01 fail\n".write(to: loop.url.appendingPathComponent("cases.txt"), atomically: true, encoding: .utf8)
    }

    var url: URL { loop.url }

    var testCommand: String { pause > 0 ? "sleep \(pause) && \(LoopFixture.testCommand)" : LoopFixture.testCommand }

    /// Turns `case01` into a pass: every test passes.
    static let fixPatch = "--- a/cases.txt\n+++ b/cases.txt\n@@ -1 +1 @@\n-case01 fail\n+case01 pass\n"

    /// A reply of `count` file patches, the one at `fixAt` the fix and the others source edits
    /// that change no test result.
    static func reply(patches count: Int, fixAt: Int) -> String {
        let patches = (0..<count).map { index in
            index == fixAt ? fixPatch : LoopFixture.sourcePatch(file: LoopFixture.editedFiles[index])
        }
        return LoopFixture.reply(patches, summary: "make case01 pass")
    }

    /// Leaves `case01` failing; each `variant` edits another file, so that rounds in a row do not
    /// send the same reply (which ends a run).
    static func rejectedReply(variant: Int = 0) -> String {
        let files = LoopFixture.editedFiles
        return LoopFixture.reply([LoopFixture.sourcePatch(file: files[variant % files.count])], summary: "adjust a value")
    }
}
