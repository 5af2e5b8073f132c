internal import CGit2
import Foundation

/// The one commit `git autofix fixup` leaves on a run's ref: what the run's accepted rounds
/// changed, as `fixup! <subject>` on top of the branch's HEAD, so that `git cherry-pick` and
/// `git rebase -i --autosquash` fold it into the commit that broke the tests.
public struct FixupCommit: Sendable {
    public static let fixesTrailer = "Autofix-Fixes"

    /// Where the commit was made.
    public enum Placement: Equatable, Sendable {
        /// On HEAD, as asked.
        case onHead
        /// On the failing commit, because the change conflicts with HEAD in these paths.
        case onFailingCommit(conflicts: [String])
    }

    public let id: ObjectID
    public let placement: Placement

    /// Squashes the run `ref` (from `snapshot` to `tip`, the rounds) into one commit fixing
    /// `failing`, and moves the ref and its note there. The rounds' commits are replaced, not
    /// kept: the fixup commit holds all they changed.
    public static func make(in repository: Repository, ref: String, snapshot: ObjectID, tip: ObjectID,
                            failing: ObjectID, head: ObjectID, trailers: [(String, String)]) throws -> FixupCommit {
        let failingCommit = try repository.commit(failing)
        let fixedTree = try repository.commit(tip).tree
        let baseTree = try repository.commit(snapshot).tree
        let headTree = try repository.commit(head).tree
        let merge = try TreeMerge(repository: repository).merge(base: baseTree, ours: headTree, theirs: fixedTree)
        let placement: Placement
        let parent: ObjectID
        let tree: ObjectID
        switch merge {
        case .merged(let merged):
            (placement, parent, tree) = (.onHead, head, merged)
        case .conflicts(let paths):
            (placement, parent, tree) = (.onFailingCommit(conflicts: paths), failing, fixedTree)
        }
        let message = Trailers.message(subject: "fixup! " + failingCommit.summary,
                                       trailers: trailers + [(fixesTrailer, failing.hex)])
        let id = try repository.createCommit(tree: tree, parents: [parent], message: message)
        try repository.updateReference(ref, to: id, expected: tip, message: "git autofix fixup")
        if let note = try repository.note(on: tip) {
            try repository.addNote(note, to: id)
            try repository.removeNote(on: tip)
        }
        return FixupCommit(id: id, placement: placement)
    }
}

/// A three-way merge of trees in memory: nothing on disk is written but the merged tree.
public struct TreeMerge {
    public enum Result: Equatable, Sendable {
        case merged(ObjectID)
        case conflicts([String])
    }

    let repository: Repository

    public init(repository: Repository) {
        self.repository = repository
    }

    public func merge(base: ObjectID, ours: ObjectID, theirs: ObjectID) throws -> Result {
        let baseTree = try lookupTree(base)
        defer { git_tree_free(baseTree) }
        let ourTree = try lookupTree(ours)
        defer { git_tree_free(ourTree) }
        let theirTree = try lookupTree(theirs)
        defer { git_tree_free(theirTree) }
        var index: OpaquePointer?
        try check(git_merge_trees(&index, repository.pointer, baseTree, ourTree, theirTree, nil), "merging trees")
        defer { git_index_free(index) }
        if git_index_has_conflicts(index) == 1 { return .conflicts(try conflictedPaths(index)) }
        var oid = git_oid()
        try check(git_index_write_tree_to(&oid, index, repository.pointer), "writing the merged tree")
        return .merged(ObjectID(oid))
    }

    private func lookupTree(_ id: ObjectID) throws -> OpaquePointer? {
        var oid = try id.raw
        var tree: OpaquePointer?
        try check(git_tree_lookup(&tree, repository.pointer, &oid), "reading tree \(id.short)")
        return tree
    }

    private func conflictedPaths(_ index: OpaquePointer?) throws -> [String] {
        var iterator: OpaquePointer?
        try check(git_index_conflict_iterator_new(&iterator, index), "listing the conflicts")
        defer { git_index_conflict_iterator_free(iterator) }
        var paths: [String] = []
        var ancestor: UnsafePointer<git_index_entry>?, ours: UnsafePointer<git_index_entry>?, theirs: UnsafePointer<git_index_entry>?
        while try checkNext(git_index_conflict_next(&ancestor, &ours, &theirs, iterator), "listing the conflicts") {
            if let entry = ours ?? theirs ?? ancestor { paths.append(String(cString: entry.pointee.path)) }
        }
        return paths
    }
}
