internal import CGit2
import Foundation

/// One file's change between two trees.
public struct FileChange: Sendable, Equatable {
    public enum Kind: String, Sendable { case added, deleted, modified, renamed, typeChanged }
    public let kind: Kind
    public let path: String
    public let oldPath: String?
    public let insertions: Int
    public let deletions: Int
}

extension Repository {
    /// The empty tree, written to the object database so it can be looked up like any tree.
    public func emptyTree() throws -> ObjectID {
        var index: OpaquePointer?
        try check(git_index_new(&index), "preparing an empty tree")
        defer { git_index_free(index) }
        var oid = git_oid()
        try check(git_index_write_tree_to(&oid, index, pointer), "writing the empty tree")
        return ObjectID(oid)
    }

    /// Per-file changes from `old` (nil: the empty tree) to `new`, with line counts.
    public func changes(from old: ObjectID?, to new: ObjectID) throws -> [FileChange] {
        let diff = try treeDiff(from: old, to: new)
        defer { git_diff_free(diff) }
        var result: [FileChange] = []
        for position in 0..<git_diff_num_deltas(diff) {
            var patch: OpaquePointer?
            var insertions = 0, deletions = 0, context = 0
            try check(git_patch_from_diff(&patch, diff, position), "comparing trees")
            // No patch for a binary file: it has no lines to count.
            if let patch {
                defer { git_patch_free(patch) }
                try check(git_patch_line_stats(&context, &insertions, &deletions, patch), "counting changed lines")
            }
            guard let delta = git_diff_get_delta(diff, position)?.pointee else { continue }
            let kind: FileChange.Kind
            switch delta.status {
            case GIT_DELTA_ADDED: kind = .added
            case GIT_DELTA_DELETED: kind = .deleted
            case GIT_DELTA_RENAMED: kind = .renamed
            case GIT_DELTA_TYPECHANGE: kind = .typeChanged
            default: kind = .modified
            }
            let newPath = String(cString: delta.new_file.path)
            let oldPath = String(cString: delta.old_file.path)
            result.append(FileChange(kind: kind, path: kind == .deleted ? oldPath : newPath,
                                     oldPath: oldPath == newPath ? nil : oldPath,
                                     insertions: insertions, deletions: deletions))
        }
        return result
    }

    /// The paths that differ between two trees, without reading blobs: no rename detection, so a
    /// renamed file is its old path deleted and its new one added.
    public func changedPaths(from old: ObjectID, to new: ObjectID) throws -> [String] {
        guard old != new else { return [] }
        let diff = try treeDiff(from: old, to: new, findingRenames: false)
        defer { git_diff_free(diff) }
        var paths: Set<String> = []
        for position in 0..<git_diff_num_deltas(diff) {
            guard let delta = git_diff_get_delta(diff, position)?.pointee else { continue }
            paths.insert(String(cString: delta.old_file.path))
            paths.insert(String(cString: delta.new_file.path))
        }
        return paths.sorted()
    }

    /// The unified diff from `old` to `new`, as `git diff` prints it.
    public func patchText(from old: ObjectID?, to new: ObjectID) throws -> String {
        let diff = try treeDiff(from: old, to: new)
        defer { git_diff_free(diff) }
        var buffer = git_buf()
        defer { git_buf_dispose(&buffer) }
        try check(git_diff_to_buf(&buffer, diff, GIT_DIFF_FORMAT_PATCH), "formatting a diff")
        return buffer.ptr.map { String(cString: $0) } ?? ""
    }

    private func treeDiff(from old: ObjectID?, to new: ObjectID, findingRenames: Bool = true) throws -> OpaquePointer? {
        var oldTree: OpaquePointer?
        var newTree: OpaquePointer?
        defer {
            git_tree_free(oldTree)
            git_tree_free(newTree)
        }
        if let old {
            var oid = try old.raw
            try check(git_tree_lookup(&oldTree, pointer, &oid), "reading tree \(old.short)")
        }
        var newOID = try new.raw
        try check(git_tree_lookup(&newTree, pointer, &newOID), "reading tree \(new.short)")
        var diff: OpaquePointer?
        try check(git_diff_tree_to_tree(&diff, pointer, oldTree, newTree, nil), "comparing trees")
        guard findingRenames else { return diff }
        var find = git_diff_find_options()
        do {
            try check(git_diff_find_options_init(&find, UInt32(GIT_DIFF_FIND_OPTIONS_VERSION)), "comparing trees")
            find.flags = GIT_DIFF_FIND_RENAMES.rawValue
            try check(git_diff_find_similar(diff, &find), "finding renames")
        } catch {
            git_diff_free(diff)
            throw error
        }
        return diff
    }
}

/// Renders changes the way `git diff --stat` does.
public enum DiffStatText {
    public static func render(_ changes: [FileChange], width: Int = 60) -> String {
        guard !changes.isEmpty else { return " (no changes)\n" }
        let names = changes.map { change -> String in
            if let old = change.oldPath { return "\(old) => \(change.path)" }
            return change.path
        }
        let nameWidth = min(names.map(\.count).max() ?? 0, 50)
        let maxLines = max(changes.map { $0.insertions + $0.deletions }.max() ?? 1, 1)
        let barWidth = max(width - nameWidth - 10, 10)
        var text = ""
        for (change, name) in zip(changes, names) {
            let total = change.insertions + change.deletions
            let scale = maxLines > barWidth ? Double(barWidth) / Double(maxLines) : 1
            let plus = Int((Double(change.insertions) * scale).rounded(.up))
            let minus = Int((Double(change.deletions) * scale).rounded(.up))
            let padded = name.count > nameWidth ? "..." + name.suffix(nameWidth - 3) : name.padding(toLength: nameWidth, withPad: " ", startingAt: 0)
            text += " \(padded) | \(String(total).leftPadded(4)) \(String(repeating: "+", count: plus))\(String(repeating: "-", count: minus))\n"
        }
        let insertions = changes.reduce(0) { $0 + $1.insertions }
        let deletions = changes.reduce(0) { $0 + $1.deletions }
        text += " \(changes.count) file\(changes.count == 1 ? "" : "s") changed, \(insertions) insertion\(insertions == 1 ? "" : "s")(+), \(deletions) deletion\(deletions == 1 ? "" : "s")(-)\n"
        return text
    }
}

extension String {
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
