import ArgumentParser
import AutofixCore
import AutofixGit
import AutofixSupport
import Foundation

struct ApplyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Bring a run's accepted changes into your working tree.",
        discussion: """
            Merges three ways (base: the run's snapshot; yours: the working tree now; theirs: the \
            run's last commit, or --commit) and writes only the files that change. When the run \
            has no commits, or your tree is clean at the commit the run started from (a fresh \
            clone, say), or with --with-snapshot, the snapshot's own changes come over too. Your index \
            and branch are not touched. Writes only over files that are as the run found them, so \
            the rest of the tree may be dirty; refuses, naming them, when files the run changes \
            were edited since its snapshot, unless --force: then your edits are merged, not \
            overwritten, and a backup ref keeps them; so it does for an ignored file that the \
            run's changes replace. \
            Refuses on conflicts before writing anything. You can also simply \
            `git cherry-pick` the run's commits.
            """
    )

    @Argument(help: ArgumentHelp("The run: full ref, run id, or a unique prefix.", valueName: "run"))
    var runName: String

    @Option(help: ArgumentHelp("Apply up to this commit of the run instead of its last one.", valueName: "id"))
    var commit: String?

    @Flag(help: "Merge into files you edited since the run's snapshot (your edits are kept, and backed up).")
    var force = false

    @Flag(help: "Also bring the uncommitted changes the run's snapshot recorded, not only its commits.")
    var withSnapshot = false

    func run() throws {
        try reportingErrors {
            let repository = try currentRepository()
            let catalog = RunCatalog(repository: repository)
            let summary = try catalog.summary(of: try catalog.resolve(runName))
            let target = try commit.map { try repository.resolveCommit($0) }
            let outcome = try WorktreeApplier(repository: repository).apply(summary, upTo: target, force: force, includingSnapshot: withSnapshot)
            let terminal = Terminal.current
            guard !outcome.changes.isEmpty else {
                terminal.out("Nothing to apply: your working tree already has run \(summary.name.id)'s changes.")
                return
            }
            terminal.write(DiffStatText.render(outcome.changes).terminalSafe)
            if let backup = outcome.backupRef {
                terminal.out("Your previous working tree is kept at \(backup).")
                for path in outcome.replacedIgnored {
                    let file = path.terminalSafeLine
                    terminal.out("Replaced your ignored file \(file) with the run's; yours is kept: git show \(ShellWord.quoted("\(backup):\(file)"))")
                }
            }
            try catalog.markApplied(summary)
            terminal.out("Applied run \(summary.name.id) to the working tree (not staged). Review with `git diff`.")
        }
    }
}
