import ArgumentParser
import AutofixCore
import AutofixSupport
import AutofixTestReport
import Foundation

struct HookCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hook",
        abstract: "Install, remove or inspect the pre-push hook that runs your tests before each push.",
        discussion: """
            The hook runs autofix.testCommand on every commit being pushed (in your working \
            tree when it is clean at that commit, else in a throwaway worktree), and blocks the push while the tests fail (autofix.prePush: block, warn or \
            fix). It is added between marker lines, so a pre-push hook you already have is kept.
            """,
        subcommands: [HookInstallCommand.self, HookUninstallCommand.self, HookStatusCommand.self, HookSummaryCommand.self]
    )
}

/// Used by the hook script: reads a test command's output on standard input and prints which
/// tests failed and why, with the parsers a repair uses.
struct HookSummaryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "summarize",
        abstract: "Print the failing tests found in test output read from standard input.",
        shouldDisplay: false
    )

    @Option(help: "The test command's exit status.")
    var exitCode: Int32

    @Option(help: ArgumentHelp("Where the tests ran, to show paths relative to it.", valueName: "path"))
    var root: String?

    @Option(help: "About how many tokens (four characters each) the summary may use.")
    var budget = 300

    func run() throws {
        let output = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
        let root = root.map { URL(fileURLWithPath: $0, isDirectory: true) }
        let report = TestReportParser.parse(output: output, exitCode: exitCode, repositoryRoot: root)
        let digest = FailureDigest.make(report: report, output: output, repositoryRoot: root, tokenBudget: budget)
        let text = digest.text.terminalSafe
        Terminal.current.write(text.hasSuffix("\n") ? text : text + "\n")
    }
}

struct HookInstallCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "install",
        abstract: "Add the pre-push hook (respects core.hooksPath; keeps an existing hook's code).",
        discussion: """
            Writes a block between `# >>> git-autofix >>>` and `# <<< git-autofix <<<` right \
            after the first line of the pre-push hook, creating the file when there is none. \
            Running it again updates the block in place.
            """
    )

    @Option(help: ArgumentHelp(
        "The hook script the block calls (default: share/git-autofix/hooks/pre-push next to this program).",
        valueName: "path"))
    var script: String?

    func run() throws {
        try reportingErrors {
            let location = try HooksLocation.current()
            let scriptURL = try script.map { try HookScript.validated(URL(fileURLWithPath: $0)) } ?? HookScript.installed()
            let hook = PrePushHook(location: location)
            let directoryWasMissing = !location.exists
            let outcome = try hook.install(calling: scriptURL)
            let terminal = Terminal.current
            if directoryWasMissing {
                let source = location.fromHooksPath ? " named by core.hooksPath" : ""
                terminal.out("Created the hooks directory \(location.directory.path)\(source), which did not exist; git runs hooks from it from now on.")
            }
            switch outcome {
            case .created: terminal.out("Created \(hook.file.path) with the git-autofix pre-push hook.")
            case .added: terminal.out("Added the git-autofix block to your existing \(hook.file.path); your code is kept below it.")
            case .updated: terminal.out("Updated the git-autofix block in \(hook.file.path).")
            case .unchanged: terminal.out("The git-autofix pre-push hook is already installed in \(hook.file.path).")
            }
            terminal.out("  it runs: \(scriptURL.path)")
            try HookSettingsText.print(location, to: terminal)
            if location.isInsideWorkTree {
                terminal.out("note: this hook is inside your work tree (core.hooksPath); commit it if your team shares it.")
            }
        }
    }
}

struct HookUninstallCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "uninstall",
        abstract: "Remove exactly the git-autofix block from the pre-push hook.",
        discussion: "Everything outside the marker lines stays as it is; a hook file that only held the block is deleted."
    )

    func run() throws {
        try reportingErrors {
            let hook = PrePushHook(location: try HooksLocation.current())
            let terminal = Terminal.current
            switch try hook.uninstall() {
            case .notInstalled: terminal.out("The git-autofix pre-push hook is not installed in \(hook.file.path); nothing to do.")
            case .removedBlock: terminal.out("Removed the git-autofix block from \(hook.file.path); the rest of the hook is unchanged.")
            case .removedFile: terminal.out("Removed \(hook.file.path) (it only held the git-autofix block).")
            }
        }
    }
}

struct HookStatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Say whether the pre-push hook is installed, where, and with which settings."
    )

    func run() throws {
        try reportingErrors {
            let location = try HooksLocation.current()
            let status = try PrePushHook(location: location).status()
            let terminal = Terminal.current
            let source = location.fromHooksPath ? " (core.hooksPath)" : ""
            terminal.out("hook file: \(status.file.path)\(source)")
            if !location.exists {
                terminal.out("note:      the hooks directory \(location.directory.path) does not exist; `git autofix hook install` creates it")
            }
            terminal.out("state:     \(status.summary)")
            if let script = status.script {
                terminal.out("runs:      \(script.path)\(status.scriptExists ? "" : " (missing)")")
            }
            try HookSettingsText.print(location, to: terminal)
            if let advice = status.advice { terminal.out("hint: \(advice)") }
        }
    }
}

/// The two settings the hook reads, shown after install and in status.
enum HookSettingsText {
    static func print(_ location: HooksLocation, to terminal: Terminal) throws {
        let settings = location.settings
        if let command = try settings.configuredTestCommand() {
            terminal.out("  test command: \(command.terminalSafeLine)  (\(ConfigKey.testCommand))")
        } else if let root = location.workTree, let detected = TestCommandDetector().detect(in: root) {
            terminal.out("  test command: not set, so the hook tests nothing. Found \(detected.reason); to test with it, run:")
            terminal.out("                git config \(ConfigKey.testCommand) \(ShellWord.quoted(detected.command))")
        } else {
            terminal.out("  test command: not set; the hook tests nothing until you run: git config \(ConfigKey.testCommand) '<command>'")
        }
        let modes = PrePushMode.allCases.map(\.rawValue)
        let choices = modes.dropLast().joined(separator: ", ") + " or " + modes.last!
        terminal.out("  on failure:   \(try settings.prePushSetting().terminalSafeLine)  (\(ConfigKey.prePush): \(choices))")
    }
}
