import ArgumentParser
import AutofixCore
import AutofixGit
import AutofixSupport
import Foundation

/// `git autofix fixup [<upstream>]`: repairs the commit that broke the tests, as a `fixup!`
/// commit to fold in with `git rebase -i --autosquash`.
struct FixupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fixup",
        abstract: "Fix the commit that broke the tests, as one fixup! commit for an autosquash rebase.",
        discussion: """
            Tests the commits in <upstream>..HEAD (one by one when there are a few, by bisection \
            when there are more; a tree already tested is not tested again), finds the first \
            commit whose tests fail while its parent's pass, and repairs at that commit. What the \
            run keeps becomes one commit `fixup! <subject>` on top of HEAD, on the run's ref, with \
            the trailer Autofix-Fixes naming the commit it fixes; when it does not apply on HEAD \
            it is kept on the failing commit instead. Fold it in with `git cherry-pick <fix>` \
            and `git rebase -i --autosquash <upstream>`. Your branch, index and work tree are \
            never written.

            Exit status: 0 the tests pass (or already passed on every commit), 1 tests still \
            failing (or failing on <upstream> already), otherwise as `git autofix run`.
            """
    )

    @Argument(help: ArgumentHelp("Where the commits to test start (default: the branch's upstream).", valueName: "upstream"))
    var upstream: String?

    @Option(name: .customLong("test"), help: ArgumentHelp("The test command (default: autofix.testCommand, else detected).", valueName: "command"))
    var test: String?

    @OptionGroup var modelAndSandbox: ModelAndSandboxOptions

    @Option(help: ArgumentHelp(
        "Most rounds to play (default \(SettingDefaults.maxRounds), at most \(SettingDefaults.maxRoundsRange.upperBound)).", valueName: "n"))
    var maxRounds: Int?

    @Option(help: ArgumentHelp("Time budget for the repair, e.g. 30m.", valueName: "duration"))
    var timeout: String?

    @OptionGroup var testTimeout: TestTimeoutOption

    @Flag(name: [.short, .long], help: "Do not ask before starting (e.g. when the sandbox is none).")
    var yes = false

    // The pre-push hook repairs a pushed commit that need not be HEAD, named after the pushed branch.
    @Option(help: .hidden) var tip: String?
    @Option(help: .hidden) var branch: String?
    @Flag(help: .hidden) var root = false

    func run() async throws {
        let interruption = InterruptibleTask()
        let terminal = Terminal.current
        let (outcome, upstreamText): (FixupOutcome, String) = try await reportingErrors {
            let repository = try currentRepository()
            let environment = ProcessInfo.processInfo.environment
            var flags = RepairFlags()
            flags.test = test
            modelAndSandbox.apply(to: &flags)
            flags.maxRounds = maxRounds
            flags.timeout = timeout
            flags.testTimeout = testTimeout.testTimeout
            let settings = try SettingsResolver(
                flags: flags, environment: environment, projectRoot: try repository.requireWorkingDirectory(),
                config: { try repository.configString($0) }, configList: { try repository.configStrings($0) }
            ).resolve()
            let head = try repository.head()
            let tipCommit = try tip.map { try repository.resolveCommit($0) } ?? head.commit
            guard let tipCommit else {
                throw UsageError("there are no commits to test yet", hint: "commit your work, then run git autofix fixup")
            }
            let upstreamCommit: ObjectID?
            do {
                upstreamCommit = root ? nil : try repository.resolveCommit(upstream ?? "@{upstream}")
            } catch where upstream == nil {
                throw UsageError("the branch has no upstream to test from",
                                 hint: "name where its commits start: git autofix fixup <upstream>, e.g. origin/main")
            }
            if settings.sandbox == .none {
                try RunCommand.confirmUnconfined(yes: yes)
            }
            let range = try FixupRange.between(upstreamCommit, and: tipCommit, in: repository)
            let components = try RunComponents(settings: settings, environment: environment)
            let renderer = TextRunRenderer(terminal: terminal)
            let fixup = FixupRun(
                repository: repository, settings: settings, model: components.model, tests: components.tests,
                events: { event in
                    // The run's own closing lines name the rounds' ref, which the fixup commit replaces.
                    if case .finished(let outcome) = event { renderer.headline(outcome) } else { renderer.render(event) }
                },
                progress: { FixupText.progress($0, to: terminal) })
            fixup.interruptedBy = { interruption.cause }
            let after = upstreamCommit.map { " after \($0.short)" } ?? " from the root commit"
            terminal.out("Testing \(range.commits.count) commit\(range.commits.count == 1 ? "" : "s")\(after) with: \(settings.testCommand.terminalSafeLine)")
            let outcome = try await interruption.run {
                try await fixup.run(range, head: tipCommit, branch: branch ?? head.refComponent)
            }
            return (outcome, upstream.map(ShellWord.quoted) ?? upstreamCommit?.short ?? "--root")
        }
        try FixupText.result(outcome, upstream: upstreamText, to: terminal, interruption: interruption)
    }
}

/// The lines `fixup` prints of its own.
enum FixupText {
    static func progress(_ event: FixupEvent, to terminal: Terminal) {
        switch event {
        case .tested(let commit, let subject, let passed, let remembered):
            let verdict = passed ? terminal.paint("pass", .green) : terminal.paint("FAIL", .red)
            terminal.out("  \(verdict) \(commit.short) \(subject.terminalSafeLine)\(remembered ? " (a stored result for the same tree)" : "")")
        case .repairing(let commit, let subject):
            terminal.out("First failing commit: \(commit.short) \(subject.terminalSafeLine). Repairing at that commit.")
        }
    }

    static func result(_ outcome: FixupOutcome, upstream: String, to terminal: Terminal, interruption: InterruptibleTask) throws {
        switch outcome {
        case .allPass:
            terminal.out(terminal.paint("The tests pass on every commit", .green) + ": nothing to fix.")
        case .upstreamFails(let commit):
            terminal.out(terminal.paint("The tests already fail on \(commit.short)", .red)
                + " (the upstream), so no commit after it broke them; run git autofix there instead.")
            throw ExitCode(ExitCategory.testsFailing.rawValue)
        case .repaired(let failing, _, let run, let fix):
            if let fix {
                switch fix.placement {
                case .onHead:
                    terminal.out("fixup! commit \(fix.id.short) on \(ShellWord.quoted(run.ref)), on top of HEAD. Your branch, index and work tree were not touched.")
                case .onFailingCommit(let conflicts):
                    terminal.out("The fix does not apply on HEAD (it conflicts in \(conflicts.joined(separator: ", ").terminalSafeLine)): it is kept on \(failing.short) instead, as \(fix.id.short) on \(ShellWord.quoted(run.ref)).")
                    terminal.out("cherry-pick will stop on those conflicts for you to resolve.")
                }
                terminal.out("  git autofix show \(run.run)   # review it")
                terminal.out("Fold it into \(failing.short):")
                terminal.out("  git cherry-pick \(fix.id.short)")
                terminal.out("  git rebase -i --autosquash \(upstream)")
            } else {
                terminal.out("No change was kept, so there is no fixup commit.")
                terminal.out("  what each round did:  git autofix show \(run.run) --rounds")
                terminal.out("  remove the run:       git autofix drop \(run.run)")
            }
            switch run.status {
            case .fixed, .alreadyPassing: return
            case .failing: throw ExitCode(ExitCategory.testsFailing.rawValue)
            case .interrupted: throw ExitCode(128 + (interruption.signal ?? SIGINT))
            }
        }
    }
}
