import AutofixTestReport
import Foundation

/// One run of the test command in a session's sandbox view, parsed: the baseline, every round
/// and doctor's trial run go through it, so doctor sees what a run would see.
struct SessionTestRun {
    let execution: TestExecution
    /// The output with the view's paths named as the host's checkout has them.
    let output: String
    let report: TestReport

    static func run(_ tests: TestExecutor, in scratch: ScratchSession, timeout: Double) async throws -> SessionTestRun {
        try await run(tests, inView: try scratch.prepareTestRun(), hostCheckout: scratch.checkout.directory, timeout: timeout,
                      home: scratch.sandboxHome)
    }

    /// A run in `view`, a view the caller brought to `hostCheckout`'s files.
    static func run(_ tests: TestExecutor, inView view: URL, hostCheckout: URL, timeout: Double,
                    home: URL? = nil) async throws -> SessionTestRun {
        let execution = try await tests.runTests(in: view, home: home, timeout: timeout)
        // Paths the tests printed name the view; the host resolves them in its own checkout.
        let output = execution.output.replacingOccurrences(of: view.path + "/", with: hostCheckout.path + "/")
        let report = TestReportParser.parse(output: output, exitCode: execution.exitCode, timedOut: execution.timedOut)
        return SessionTestRun(execution: execution, output: output, report: report)
    }
}
