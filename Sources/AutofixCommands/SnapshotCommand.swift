import ArgumentParser
import AutofixCore
import AutofixGit
import Foundation

struct SnapshotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapshot",
        abstract: "Record the working tree on a new run ref, touching nothing else.",
        discussion: """
            Records what is on disk (tracked changes, untracked files, deletions; never ignored \
            files) as a commit whose parent is HEAD, with what is staged as a second parent, and \
            points refs/autofix/<branch>/<run-id> at it. Your working tree, index, HEAD and \
            branch are not written, and .git/index.lock is never taken.
            """
    )

    @Flag(help: "Print the result as one JSON object.")
    var json = false

    func run() throws {
        try reportingErrors {
            let repository = try currentRepository()
            let snapshot = try Snapshotter(repository: repository).snapshot()
            try RunStatusStore(repository: repository).write(RunStatus(status: RunStatus.snapshot), for: snapshot.run.id)
            let terminal = Terminal.current
            if json {
                terminal.json(SnapshotJSON(snapshot))
                return
            }
            for warning in snapshot.capture.warnings + snapshot.largeFiles.map(\.warning) {
                terminal.err("warning: \(warning.terminalSafe)")
            }
            let counts = [
                ("modified", snapshot.capture.modified.count),
                ("untracked", snapshot.capture.added.count),
                ("deleted", snapshot.capture.deleted.count),
            ].filter { $0.1 > 0 }.map { "\($0.1) \($0.0)" }
            terminal.out("Snapshot \(terminal.paint(snapshot.run.id, .yellow)) of \(snapshot.head.refComponent)"
                + (counts.isEmpty ? " (no local changes)" : " (\(counts.joined(separator: ", ")))"))
            terminal.out("  ref:    \(snapshot.run.ref)")
            terminal.out("  commit: \(snapshot.commit.hex)")
            if snapshot.stagedCommit != nil { terminal.out("  staged changes recorded as its second parent") }
            terminal.out("Review with `git autofix show \(snapshot.run.id)`; remove with `git autofix drop \(snapshot.run.id)`.")
        }
    }
}

struct SnapshotJSON: Encodable {
    let run: String
    let ref: String
    let commit: String
    let base: String?
    let branch: String?
    let staged: String?
    let modified: [String]
    let untracked: [String]
    let deleted: [String]
    let warnings: [String]
    let largeFiles: [LargeFileJSON]

    enum CodingKeys: String, CodingKey {
        case run, ref, commit, base, branch, staged, modified, untracked, deleted, warnings
        case largeFiles = "large_files"
    }

    struct LargeFileJSON: Encodable {
        let path: String
        let bytes: Int64
    }

    init(_ snapshot: Snapshot) {
        run = snapshot.run.id
        ref = snapshot.run.ref
        commit = snapshot.commit.hex
        base = snapshot.base?.hex
        branch = snapshot.head.branch
        staged = snapshot.stagedCommit?.hex
        modified = snapshot.capture.modified
        untracked = snapshot.capture.added
        deleted = snapshot.capture.deleted
        warnings = snapshot.capture.warnings
        largeFiles = snapshot.largeFiles.map { LargeFileJSON(path: $0.path, bytes: $0.bytes) }
    }
}
