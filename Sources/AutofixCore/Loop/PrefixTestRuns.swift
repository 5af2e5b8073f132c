import AutofixSandbox
import AutofixTestReport
import Foundation

/// The test runs of one streaming reply, one per prefix of its file patches: each starts the
/// moment a patch applied, in a view of its own brought to the host's checkout at that moment,
/// so the patches that arrive later cannot change what it sees. The round asks for the run
/// that decides; every other run is stopped, and its view goes back to the session.
final class PrefixTestRuns {
    private struct Running {
        let view: SandboxView
        let task: Task<SessionTestRun, Error>
    }

    private let scratch: ScratchSession
    private let tests: TestExecutor
    private let timeout: () -> Double
    /// Whether a run's report ends the reply early; nil: the complete reply always decides.
    private let endsReply: (@Sendable (TestReport) -> Bool)?
    /// Runs by the number of patches their view holds.
    private var running: [Int: Running] = [:]

    init(scratch: ScratchSession, tests: TestExecutor, timeout: @escaping () -> Double,
         endsReply: (@Sendable (TestReport) -> Bool)?) {
        self.scratch = scratch
        self.tests = tests
        self.timeout = timeout
        self.endsReply = endsReply
    }

    /// Starts a run on the checkout as it is now, which holds the reply's first `patches`
    /// patches. `passed` hears `patches` when that run's report ends the reply.
    func start(patches: Int, passed: @escaping @Sendable (Int) -> Void) throws {
        let view = try scratch.borrowView()
        do {
            try view.update(from: scratch.checkout.directory)
        } catch {
            scratch.giveBack(view)
            throw error
        }
        let (tests, directory, checkout, seconds, endsReply) = (tests, view.directory, scratch.checkout.directory, timeout(), endsReply)
        let task = Task {
            let run = try await SessionTestRun.run(tests, inView: directory, hostCheckout: checkout, timeout: seconds)
            if endsReply?(run.report) == true { passed(patches) }
            return run
        }
        running[patches] = Running(view: view, task: task)
    }

    /// The result of the run on the first `patches` patches, once it ends; every other run is stopped first.
    func decide(_ patches: Int) async throws -> SessionTestRun {
        guard let deciding = running.removeValue(forKey: patches) else {
            preconditionFailure("no test run was started on \(patches) patches")
        }
        await stopAll()
        defer { scratch.giveBack(deciding.view) }
        let task = deciding.task
        return try await withTaskCancellationHandler {
            try await task.value
        } onCancel: {
            task.cancel()
        }
    }

    /// Stops every run and waits for it to end, so that no sandbox still writes in a view given back.
    func stopAll() async {
        let stopping = running.values
        running = [:]
        for run in stopping { run.task.cancel() }
        for run in stopping {
            _ = try? await run.task.value
            scratch.giveBack(run.view)
        }
    }
}

extension SessionTestRun {
    /// A run in `view`, a view the caller brought to `hostCheckout`'s files.
    static func run(_ tests: TestExecutor, inView view: URL, hostCheckout: URL, timeout: Double) async throws -> SessionTestRun {
        let execution = try await tests.runTests(in: view, timeout: timeout)
        let output = execution.output.replacingOccurrences(of: view.path + "/", with: hostCheckout.path + "/")
        let report = TestReportParser.parse(output: output, exitCode: execution.exitCode, timedOut: execution.timedOut)
        return SessionTestRun(execution: execution, output: output, report: report)
    }
}
