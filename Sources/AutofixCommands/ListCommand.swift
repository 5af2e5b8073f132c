import ArgumentParser
import AutofixCore
import AutofixGit
import AutofixSupport
import Foundation

struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List runs, newest first.",
        discussion: """
            Shows each run's id, branch, base commit, age, accepted commits and status (and \
            whether `git autofix apply` brought it in). Runs that kept no commit (tests already \
            passing, nothing accepted, errors; not snapshots) are left out unless --all, which also lists the \
            backup refs that `apply --force` made and the warm build place with its size.
            """
    )

    @Flag(help: "Also list runs that kept no commit, apply's backup refs and the warm build place.")
    var all = false

    @Flag(help: "Print one JSON object per run, one per line.")
    var json = false

    func run() throws {
        try reportingErrors {
            let repository = try currentRepository()
            AbandonedRunsText.clean(repository)
            let catalog = RunCatalog(repository: repository)
            let everyRun = try catalog.runs()
            let runs = all ? everyRun : everyRun.filter { !Self.producedNothing($0) }
            let hidden = everyRun.count - runs.count
            let backups = all ? try catalog.backupRefs() : []
            let terminal = Terminal.current
            if json {
                runs.forEach { terminal.json(RunJSON($0)) }
                return
            }
            if everyRun.isEmpty && backups.isEmpty {
                terminal.out("No runs yet. `git autofix` starts one; `git autofix snapshot` records the working tree.")
                return
            }
            for run in runs {
                let base = run.base?.short ?? "(unborn)"
                let commits = run.commits.count == 1 ? "1 commit" : "\(run.commits.count) commits"
                let applied = run.record?.applied == nil ? "" : ", applied"
                terminal.out("\(terminal.paint(run.name.id.terminalSafeLine, .yellow))  \(run.name.branch.terminalSafeLine)  base \(base)  \(Self.age(run.created))  \(commits)  \(run.statusText.terminalSafeLine)\(applied)")
            }
            for backup in backups {
                terminal.out("\(backup.name.terminalSafeLine)  (the work tree before an `apply`; `git autofix drop --all` removes it)")
            }
            if all, let warm = Self.warmPlace(of: repository) {
                terminal.out("warm build place \(warm.path.terminalSafeLine)  \(warm.size)  (`git autofix drop --all` removes it)")
            }
            if hidden > 0 {
                terminal.out("(\(hidden) run\(hidden == 1 ? "" : "s") that kept no commit not shown; --all lists \(hidden == 1 ? "it" : "them"))")
            }
        }
    }

    /// A repair that ended without a commit (tests already passing, nothing accepted, an
    /// error). A snapshot of its own is kept: it is the user's safety net. A run still going has
    /// nothing yet, but is news.
    static func producedNothing(_ run: RunSummary) -> Bool {
        guard let record = run.record, run.commits.isEmpty else { return false }
        return record.status != RunStatus.running && record.status != RunStatus.snapshot
    }

    /// Where this repository's runs keep their build between runs, and what it holds on disk.
    static func warmPlace(of repository: Repository) -> (path: String, size: String)? {
        guard let cacheHome = WarmPlace.cacheHome(environment: ProcessInfo.processInfo.environment) else { return nil }
        let place = WarmPlace.location(for: repository, cacheHome: cacheHome)
        guard let handle = try? DirectoryHandle.open(place.path) else { return nil }
        let bytes = (try? handle.allocatedBytes()) ?? 0
        return (place.path, bytes >= 1 << 30 ? String(format: "%.1f GiB", Double(bytes) / Double(1 << 30))
                : String(format: "%.0f MiB", Double(bytes) / Double(1 << 20)))
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
    /// When `git autofix apply` last brought the run in; nil when it never did.
    let applied: Date?
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
        applied = run.record?.applied
        commits = run.commits.map { Commit(id: $0.id.hex, summary: $0.summary, trailers: $0.trailers) }
    }
}
