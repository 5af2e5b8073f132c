import ArgumentParser
import AutofixCore
import Foundation

struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List runs, newest first.",
        discussion: "Shows each run's id, branch, base commit, age, accepted commits and status."
    )

    @Flag(help: "Print one JSON object per run, one per line.")
    var json = false

    func run() throws {
        try reportingErrors {
            let repository = try currentRepository()
            AbandonedRunsText.clean(repository)
            let runs = try RunCatalog(repository: repository).runs()
            let terminal = Terminal.current
            if json {
                runs.forEach { terminal.json(RunJSON($0)) }
                return
            }
            guard !runs.isEmpty else {
                terminal.out("No runs yet. `git autofix` starts one; `git autofix snapshot` records the working tree.")
                return
            }
            for run in runs {
                let base = run.base?.short ?? "(unborn)"
                let commits = run.commits.count == 1 ? "1 commit" : "\(run.commits.count) commits"
                terminal.out("\(terminal.paint(run.name.id.terminalSafeLine, .yellow))  \(run.name.branch.terminalSafeLine)  base \(base)  \(Self.age(run.created))  \(commits)  \(run.statusText.terminalSafeLine)")
            }
        }
    }

    static func age(_ date: Date, now: Date = Date()) -> String {
        let seconds = max(0, now.timeIntervalSince(date))
        switch seconds {
        case ..<60: return "just now"
        case ..<3600: return "\(Int(seconds / 60))m ago"
        case ..<86400: return "\(Int(seconds / 3600))h ago"
        default: return "\(Int(seconds / 86400))d ago"
        }
    }
}

struct RunJSON: Encodable {
    struct Commit: Encodable {
        let id: String
        let summary: String
        let trailers: [String: String]
    }

    let run: String
    let ref: String
    let branch: String
    let base: String?
    let snapshot: String
    let tip: String
    let created: Date
    let status: String
    let commits: [Commit]

    init(_ run: RunSummary) {
        self.run = run.name.id
        ref = run.name.ref
        branch = run.name.branch
        base = run.base?.hex
        snapshot = run.snapshot.id.hex
        tip = run.tip.hex
        created = run.created
        status = run.record?.status ?? run.statusText
        commits = run.commits.map { Commit(id: $0.id.hex, summary: $0.summary, trailers: $0.trailers) }
    }
}

struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show a run's commits with their messages and diffstat.",
        discussion: "RUN is the full ref, the run id, or a unique prefix of it."
    )

    @Argument(help: ArgumentHelp("The run: full ref, run id, or a unique prefix.", valueName: "run"))
    var runName: String

    @Flag(name: [.short, .long], help: "Show the full patch of each commit, not only the diffstat.")
    var patch = false

    @Flag(help: "Print the run as one JSON object.")
    var json = false

    func run() throws {
        try reportingErrors {
            let repository = try currentRepository()
            AbandonedRunsText.clean(repository)
            let catalog = RunCatalog(repository: repository)
            let summary = try catalog.summary(of: try catalog.resolve(runName))
            let terminal = Terminal.current
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
            if summary.commits.isEmpty {
                terminal.out()
                terminal.out("No accepted commits on this run.")
            } else {
                terminal.out()
                terminal.out("Bring them into your work tree: git autofix apply \(ShellWord.quoted(summary.name.id.terminalSafeLine))")
                terminal.out("Or pick them with git:          git cherry-pick \(summary.snapshot.id.short)..\(summary.tip.short)")
            }
        }
    }
}

struct ApplyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Bring a run's accepted changes into your working tree.",
        discussion: """
            Merges three ways (base: the run's snapshot; yours: the working tree now; theirs: the \
            run's last commit, or --commit) and writes only the files that change. When the run \
            has no commits, or your tree is clean at the commit the run started from (a fresh \
            clone, say), or with --with-snapshot, the snapshot's own changes come over too. Your index \
            and branch are not touched. Refuses when your tree has local changes unless --force; \
            with --force your edits are merged, not overwritten, and a backup ref keeps them; so it \
            does for an ignored file that the run's changes replace. \
            Refuses on conflicts before writing anything. You can also simply \
            `git cherry-pick` the run's commits.
            """
    )

    @Argument(help: ArgumentHelp("The run: full ref, run id, or a unique prefix.", valueName: "run"))
    var runName: String

    @Option(help: ArgumentHelp("Apply up to this commit of the run instead of its last one.", valueName: "id"))
    var commit: String?

    @Flag(help: "Merge into a working tree with local changes (they are kept, and backed up).")
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
            terminal.out("Applied run \(summary.name.id) to the working tree (not staged). Review with `git diff`.")
        }
    }
}

struct DropCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drop",
        abstract: "Delete runs and their refs.",
        discussion: """
            Asks first on a terminal; pass --yes in scripts. Reports what it removed. Refuses to \
            drop a run that is still running unless --force.
            """
    )

    @Argument(help: "The runs to delete: full ref, run id, or a unique prefix.")
    var runs: [String] = []

    @Flag(help: "Delete every run.")
    var all = false

    @Flag(name: [.short, .long], help: "Do not ask for confirmation.")
    var yes = false

    @Flag(help: "Drop runs that are still running too (they then fail when they next commit).")
    var force = false

    func validate() throws {
        if all && !runs.isEmpty { throw ValidationError("Give run names or --all, not both.") }
        if !all && runs.isEmpty { throw ValidationError("Name the runs to drop, or pass --all.") }
    }

    func run() throws {
        try reportingErrors {
            let repository = try currentRepository()
            // A dead run's scratch directory is named only in its record, which dropping removes.
            AbandonedRunsText.clean(repository)
            let catalog = RunCatalog(repository: repository)
            let names = all ? try catalog.runs().map(\.name) : try runs.map { try catalog.resolve($0) }
            let terminal = Terminal.current
            guard !names.isEmpty else {
                terminal.out("No runs to drop.")
                return
            }
            if !force { try refuseRunning(names, in: repository) }
            if !yes {
                guard terminal.interactive else {
                    throw UsageError("drop deletes \(names.count) run(s) and needs confirmation",
                                     hint: "pass --yes to confirm when not on a terminal")
                }
                guard terminal.confirm("Delete \(names.count) run(s): \(names.map(\.id).joined(separator: ", "))?") else {
                    terminal.out("Nothing deleted.")
                    return
                }
            }
            for name in names {
                let run = try catalog.drop(name)
                terminal.out("Dropped \(name.ref.terminalSafeLine) (was \(run.tip.short), \(run.commits.count) commit\(run.commits.count == 1 ? "" : "s"))")
            }
        }
    }
}

extension DropCommand {
    /// Dropping a run under its own process makes that run fail when it next commits.
    func refuseRunning(_ names: [RunName], in repository: Repository) throws {
        let store = RunStatusStore(repository: repository)
        let running = names.compactMap { name in store.read(name.id)?.liveProcess.map { (name, $0) } }
        guard let (first, process) = running.first else { return }
        let host = process.host.isEmpty ? "" : " on \(process.host.terminalSafeLine)"
        let others = running.count > 1 ? " (and \(running.count - 1) more)" : ""
        throw UsageError(
            "run \(first.id) is still running, in process \(process.pid)\(host)\(others); nothing was dropped",
            hint: "let it finish, or stop it with `kill -INT \(process.pid)` (it keeps its accepted commits), then drop it; --force drops it now, and the run then fails")
    }
}

/// Says which runs were found dead and cleaned up, on stderr so that --json output stays JSON.
enum AbandonedRunsText {
    static func clean(_ repository: Repository) {
        for run in AbandonedRuns(repository: repository).clean() {
            let what = run.removed.isEmpty ? "" : "; removed what it left: " + run.removed.map(\.terminalSafeLine).joined(separator: ", ")
            Terminal.current.err("note: run \(run.runID.terminalSafeLine) was left running by process \(run.pid), which is gone: marked interrupted (its accepted commits are kept)\(what)")
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
