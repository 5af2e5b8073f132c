import ArgumentParser
import AutofixCore
import AutofixSupport
import Foundation

/// `git autofix [options]`: the repair loop. It is the default subcommand, so `git autofix`
/// alone runs it.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Fix failing tests with a model, committing each accepted patch on a scratch ref.",
        discussion: """
            Snapshots your working tree (never writing it, your index or your branch), checks it \
            out into a scratch directory, runs the tests in a sandbox, and lets the model stream \
            fixes one file patch at a time. A round's change is committed on \
            refs/autofix/<branch>/<run-id> only when no passing test breaks and fewer tests \
            fail. Review the result with `git autofix show`, then `git autofix apply` it, \
            `git cherry-pick` it, or `git autofix drop` it.

            Settings come from flags, then AUTOFIX_ENDPOINT / AUTOFIX_MODEL, then git config \
            autofix.*, then defaults. Exit status: 0 all tests pass, 1 tests still failing, \
            2 usage or configuration, 3 model or endpoint, 4 sandbox, 5 git, 130 interrupted \
            (129 by SIGHUP, 143 by SIGTERM).
            """
    )

    @Option(name: .customLong("test"), help: ArgumentHelp("The test command (default: autofix.testCommand, else detected).", valueName: "command"))
    var test: String?

    @Option(help: ArgumentHelp("Also tell the model what to do, in words.", valueName: "text"))
    var issue: String?

    @Option(help: ArgumentHelp("Read the task text from a file.", valueName: "file"))
    var issueFile: String?

    @OptionGroup var modelAndSandbox: ModelAndSandboxOptions

    @Option(help: ArgumentHelp(
        "Most rounds to play (default \(SettingDefaults.maxRounds), at most \(SettingDefaults.maxRoundsRange.upperBound)).", valueName: "n"))
    var maxRounds: Int?

    @Option(help: ArgumentHelp("Time budget for the whole run, e.g. 30m.", valueName: "duration"))
    var timeout: String?

    @OptionGroup var testTimeout: TestTimeoutOption

    @Option(help: ArgumentHelp("Sampling temperature (default \(SettingDefaults.temperature)).", valueName: "t"))
    var temperature: Double?

    @Option(name: .customLong("top-p"), help: ArgumentHelp("Nucleus sampling top_p (default \(SettingDefaults.topP)).", valueName: "p"))
    var topP: Double?

    @Option(help: ArgumentHelp("Most tokens the model may write per reply (default \(SettingDefaults.maxDiffTokens)).", valueName: "n"))
    var maxDiffTokens: Int?

    @Option(help: ArgumentHelp(
        "Replies to ask for at once in each round; the best improving one is kept (default \(SettingDefaults.candidates), at most \(SettingDefaults.candidatesRange.upperBound)).",
        valueName: "n"))
    var candidates: Int?

    @Flag(help: "Ask for one file patch per request and test it before asking for the next, until the model says it is done (autofix.onePatchPerRequest).")
    var onePatchPerRequest = false

    @Option(help: ArgumentHelp("The model's context window in tokens (default: what the server reports, else 32000).", valueName: "n"))
    var contextTokens: Int?

    @Option(help: ArgumentHelp("How the model writes edits: diff (default) or whole files.", valueName: "format"))
    var editFormat: String?

    @Flag(help: "Do not let the model edit test files (adds common test paths to autofix.protect).")
    var noTestEdits = false

    @Option(help: ArgumentHelp("Read the API key from this environment variable instead of AUTOFIX_API_KEY, MISTRAL_API_KEY or OPENAI_API_KEY.", valueName: "name"))
    var apiKeyEnv: String?

    @Flag(help: "Run the baseline tests even when a result for the snapshot's tree, test command and sandbox settings (or the pre-push hook's for it) is stored (autofix.reuseResults).")
    var noReuse = false

    @Flag(help: "Keep the scratch checkout after the run, and print where it is.")
    var keepScratch = false

    @Flag(help: "Build from scratch in a temporary directory instead of where the last run left its build (autofix.warmBuilds).")
    var noWarmBuilds = false

    @Flag(help: "Print one JSON event per line instead of text.")
    var json = false

    @Flag(name: [.short, .long], help: "Do not ask before starting (e.g. when the sandbox is none).")
    var yes = false

    // Only combinations of flags are checked here; a value is checked by the settings resolver,
    // the same way (and with the same exit status) whether a flag or git config gave it.
    func validate() throws {
        if issue != nil && issueFile != nil { throw ValidationError("Give --issue or --issue-file, not both.") }
    }

    var flags: RepairFlags {
        var flags = RepairFlags()
        flags.test = test
        flags.issue = issue
        flags.issueFile = issueFile
        modelAndSandbox.apply(to: &flags)
        flags.maxRounds = maxRounds
        flags.timeout = timeout
        flags.testTimeout = testTimeout.testTimeout
        flags.temperature = temperature
        flags.topP = topP
        flags.maxDiffTokens = maxDiffTokens
        flags.contextTokens = contextTokens
        flags.candidates = candidates
        flags.onePatchPerRequest = onePatchPerRequest ? true : nil
        flags.editFormat = editFormat
        flags.noTestEdits = noTestEdits
        flags.noReuse = noReuse
        flags.apiKeyEnv = apiKeyEnv
        flags.noWarmBuilds = noWarmBuilds
        return flags
    }

    func run() async throws {
        let interruption = InterruptibleTask()
        let outcome: RunOutcome = try await reportingErrors {
            let repository = try currentRepository()
            let environment = ProcessInfo.processInfo.environment
            let root = try repository.requireWorkingDirectory()
            let settings = try SettingsResolver(
                flags: flags, environment: environment, projectRoot: root,
                config: { try repository.configString($0) }, configList: { try repository.configStrings($0) }
            ).resolve()
            let renderer: RunRenderer = json ? JSONRunRenderer() : TextRunRenderer(terminal: .current)
            if settings.sandbox == .none {
                try confirmUnconfined()
            }
            let components = try RunComponents(settings: settings, environment: environment)
            let loop = RepairLoop(repository: repository, settings: settings, model: components.model,
                                  tests: components.tests, events: { renderer.render($0) })
            loop.keepScratch = keepScratch
            loop.warmBuilds = settings.warmBuildsOffBy.map { .off($0) } ?? .on(environment: environment)
            loop.interruptedBy = { interruption.cause }
            return try await interruption.run { try await loop.run() }
        }
        switch outcome.status {
        case .fixed, .alreadyPassing: return
        case .failing: throw ExitCode(ExitCategory.testsFailing.rawValue)
        case .interrupted: throw ExitCode(128 + (interruption.signal ?? SIGINT))
        }
    }
}

extension RunCommand {
    /// Without a sandbox the model's code runs with the user's own permissions: say so every time,
    /// and go ahead only when the user confirms (on a terminal, or with --yes).
    func confirmUnconfined() throws {
        try Self.confirmUnconfined(yes: yes)
    }

    static func confirmUnconfined(yes: Bool) throws {
        let terminal = Terminal.current
        terminal.err(terminal.paint("warning: ", .yellow)
            + "--sandbox none runs the code the model writes with your own permissions, network and files.")
        if yes { return }
        guard terminal.interactive else {
            throw UsageError("not started: running without a sandbox needs confirmation",
                             hint: "pass --yes to confirm, or leave out --sandbox none to use bubblewrap")
        }
        guard terminal.confirm("Run it without a sandbox?") else {
            throw UsageError("not started", hint: "leave out --sandbox none to run the tests in bubblewrap")
        }
    }
}

/// Runs an operation that the first Ctrl-C, SIGTERM or SIGHUP cancels (so the run can save its
/// state, stop the sandbox and remove its scratch directory); a second one exits at once.
final class InterruptibleTask: @unchecked Sendable {
    static let signals = [SIGINT, SIGTERM, SIGHUP]
    private let lock = NSLock()
    private var received: Int32?

    /// The first signal that arrived, if any.
    var signal: Int32? { lock.withLock { received } }

    var cause: String {
        switch signal {
        case SIGTERM: return "SIGTERM"
        case SIGHUP: return "SIGHUP"
        default: return "Ctrl-C"
        }
    }

    func run<T: Sendable>(_ operation: sending @escaping () async throws -> T) async throws -> T {
        let task = Task { try await operation() }
        // After SIGHUP the terminal is gone: a write to it must fail, not kill the run mid-clean-up.
        Glibc.signal(SIGPIPE, SIG_IGN)
        let sources = Self.signals.map { number -> DispatchSourceSignal in
            Glibc.signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: DispatchQueue.global())
            source.setEventHandler { [self] in
                guard lock.withLock({ () -> Bool in
                    if received != nil { return false }
                    received = number
                    return true
                }) else { exit(128 + number) }
                Terminal.current.err(number == SIGINT
                    ? "\ninterrupting: stopping the model and the tests, keeping every accepted commit (Ctrl-C again to quit at once)"
                    : "\n\(cause) received: stopping the model and the tests, keeping every accepted commit")
                task.cancel()
            }
            source.resume()
            return source
        }
        defer {
            for (number, source) in zip(Self.signals, sources) {
                source.cancel()
                Glibc.signal(number, SIG_DFL)
            }
        }
        return try await task.value
    }
}
