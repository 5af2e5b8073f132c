internal import CGit2
import Foundation

/// The files a run changes (between `from` and `to`) that are no longer in the work tree as the
/// run found them: the ones `apply` would have to merge instead of simply write.
struct EditedSinceRun {
    let repository: Repository
    let from: ObjectID
    let to: ObjectID
    let current: ObjectID

    func paths() throws -> [String] {
        let touched = try repository.changes(from: from, to: to).flatMap { [$0.path] + ($0.oldPath.map { [$0] } ?? []) }
        var edited: [String] = []
        for path in Set(touched).sorted() where try repository.treeEntry(at: path, in: current) != repository.treeEntry(at: path, in: from) {
            edited.append(path)
        }
        return edited
    }
}

/// One entry of a tree: what it holds and how (file mode), so an exec-bit change counts too.
struct TreeEntry: Equatable {
    let id: ObjectID
    let mode: UInt32
}

extension Repository {
    /// The entry at `path` in `tree`, or nil when the tree has none.
    func treeEntry(at path: String, in tree: ObjectID) throws -> TreeEntry? {
        var oid = try tree.raw
        var treeObject: OpaquePointer?
        try check(git_tree_lookup(&treeObject, pointer, &oid), "reading tree \(tree.short)")
        defer { git_tree_free(treeObject) }
        var entry: OpaquePointer?
        guard try checkFound(git_tree_entry_bypath(&entry, treeObject, path), "looking up \(path)") else { return nil }
        defer { git_tree_entry_free(entry) }
        return TreeEntry(id: ObjectID(git_tree_entry_id(entry)!.pointee), mode: git_tree_entry_filemode(entry).rawValue)
    }
}
