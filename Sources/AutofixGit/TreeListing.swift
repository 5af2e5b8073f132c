internal import CGit2
import Foundation

extension Repository {
    /// Every file path in `tree` (blobs and links; submodules excluded), in git's order.
    public func filePaths(in tree: ObjectID) throws -> [String] {
        var oid = try tree.raw
        var treeObject: OpaquePointer?
        try check(git_tree_lookup(&treeObject, pointer, &oid), "reading tree \(tree.short)")
        defer { git_tree_free(treeObject) }
        final class Collector { var paths: [String] = [] }
        let collector = Collector()
        let callback: git_treewalk_cb = { root, entry, payload in
            guard let entry, let payload, git_tree_entry_type(entry) == GIT_OBJECT_BLOB else { return 0 }
            let prefix = root.map { String(cString: $0) } ?? ""
            let name = String(cString: git_tree_entry_name(entry))
            Unmanaged<Collector>.fromOpaque(payload).takeUnretainedValue().paths.append(prefix + name)
            return 0
        }
        try check(git_tree_walk(treeObject, GIT_TREEWALK_PRE, callback, Unmanaged.passUnretained(collector).toOpaque()),
                  "listing tree \(tree.short)")
        return collector.paths
    }
}
