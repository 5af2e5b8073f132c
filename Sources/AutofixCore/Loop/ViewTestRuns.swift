import AutofixSandbox
import Foundation

/// Test runs that overlap, each in a view borrowed from the session and brought to the host's
/// checkout as the run starts, keyed by what the caller tells them apart by (a prefix's patch
/// count, a candidate's number). A view goes back to the session only once its run has ended,
/// so that no sandbox still writes in a view lent again.
final class ViewTestRuns {
    struct Run {
        let view: SandboxView
        let task: Task<SessionTestRun, Error>
    }

    let scratch: ScratchSession
    private(set) var running: [Int: Run] = [:]

    init(scratch: ScratchSession) {
        self.scratch = scratch
    }

    /// Starts run `key` on the host's checkout as it is now: `body` gets the view's directory, the
    /// host's checkout and the HOME the session keeps for that view, and runs the tests there.
    func start(_ key: Int,
               _ body: @escaping @Sendable (_ view: URL, _ hostCheckout: URL, _ home: URL?) async throws -> SessionTestRun) throws {
        let view = try scratch.borrowView()
        do {
            try view.update(from: scratch.checkout.directory)
        } catch {
            scratch.giveBack(view)
            throw error
        }
        let (directory, checkout, home) = (view.directory, scratch.checkout.directory, scratch.sandboxHome(for: view))
        running[key] = Run(view: view, task: Task { try await body(directory, checkout, home) })
    }

    /// Takes run `key` out of the set: the caller waits for it and gives its view back.
    func remove(_ key: Int) -> Run? {
        running.removeValue(forKey: key)
    }

    /// Gives back the views of runs that have all ended.
    func giveBackEnded() {
        for run in running.values { scratch.giveBack(run.view) }
        running = [:]
    }

    /// Stops every run and waits for it to end, then gives its view back.
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
