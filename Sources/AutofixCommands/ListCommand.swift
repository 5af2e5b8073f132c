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
