import AutofixGit
import AutofixSupport
import Foundation

/// What doctor's test run saw, for `doctor --json`.
public struct DoctorTestRun: Encodable, Sendable {
    public let framework: String
    public let failing: Int
    public let passing: Int
    public let exitCode: Int32?
    public let timedOut: Bool
    public let seconds: Double
}

/// Doctor's "test run": the test command once, as a run's baseline runs it (a snapshot of the
/// working tree in a scratch session, the sandbox, the test time limit), and what that showed:
/// the framework and the counts, or what the environment lacks and what to set.
struct TestRunCheck {
    static let name = "test run"

    let repository: Repository
    let settings: RepairSettings
    let environment: [String: String]

    func run() async -> DoctorCheck {
        do {
            let snapshot = try Snapshotter(repository: repository).snapshot()
            // A check, not a run: the snapshot's ref goes again.
            defer { try? repository.deleteReference(snapshot.run.ref, expected: snapshot.commit) }
            let scratch = try ScratchSession(repository: repository, commit: snapshot.commit)
            defer { scratch.remove() }
            let tests = SandboxTestExecutor(sandbox: try settings.sandboxSettings.makeSandbox(), settings: settings.sandboxSettings,
                                            command: settings.testCommand)
            let run = try await SessionTestRun.run(tests, in: scratch, timeout: settings.testTimeout)
            TreeResults(repository: repository, tests: tests, command: settings.testCommand)?
                .record(run, tree: try repository.commit(snapshot.commit).tree, by: TestResultSource.doctor,
                        root: scratch.checkout.directory, timeout: settings.testTimeout, testTimeout: settings.testTimeout)
            return verdict(run)
        } catch {
            return .fail(Self.name, error)
        }
    }

    func verdict(_ tested: SessionTestRun) -> DoctorCheck {
        let report = tested.report
        let execution = tested.execution
        let seen = DoctorTestRun(framework: report.framework, failing: report.failingCount, passing: report.passingCount,
                                 exitCode: execution.exitCode, timedOut: execution.timedOut, seconds: execution.seconds)
        let took = "in \(DurationText.format(execution.seconds))" + (execution.limitNote.map { "; \($0)" } ?? "")
        let diagnosis = EnvironmentDiagnosis(settings: settings, environment: environment, project: repository.workingDirectory)
        if let failure = diagnosis.diagnose(output: tested.output, exitCode: execution.exitCode, report: report) {
            return DoctorCheck.fail(Self.name, "\(failure.message) (\(took))", fix: failure.hint, failure.category).with(seen)
        }
        if execution.timedOut {
            let running = report.unfinishedTests.isEmpty ? "" : ", still running: " + report.unfinishedTests.prefix(3).joined(separator: ", ")
            return DoctorCheck.warn(Self.name, "stopped by the test time limit of \(DurationText.format(settings.testTimeout))\(running)",
                                    fix: "raise it (--test-timeout, git config \(ConfigKey.testTimeout)) or give a faster test command; --no-test-run skips this check")
                .with(seen)
        }
        if report.isExitCodeFallback {
            let status = execution.exitCode.map { "exit \($0)" } ?? "no exit status"
            if execution.exitCode == 0 {
                return DoctorCheck.ok(Self.name, "\(status) \(took); no known test output format, so a run judges by the exit code").with(seen)
            }
            return DoctorCheck.warn(Self.name, "\(status) \(took); no known test output format, so a run judges by the exit code alone",
                                    fix: "see what it prints with `git autofix sandbox -- \(settings.testCommand)`").with(seen)
        }
        return DoctorCheck.ok(Self.name, "\(report.framework): \(report.failingCount) failing, \(report.passingCount) passing \(took)").with(seen)
    }
}
