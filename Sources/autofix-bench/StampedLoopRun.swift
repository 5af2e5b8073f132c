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
        // Every run on a fixture tests its baseline, as the first run on a tree does.
        flags.noReuse = true
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
