internal import CGit2
import Foundation

/// Builds the tree of `base` with some paths replaced by what a directory holds now: how the
/// scratch checkout's accepted changes become a commit. Files are stored the way `git add` would
/// (clean filters such as CRLF normalisation applied, +x and symlinks kept).
public struct TreeBuilder {
    let repository: Repository

    public init(repository: Repository) {
        self.repository = repository
    }

    /// The tree of `base` where each of `paths` is taken from `directory` (or removed when the
    /// directory no longer has it).
    public func tree(from base: ObjectID, replacing paths: [String], in directory: URL) throws -> ObjectID {
        try tree(ofTree: try repository.commit(base).tree, replacing: paths, in: directory)
    }

    /// The same, starting from a tree rather than a commit.
    public func tree(ofTree base: ObjectID, replacing paths: [String], in directory: URL) throws -> ObjectID {
        var index: OpaquePointer?
        try check(git_index_new(&index), "preparing an in-memory index")
        defer { git_index_free(index) }
        var treeOID = try base.raw
        var tree: OpaquePointer?
        try check(git_tree_lookup(&tree, repository.pointer, &treeOID), "reading the tree \(base.short)")
        defer { git_tree_free(tree) }
        try check(git_index_read_tree(index, tree), "reading the tree \(base.short)")

        for path in Set(paths).sorted() {
            let file = directory.appendingPathComponent(path)
            var info = stat()
            guard lstat(file.path, &info) == 0 else {
                // Gone from the directory: drop it, as a file or as a directory. GIT_ENOTFOUND
                // only says the base never had it as a file, which leaves nothing to drop.
                _ = try checkFound(git_index_remove(index, path, 0), "recording the deletion of \(path)")
                try check(git_index_remove_directory(index, path, 0), "recording the deletion of \(path)")
                continue
            }
            let kind = info.st_mode & S_IFMT
            guard kind == S_IFREG || kind == S_IFLNK else { continue }
            let blob = kind == S_IFLNK ? try symlinkBlob(file) : try fileBlob(file, path: path)
            var entry = git_index_entry()
            entry.mode = kind == S_IFLNK ? GIT_FILEMODE_LINK.rawValue
                : (info.st_mode & S_IXUSR != 0 ? GIT_FILEMODE_BLOB_EXECUTABLE.rawValue : GIT_FILEMODE_BLOB.rawValue)
            entry.id = try blob.raw
            entry.file_size = UInt32(truncatingIfNeeded: info.st_size)
            try path.withCString { cPath in
                entry.path = cPath
                try check(git_index_add(index, &entry), "recording \(path)")
            }
        }
        var result = git_oid()
        try check(git_index_write_tree_to(&result, index, repository.pointer), "writing a tree")
        return ObjectID(result)
    }

    private func symlinkBlob(_ file: URL) throws -> ObjectID {
        let target = try FileManager.default.destinationOfSymbolicLink(atPath: file.path)
        return try blob(Data(target.utf8))
    }

    private func fileBlob(_ file: URL, path: String) throws -> ObjectID {
        let data = try Data(contentsOf: file)
        var filters: OpaquePointer?
        try check(git_filter_list_load(&filters, repository.pointer, nil, path, GIT_FILTER_TO_ODB, UInt32(GIT_FILTER_DEFAULT.rawValue)),
                  "loading the filters for \(path)")
        guard let filters else { return try blob(data) }
        defer { git_filter_list_free(filters) }
        var out = git_buf()
        defer { git_buf_dispose(&out) }
        _ = try data.withUnsafeBytes { raw in
            let base = raw.bindMemory(to: CChar.self).baseAddress
            try check(git_filter_list_apply_to_buffer(&out, filters, base, data.count), "filtering \(path)")
        }
        return try blob(out.ptr.map { Data(bytes: $0, count: out.size) } ?? Data())
    }

    private func blob(_ data: Data) throws -> ObjectID {
        var oid = git_oid()
        _ = try data.withUnsafeBytes { raw in
            try check(git_blob_create_from_buffer(&oid, repository.pointer, raw.baseAddress, data.count), "storing a blob")
        }
        return ObjectID(oid)
    }
}
