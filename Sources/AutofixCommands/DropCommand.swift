import ArgumentParser
import AutofixCore
import AutofixGit
import AutofixSupport
import Foundation

struct DropCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drop",
        abstract: "Delete runs and their refs.",
        discussion: """
            Asks first on a terminal; pass --yes in scripts. Reports what it removed: each run's \
            ref, the notes on its commits and its record. --all also removes the backup refs \
            that `apply` made (refs/autofix-backup/*) and the repository's warm build place \
            (under $XDG_CACHE_HOME/git-autofix/warm, by default ~/.cache). Refuses to drop a \
            run that is still running unless --force.
            """
    )

    @Argument(help: "The runs to delete: full ref, run id, or a unique prefix.")
    var runs: [String] = []

    @Flag(help: "Delete every run, the backup refs `apply` made and the warm build place.")
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
            let backups = all ? try catalog.backupRefs() : []
            let terminal = Terminal.current
            guard !names.isEmpty || !backups.isEmpty else {
                terminal.out("No runs to drop.")
                if all { try dropWarmPlace(of: repository, terminal: terminal) }
                return
            }
            if !force { try refuseRunning(names, in: repository) }
            if !yes {
                guard terminal.interactive else {
                    throw UsageError("drop deletes \(names.count) run(s) and needs confirmation",
                                     hint: "pass --yes to confirm when not on a terminal")
                }
                let backupText = backups.isEmpty ? "" : " and \(backups.count) backup ref(s) of apply"
                guard terminal.confirm("Delete \(names.count) run(s): \(names.map(\.id).joined(separator: ", "))\(backupText)?") else {
                    terminal.out("Nothing deleted.")
                    return
                }
            }
            for name in names {
                let run = try catalog.drop(name)
                terminal.out("Dropped \(name.ref.terminalSafeLine) (was \(run.tip.short), \(run.commits.count) commit\(run.commits.count == 1 ? "" : "s"))")
            }
            for backup in backups {
                try catalog.dropBackup(backup)
                terminal.out("Dropped \(backup.name.terminalSafeLine) (was \(backup.target.short))")
            }
            if all { try dropWarmPlace(of: repository, terminal: terminal) }
        }
    }
}

extension DropCommand {
    /// Removes the repository's warm build place; one that a run is using stays, and says so.
    func dropWarmPlace(of repository: Repository, terminal: Terminal) throws {
        guard let cacheHome = WarmPlace.cacheHome(environment: ProcessInfo.processInfo.environment) else { return }
        do {
            guard let removed = try WarmPlace.remove(for: repository, cacheHome: cacheHome) else { return }
            terminal.out("Removed the warm build place \(removed.path.terminalSafeLine)")
        } catch let error as AutofixError {
            terminal.err("warning: \(error.message.terminalSafeLine)" + (error.hint.map { " (\($0.terminalSafeLine))" } ?? ""))
        }
    }

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
