import ArgumentParser
import AutofixCore
import Foundation

struct DoctorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check that everything a run needs works here, and say how to fix what does not.",
        discussion: """
            Checks the libgit2 and libcurl versions, the git command the hook uses, the settings, \
            the sandbox backend, the endpoint and model, the test command for this repository (run once \
            in the sandbox, as a run's baseline runs it, with the test time limit) and the pre-push hook. \
            Each line is OK, WARN, FAIL or SKIP, with the fix for each problem. \
            Exits 0 when nothing failed, else with the exit status of the first failure's kind.
            """
    )

    @OptionGroup(title: "What to check instead of the configured settings")
    var modelAndSandbox: ModelAndSandboxOptions

    @OptionGroup var testTimeout: TestTimeoutOption

    @Flag(name: .customLong("no-test-run"), help: "Do not run the test command (doctor runs it once in the sandbox, which takes as long as the tests).")
    var noTestRun = false

    @Flag(help: "Print one JSON object per check, one per line.")
    var json = false

    func run() async throws {
        var flags = RepairFlags()
        modelAndSandbox.apply(to: &flags)
        flags.testTimeout = testTimeout.testTimeout
        let checks = await Doctor(flags: flags, runsTests: !noTestRun).run()
        let terminal = Terminal.current
        for check in checks {
            if json {
                terminal.json(check)
            } else {
                terminal.out(DoctorText.line(check, terminal: terminal))
            }
        }
        if let failure = checks.first(where: { $0.verdict == .fail }) {
            throw ExitCode(failure.category.rawValue)
        }
    }
}

enum DoctorText {
    static func line(_ check: DoctorCheck, terminal: Terminal) -> String {
        let style: Terminal.Style
        switch check.verdict {
        case .ok: style = .green
        case .warn: style = .yellow
        case .fail: style = .red
        case .skip: style = .dim
        }
        let label = check.verdict.rawValue.padding(toLength: 5, withPad: " ", startingAt: 0)
        let name = check.name.padding(toLength: 14, withPad: " ", startingAt: 0)
        // Details quote what servers, git and the settings said.
        var line = terminal.paint(label, style) + " " + name + " " + check.detail.terminalSafe
        if let fix = check.fix { line += "\n" + String(repeating: " ", count: 21) + "fix: " + fix.terminalSafe }
        return line
    }
}
