import ArgumentParser
import AutofixCore
import AutofixGit
import AutofixSupport
import Foundation

struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show a run's commits with their messages and diffstat, and what each round did.",
        discussion: """
            RUN is the full ref, the run id, or a unique prefix of it. Below the commits comes one \
            line per round (its verdict, failing tests before and after, time); --rounds shows each \
            round in full (reason, patches and how they applied, the tests that failed, tokens), \
            and --reply N prints what the model wrote in round N.
            """
    )

    @Argument(help: ArgumentHelp("The run: full ref, run id, or a unique prefix.", valueName: "run"))
    var runName: String

    @Flag(name: [.short, .long], help: "Show the full patch of each commit, not only the diffstat.")
    var patch = false

    @Flag(help: "Show each round in full: reason, patches and how they applied, failing tests, timings and tokens.")
    var rounds = false

    @Option(help: ArgumentHelp("Print the model's reply in round N, as it was streamed.", valueName: "n"))
    var reply: Int?

    @Flag(help: "Print the run as one JSON object.")
    var json = false

    func run() throws {
        try reportingErrors {
            let repository = try currentRepository()
            AbandonedRunsText.clean(repository)
            let catalog = RunCatalog(repository: repository)
            let summary = try catalog.summary(of: try catalog.resolve(runName))
            let terminal = Terminal.current
            let transcript = RunTranscriptReader(directory: RunStatusStore(repository: repository).directory(for: summary.name.id))
            if let reply {
                terminal.write(try RoundsText.reply(reply, in: transcript.rounds(), run: summary.name.id).terminalSafe)
                return
            }
            if json {
                terminal.json(RunJSON(summary))
                return
            }
            // Everything below is read back from the repository, where anyone could have put anything.
            terminal.out("run \(terminal.paint(summary.name.id.terminalSafeLine, .yellow))  (\(summary.name.ref.terminalSafeLine))")
            terminal.out("branch \(summary.name.branch.terminalSafeLine), base \(summary.base?.hex ?? "(unborn)"), status \(summary.statusText.terminalSafeLine)")
            terminal.out()
            let snapshot = summary.snapshot
            terminal.out(terminal.paint("snapshot \(snapshot.id.short)", .yellow) + "  \(snapshot.summary.terminalSafeLine)")
            let baseTree = try summary.base.map { try repository.commit($0).tree }
            if let staged = snapshot.trailers[Snapshotter.indexTreeTrailer].flatMap(ObjectID.init(hex:)) {
                let stagedChanges = try repository.changes(from: baseTree, to: staged)
                let unstagedChanges = try repository.changes(from: staged, to: snapshot.tree)
                terminal.out("  staged:")
                terminal.write(DiffStatText.render(stagedChanges).indented("  ").terminalSafe)
                terminal.out("  not staged (including untracked):")
                terminal.write(DiffStatText.render(unstagedChanges).indented("  ").terminalSafe)
            }
            var previousTree = snapshot.tree
            for commit in summary.commits {
                terminal.out()
                terminal.out(terminal.paint("commit \(commit.id.hex)", .yellow))
                terminal.out(commit.message.terminalSafe.trimmingCharacters(in: .whitespacesAndNewlines).indented("    "))
                terminal.out()
                terminal.write(DiffStatText.render(try repository.changes(from: previousTree, to: commit.tree)).terminalSafe)
                if patch { terminal.write(try repository.patchText(from: previousTree, to: commit.tree).terminalSafe) }
                previousTree = commit.tree
            }
            let played = try transcript.rounds()
            if !played.isEmpty {
                terminal.out()
                terminal.out(terminal.paint("rounds", .yellow))
                for round in played {
                    terminal.out(RoundsText.line(round, terminal: terminal))
                    if rounds { terminal.write(RoundsText.detail(round, run: summary.name.id)) }
                }
            }
            terminal.out()
            if summary.commits.isEmpty {
                terminal.out("No accepted commits on this run.")
            } else {
                let run = ShellWord.quoted(summary.name.id.terminalSafeLine)
                let cherryPick = "git cherry-pick \(summary.snapshot.id.short)..\(summary.tip.short)"
                terminal.out("Bring them into your work tree: git autofix apply \(run)")
                if try repository.hasLocalChanges() {
                    terminal.out("To pick them with git, first commit your own changes (cherry-pick refuses a dirty tree): \(cherryPick)")
                } else {
                    terminal.out("Or pick them with git:          \(cherryPick)")
                }
            }
            if !played.isEmpty && !rounds {
                terminal.out("Each round in full: git autofix show \(ShellWord.quoted(summary.name.id.terminalSafeLine)) --rounds")
            }
        }
    }
}

extension String {
    func indented(_ prefix: String) -> String {
        split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.isEmpty ? "" : prefix + $0 }
            .joined(separator: "\n")
    }
}
