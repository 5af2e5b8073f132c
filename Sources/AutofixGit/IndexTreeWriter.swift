internal import CGit2
import Foundation

/// Writes the tree of an index in one pass over its sorted entries, the way git's cache-tree
/// update does. libgit2's `git_index_write_tree_to` builds a hash-mapped tree builder per
/// directory and afterwards re-reads every tree it wrote to refill its cache; after edits spread
/// over many directories that costs several times git's `write-tree`.
///
/// The index's order is the tree order: a directory's entries are exactly the paths starting
/// with "name/", which is how trees sort a directory, so every tree's entries arrive in order.
struct IndexTreeWriter {
    let repository: Repository
    let index: PrivateIndex

    private struct OpenDirectory {
        /// "a/b/" for directory a/b, "" for the root.
        let prefix: [UInt8]
        let name: [UInt8]
        var contents: [UInt8] = []
    }

    /// The root tree's id, or nil when the index holds an entry this writer does not model
    /// (an intent-to-add entry, a conflict, an entry without an object); the caller then uses
    /// libgit2's writer.
    func write() throws -> ObjectID? {
        var odb: OpaquePointer?
        try check(git_repository_odb(&odb, repository.pointer), "opening the object database")
        defer { git_odb_free(odb) }

        var stack = [OpenDirectory(prefix: [], name: [])]
        let count = git_index_entrycount(index.pointer)
        for position in 0..<count {
            guard let entry = git_index_get_byindex(index.pointer, position)?.pointee else { return nil }
            let stageBits = (entry.flags >> 12) & 0x3
            let intentToAdd = entry.flags_extended & UInt16(GIT_INDEX_ENTRY_INTENT_TO_ADD.rawValue) != 0
            var id = entry.id
            guard stageBits == 0, !intentToAdd, git_oid_is_zero(&id) == 0 else { return nil }
            let path = UnsafeRawBufferPointer(start: entry.path, count: strlen(entry.path))

            while !path.starts(with: stack[stack.count - 1].prefix) {
                try close(&stack, odb: odb)
            }
            var start = stack[stack.count - 1].prefix.count
            while let slash = path[start...].firstIndex(of: UInt8(ascii: "/")) {
                let name = Array(path[start..<slash])
                stack.append(OpenDirectory(prefix: Array(path[..<(slash + 1)]), name: name))
                start = slash + 1
            }
            append(mode: entry.mode, name: path[start...], id: id, to: &stack[stack.count - 1].contents)
        }
        while stack.count > 1 { try close(&stack, odb: odb) }
        return ObjectID(try store(stack[0].contents, odb: odb))
    }

    private func close(_ stack: inout [OpenDirectory], odb: OpaquePointer?) throws {
        let finished = stack.removeLast()
        let id = try store(finished.contents, odb: odb)
        append(mode: 0o40000, name: finished.name[...], id: id, to: &stack[stack.count - 1].contents)
    }

    private func append<Name: Collection>(mode: UInt32, name: Name, id: git_oid, to contents: inout [UInt8])
    where Name.Element == UInt8 {
        contents.append(contentsOf: String(mode, radix: 8).utf8)
        contents.append(UInt8(ascii: " "))
        contents.append(contentsOf: name)
        contents.append(0)
        withUnsafeBytes(of: id.id) { contents.append(contentsOf: $0) }
    }

    private func store(_ contents: [UInt8], odb: OpaquePointer?) throws -> git_oid {
        var oid = git_oid()
        try contents.withUnsafeBytes { bytes in
            _ = try check(git_odb_write(&oid, odb, bytes.baseAddress, bytes.count, GIT_OBJECT_TREE), "writing a tree")
        }
        return oid
    }
}
