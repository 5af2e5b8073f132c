import Foundation

/// A snapshot: the working tree recorded as a commit on a run ref, nothing else touched.
public struct Snapshot: Sendable {
    public let run: RunName
    /// The snapshot commit: tree = what was on disk, first parent = HEAD (none when unborn),
    /// second parent = the staged state when it differed from HEAD.
    public let commit: ObjectID
    /// HEAD when the snapshot was taken (nil on an unborn branch).
    public let base: ObjectID?
    public let head: Head
    public let capture: CapturedWorkingTree
    /// The commit recording what was staged, when it differed from HEAD.
    public let stagedCommit: ObjectID?

    /// Files over `LargeFile.warningBytes` that this snapshot stored, to warn the user about
    /// (each has a `warning` line).
    public var largeFiles: [LargeFile] { capture.largeFiles }
}

/// Records what is on disk as a commit on a new run ref. Never writes the work tree, the index,
/// HEAD or any branch, and never takes `index.lock`.
public struct Snapshotter {
    public static let snapshotTrailer = "Autofix-Snapshot"
    public static let indexTreeTrailer = "Autofix-Index-Tree"

    let repository: Repository

    public init(repository: Repository) {
        self.repository = repository
    }

    /// Captures the working tree and points a new run ref at it.
    public func snapshot(runID: String = RunName.newID()) throws -> Snapshot {
        // Objects are written through a handle of our own, which keeps them in memory until the
        // commit is made and then stores them in one go; it also keeps the private index away
        // from the caller's handle.
        let writer = try repository.reopened()
        let batch = try PackedObjectBatch(attachingTo: writer)
        let head = try writer.head()
        let capture = try WorkingTreeCapture(repository: writer).capture()
        let run = RunName(branch: head.refComponent, id: runID)
        var parents: [ObjectID] = head.commit.map { [$0] } ?? []

        let headTree = try head.commit.map { try writer.commit($0).tree }
        var stagedCommit: ObjectID?
        if capture.indexTree != headTree, !(headTree == nil && capture.indexTree == emptyTree) {
            stagedCommit = try writer.createCommit(
                tree: capture.indexTree, parents: parents,
                message: Trailers.message(subject: "autofix: staged changes on \(head.refComponent)",
                                          trailers: [(Snapshotter.snapshotTrailer, runID)]))
            parents.append(stagedCommit!)
        }
        let message = Trailers.message(
            subject: "autofix: snapshot of \(head.refComponent) (\(Snapshotter.summary(of: capture)))",
            trailers: [
                (Snapshotter.snapshotTrailer, runID),
                (Snapshotter.indexTreeTrailer, capture.indexTree.hex),
            ])
        let commit = try writer.createCommit(tree: capture.tree, parents: parents, message: message)
        try batch.store(in: repository)
        try repository.updateReference(run.ref, to: commit, expected: nil, message: "git autofix: snapshot")
        return Snapshot(run: run, commit: commit, base: head.commit, head: head, capture: capture,
                        stagedCommit: stagedCommit)
    }

    private var emptyTree: ObjectID { ObjectID(hex: "4b825dc642cb6eb9a060e54bf8d69288fbee4904")! }

    static func summary(of capture: CapturedWorkingTree) -> String {
        if capture.isClean { return "no local changes" }
        var parts: [String] = []
        if !capture.modified.isEmpty { parts.append("\(capture.modified.count) modified") }
        if !capture.added.isEmpty { parts.append("\(capture.added.count) untracked") }
        if !capture.deleted.isEmpty { parts.append("\(capture.deleted.count) deleted") }
        return parts.joined(separator: ", ")
    }
}

extension Snapshotter {
    /// Starts a run from `commit` instead of the work tree: the snapshot is that commit's tree
    /// on top of it, so neither the work tree nor the index is read. The run ref is named after
    /// `branch`, the branch the commit belongs to.
    public func snapshot(of commit: ObjectID, branch: String, runID: String = RunName.newID()) throws -> Snapshot {
        let tree = try repository.commit(commit).tree
        let run = RunName(branch: branch, id: runID)
        let message = Trailers.message(
            subject: "autofix: snapshot of \(commit.short) on \(branch)",
            trailers: [(Snapshotter.snapshotTrailer, runID), (Snapshotter.indexTreeTrailer, tree.hex)])
        let snapshot = try repository.createCommit(tree: tree, parents: [commit], message: message)
        try repository.updateReference(run.ref, to: snapshot, expected: nil, message: "git autofix: snapshot of a commit")
        let capture = CapturedWorkingTree(tree: tree, indexTree: tree, modified: [], added: [], deleted: [],
                                          warnings: [], largeFiles: [])
        return Snapshot(run: run, commit: snapshot, base: commit, head: Head(branch: branch, commit: commit),
                        capture: capture, stagedCommit: nil)
    }
}
