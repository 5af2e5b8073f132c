import AutofixTestReport
import Foundation

/// The test runs of one streaming reply, one per prefix of its file patches: each starts the
/// moment a patch applied, in a view of its own brought to the host's checkout at that moment,
/// so the patches that arrive later cannot change what it sees. The round asks for the run
/// that decides; every other run is stopped, and its view goes back to the session.
final class PrefixTestRuns {
    private let tests: TestExecutor
    private let timeout: () -> Double
    /// Whether a run's report ends the reply early; nil: the complete reply always decides.
    private let endsReply: (@Sendable (TestReport) -> Bool)?
    /// Runs by the number of patches their view holds.
    private let runs: ViewTestRuns

    init(scratch: ScratchSession, tests: TestExecutor, timeout: @escaping () -> Double,
         endsReply: (@Sendable (TestReport) -> Bool)?) {
        runs = ViewTestRuns(scratch: scratch)
        self.tests = tests
        self.timeout = timeout
        self.endsReply = endsReply
    }

    /// Starts a run on the checkout as it is now, which holds the reply's first `patches`
    /// patches. `passed` hears `patches` when that run's report ends the reply.
    func start(patches: Int, passed: @escaping @Sendable (Int) -> Void) throws {
        let (tests, seconds, endsReply) = (tests, timeout(), endsReply)
        try runs.start(patches) { view, checkout, home in
            let run = try await SessionTestRun.run(tests, inView: view, hostCheckout: checkout, timeout: seconds, home: home)
            if endsReply?(run.report) == true { passed(patches) }
            return run
        }
    }

    /// The result of the run on the first `patches` patches, once it ends; every other run is stopped first.
    func decide(_ patches: Int) async throws -> SessionTestRun {
        guard let deciding = runs.remove(patches) else {
            preconditionFailure("no test run was started on \(patches) patches")
        }
        await runs.stopAll()
        defer { runs.scratch.giveBack(deciding.view) }
        let task = deciding.task
        return try await withTaskCancellationHandler {
            try await task.value
        } onCancel: {
            task.cancel()
        }
    }

    /// Stops every run and waits for it to end, so that no sandbox still writes in a view given back.
    func stopAll() async {
        await runs.stopAll()
    }
}
