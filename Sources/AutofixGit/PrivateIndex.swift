import CGit2
import Foundation

/// A private copy of the repository's index, loaded so libgit2 can trust its cached stat data,
/// but backed by a temporary file: nothing done to it can ever reach `.git/index`, and it never
/// takes `index.lock`.
final class PrivateIndex {
    let pointer: OpaquePointer
    private let backingFile: URL

    /// Copies the index (or the one GIT_INDEX_FILE names) and opens the copy.
    init(of repository: Repository) throws {
        let source = PrivateIndex.indexPath(of: repository)
        let scratch = FileManager.default.temporaryDirectory
            .appendingPathComponent("autofix-index-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        backingFile = scratch
        if FileManager.default.fileExists(atPath: source.path) {
            try PrivateIndex.copyKeepingTimes(from: source, to: scratch)
        }
        var index: OpaquePointer?
        do {
            try check(git_index_open(&index, scratch.path), "reading the index")
        } catch {
            try? FileManager.default.removeItem(at: scratch)
            throw error
        }
        pointer = index!
        // Path-based adds need the index to know its repository (for the work tree and filters).
        // This only replaces the in-memory index of this `Repository` handle.
        try check(git_repository_set_index(repository.pointer, pointer), "preparing a private index")
    }

    deinit {
        git_index_free(pointer)
        try? FileManager.default.removeItem(at: backingFile)
    }

    static func indexPath(of repository: Repository) -> URL {
        if let override = ProcessInfo.processInfo.environment["GIT_INDEX_FILE"], !override.isEmpty {
            return URL(fileURLWithPath: override)
        }
        return repository.gitDirectory.appendingPathComponent("index")
    }

    /// The copy keeps the original's modification time to the nanosecond: libgit2 decides which
    /// entries are "racily clean" (and must be re-hashed) by comparing them with that time, and
    /// a newer time would make it trust entries that changed in the same second as the index.
    private static func copyKeepingTimes(from source: URL, to destination: URL) throws {
        let data = try Data(contentsOf: source)
        guard FileManager.default.createFile(atPath: destination.path, contents: data) else {
            throw GitError(.other, "could not write a private copy of the index to \(destination.path)",
                           hint: "check that the temporary directory is writable (TMPDIR)")
        }
        var info = stat()
        guard stat(source.path, &info) == 0 else { return }
        var times = [info.st_atim, info.st_mtim]
        _ = utimensat(AT_FDCWD, destination.path, &times, 0)
    }

    func writeTree(in repository: Repository) throws -> ObjectID {
        var oid = git_oid()
        if git_index_has_conflicts(pointer) == 1 {
            throw GitError(.unresolvedConflicts, "the index has unresolved conflicts",
                           hint: "resolve them and `git add` the files (or `git merge --abort`), then run git autofix again")
        }
        try check(git_index_write_tree_to(&oid, pointer, repository.pointer), "writing a tree from the index")
        return ObjectID(oid)
    }
}
