import AutofixCore
import AutofixGit

/// Says which runs were found dead and cleaned up, on stderr so that --json output stays JSON.
enum AbandonedRunsText {
    static func clean(_ repository: Repository) {
        for run in AbandonedRuns(repository: repository).clean() {
            let what = run.removed.isEmpty ? "" : "; removed what it left: " + run.removed.map(\.terminalSafeLine).joined(separator: ", ")
            Terminal.current.err("note: run \(run.runID.terminalSafeLine) was left running by process \(run.pid), which is gone: marked interrupted (its accepted commits are kept)\(what)")
        }
    }
}
