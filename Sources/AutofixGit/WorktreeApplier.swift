internal import CGit2
import Foundation

/// What `apply` did.
public struct ApplyOutcome: Sendable {
    /// Files written in the work tree.
    public let changes: [FileChange]
    /// A ref holding the work tree as it was just before, when it had local changes or files
    /// that no tree holds (ignored ones) stood where the run writes.
    public let backupRef: String?
    /// Those files: replaced in the work tree, kept on the backup ref.
    public let replacedIgnored: [String]
}

/// Brings a run's changes into the user's work tree with a three-way merge: ours = the work tree
/// now, theirs = the run's commit, base = the run's snapshot (so only the accepted commits come
/// over) — or the commit the run started from when the snapshot's own changes are wanted too: a
/// run with no commits, a clean tree at that commit (e.g. a fresh clone), or when asked.
/// Without `force` it writes only over files that are as the run found them; with it, local edits
/// to those files are merged, never overwritten, and kept on a backup ref. Conflicts make it
/// refuse before anything is written. The index is not touched.
public struct WorktreeApplier {
    public static let backupPrefix = "refs/autofix-backup/"
    let repository: Repository

    public init(repository: Repository) {
        self.repository = repository
    }

    public func apply(_ run: RunSummary, upTo target: ObjectID? = nil, force: Bool = false,
                      includingSnapshot: Bool = false) throws -> ApplyOutcome {
        let theirs = target ?? run.tip
        guard try theirs == run.snapshot.id || repository.isAncestor(run.snapshot.id, of: theirs) else {
            throw GitError.refusal(.invalid, "\(theirs.short) is not one of run \(run.name.id)'s commits",
                           hint: "`git autofix show \(run.name.id)` lists them")
        }
        let head = try repository.head()
        let current = try WorkingTreeCapture(repository: repository).capture()
        let runBaseTree = try run.base.map { try repository.commit($0).tree } ?? repository.emptyTree()
        let withSnapshot = includingSnapshot || run.commits.isEmpty || current.tree == runBaseTree
        let from = withSnapshot ? runBaseTree : run.snapshot.tree
        let theirTree = try repository.commit(theirs).tree
        // Only the files the run changes matter: when each is as the run found it, the rest of the
        // tree may be as dirty as it likes, and nothing of the user's is overwritten.
        let edited = try EditedSinceRun(repository: repository, from: from, to: theirTree, current: current.tree).paths()
        if !edited.isEmpty && !force {
            throw GitError.refusal(.dirtyWorkingTree, "files the run changes were edited since its snapshot: \(Self.list(edited))",
                           hint: "commit or stash those edits first, or pass --force to merge the run's changes into them (a backup ref keeps them either way)")
        }
        let merged = try mergeTrees(base: from, ours: current.tree, theirs: theirTree)
        let changes = try repository.changes(from: current.tree, to: merged)
        guard !changes.isEmpty else { return ApplyOutcome(changes: [], backupRef: nil, replacedIgnored: []) }
        let workTree = try repository.requireWorkingDirectory()
        let inTheWay = try FilesInTheWay(workTree: workTree, captured: Set(try repository.filePaths(in: current.tree)))
            .paths(replacedBy: changes)

        var backupRef: String?
        if !edited.isEmpty || !inTheWay.isEmpty {
            let backupTree = inTheWay.isEmpty ? current.tree
                : try TreeBuilder(repository: repository).tree(ofTree: current.tree, replacing: inTheWay, in: workTree)
            let backup = try repository.createCommit(
                tree: backupTree, parents: head.commit.map { [$0] } ?? [],
                message: Trailers.message(subject: "autofix: work tree before applying run \(run.name.id)", trailers: []))
            backupRef = WorktreeApplier.backupPrefix + RunName.newID()
            try repository.updateReference(backupRef!, to: backup, expected: nil, message: "git autofix apply: backup")
        }
        try checkout(merged, baseline: current.tree)
        return ApplyOutcome(changes: changes, backupRef: backupRef, replacedIgnored: inTheWay)
    }

    private static func list(_ paths: [String], shown: Int = 10) -> String {
        let named = paths.prefix(shown).joined(separator: ", ")
        return paths.count > shown ? "\(named) and \(paths.count - shown) more" : named
    }

    private func mergeTrees(base: ObjectID, ours: ObjectID, theirs: ObjectID) throws -> ObjectID {
        switch try TreeMerge(repository: repository).merge(base: base, ours: ours, theirs: theirs) {
        case .merged(let tree):
            return tree
        case .conflicts(let paths):
            throw GitError.refusal(.conflict, "the run's changes conflict with your local edits in: \(paths.joined(separator: ", "))",
                           hint: "commit or stash your edits and run `git autofix apply` again, or cherry-pick the run's commits and resolve the conflicts with git")
        }
    }

    /// Writes `tree` into the work tree where it differs from `baseline` (what is on disk now).
    private func checkout(_ tree: ObjectID, baseline: ObjectID) throws {
        var targetOID = try tree.raw
        var baselineOID = try baseline.raw
        var target: OpaquePointer?
        var baselineTree: OpaquePointer?
        try check(git_object_lookup(&target, repository.pointer, &targetOID, GIT_OBJECT_TREE), "reading the merged tree")
        defer { git_object_free(target) }
        try check(git_tree_lookup(&baselineTree, repository.pointer, &baselineOID), "reading the work tree's tree")
        defer { git_tree_free(baselineTree) }
        var options = git_checkout_options()
        try check(git_checkout_options_init(&options, UInt32(GIT_CHECKOUT_OPTIONS_VERSION)), "preparing to write the work tree")
        options.checkout_strategy = GIT_CHECKOUT_SAFE.rawValue | GIT_CHECKOUT_DONT_UPDATE_INDEX.rawValue
            | GIT_CHECKOUT_DONT_WRITE_INDEX.rawValue
        options.baseline = baselineTree
        try check(git_checkout_tree(repository.pointer, target, &options), "writing the run's changes into the work tree")
    }
}
