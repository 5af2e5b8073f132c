import ArgumentParser
import AutofixCore
import AutofixGit
import AutofixSupport
import AutofixTestReport
import Foundation

struct HookCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hook",
        abstract: "Install, remove or inspect the pre-push hook that runs your tests before each push.",
        discussion: """
            The hook runs autofix.testCommand on every commit being pushed, and blocks the push \
            while the tests fail (autofix.prePush: block, warn or fix). It is added between \
            marker lines, so a pre-push hook you already have is kept.

            It tests in your working tree when that is at the pushed commit with nothing \
            uncommitted the tests could see: ignored files (build output, virtual environments) \
            do not count, nor do untracked editor and merge leftovers (*.orig, *.rej, *.swp, \
            *.swo, *~, .#*, #*#, .DS_Store) or files matching the gitignore patterns in \
            autofix.prePushIgnoreUntracked (e.g. `git config --add \
            autofix.prePushIgnoreUntracked 'notes/*.md'`). Otherwise it tests in one worktree \
            it reuses from push to push, under ~/.cache/git-autofix/pre-push-worktrees/: each \
            push checks it out at the pushed commit and removes its untracked files but keeps \
            its ignored ones, so builds there stay warm. When another push holds it or it is \
            broken, a throwaway worktree is used. The hook says which place it tested in and \
            why. `git autofix hook uninstall` removes the reused worktree.

            With git-autofix on PATH it stores each commit's result by tree and takes a stored \
            one for the same tree and test command instead of testing again; a run after a \
            blocked push takes it as its baseline.
            """,
        subcommands: [HookInstallCommand.self, HookUninstallCommand.self, HookStatusCommand.self, HookSummaryCommand.self,
                      HookRecordCommand.self, HookCachedCommand.self]
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

/// The options the hook script names a result by: the pushing repository, the tree of the
/// pushed commit and the test command. The environment is always the host's.
struct HookResultKeyOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The pushing repository's git directory.", valueName: "path"))
    var gitDir: String

    @Option(help: ArgumentHelp("The tree of the commit tested.", valueName: "tree"))
    var tree: String

    @Option(help: ArgumentHelp("The test command, exactly as run.", valueName: "command"))
    var test: String

    func store() throws -> (TestResultStore, Repository) {
        let repository = try Repository.open(at: URL(fileURLWithPath: gitDir, isDirectory: true))
        return (TestResultStore(repository: repository), repository)
    }

    var key: TestResultKey { TestResultKey(tree: tree, command: test, environment: TestEnvironment.host) }
}

/// Used by the hook script: keeps the result of a test run on the host, its output read from
/// standard input, for later pushes and runs of the same tree.
struct HookRecordCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record",
        abstract: "Store the test result of a commit's tree, its output read from standard input.",
        shouldDisplay: false
    )

    @OptionGroup var key: HookResultKeyOptions

    @Option(help: "The test command's exit status.")
    var exitCode: Int32

    @Option(help: "How long the tests took, in seconds.")
    var seconds: Double

    @Option(help: ArgumentHelp("Where the tests ran.", valueName: "path"))
    var root: String?

    func run() throws {
        let output = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
        try reportingErrors {
            try key.store().0.record(StoredTestResult(
                key: key.key, exitCode: exitCode, timedOut: false, seconds: seconds, limitNote: nil, at: Date(),
                by: TestResultSource.prePushHook, root: root, output: output))
        }
    }
}

/// Used by the hook script: exits 0 and prints `<exit status> <seconds> <time>` when a host
/// result for the tree and command is stored (and autofix.reuseResults allows it), writing its
/// output to `--output`; exits 1 otherwise.
struct HookCachedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cached",
        abstract: "Print a stored host test result of a commit's tree, if there is one.",
        shouldDisplay: false
    )

    @OptionGroup var key: HookResultKeyOptions

    @Option(help: ArgumentHelp("Where the tests would run, for the paths the output names.", valueName: "path"))
    var root: String?

    @Option(help: ArgumentHelp("Where to write the stored output.", valueName: "path"))
    var output: String

    func run() throws {
        guard let (store, repository) = try? key.store() else { throw ExitCode(1) }
        let reuse = (try? repository.configBool(ConfigKey.reuseResults)) ?? true
        guard reuse != false, let stored = store.result(for: key.key) else { throw ExitCode(1) }
        try Data(stored.output(naming: root).utf8).write(to: URL(fileURLWithPath: output))
        Terminal.current.write("\(stored.exitCode ?? 1) \(Int(stored.seconds.rounded())) \(ReusedTime.text(stored.at))\n")
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
        discussion: """
            Everything outside the marker lines stays as it is; a hook file that only held the \
            block is deleted. The worktree the hook reused to test pushes is removed too, with \
            its entry in `git worktree list`.
            """
    )

    func run() throws {
        try reportingErrors {
            let location = try HooksLocation.current()
            let hook = PrePushHook(location: location)
            let terminal = Terminal.current
            let outcome = try hook.uninstall()
            let worktree = PrePushWorktree(repositoryDirectory: location.workTree ?? location.repository.gitDirectory)
            let removedWorktrees = worktree?.removeAll() ?? []
            switch outcome {
            case .notInstalled where removedWorktrees.isEmpty:
                terminal.out("The git-autofix pre-push hook is not installed in \(hook.file.path); nothing to do.")
            case .notInstalled: terminal.out("The git-autofix pre-push hook is not installed in \(hook.file.path).")
            case .removedBlock: terminal.out("Removed the git-autofix block from \(hook.file.path); the rest of the hook is unchanged.")
            case .removedFile: terminal.out("Removed \(hook.file.path) (it only held the git-autofix block).")
            }
            for path in removedWorktrees {
                terminal.out("Removed the worktree the hook tested pushes in: \(path.terminalSafeLine)")
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
            let worktree = PrePushWorktree(repositoryDirectory: location.workTree ?? location.repository.gitDirectory)
            for path in worktree?.registered() ?? [] {
                terminal.out("worktree:  \(path.terminalSafeLine) (reused to test pushes that your uncommitted changes keep out of the working tree)")
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
