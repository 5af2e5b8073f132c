internal import CGit2
import AutofixSupport
import Foundation

/// A private copy of the repository's index, loaded so libgit2 can trust its cached stat data,
/// but backed by a temporary file: nothing done to it can ever reach `.git/index`, and it never
/// takes `index.lock`.
final class PrivateIndex {
    let pointer: OpaquePointer
    private let backingFile: URL
    /// When the index was last written (kept by the copy), or nil when there was no index.
    /// Entries changed at or after this instant are racily clean: only hashing can tell.
    let modificationTime: timespec?

    /// Copies the index (or the one GIT_INDEX_FILE names) and opens the copy.
    init(of repository: Repository) throws {
        let source = PrivateIndex.indexPath(of: repository)
        let scratch = FileManager.default.temporaryDirectory
            .appendingPathComponent("autofix-index-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        backingFile = scratch
        modificationTime = try PrivateIndex.copyKeepingTimes(from: source, to: scratch)
        var index: OpaquePointer?
        do {
            try check(git_index_open(&index, scratch.path), "reading the index")
        } catch let error as GitError where error.message.contains("'sdir'") {
            try? FileManager.default.removeItem(at: scratch)
            throw GitError(.other, "the index is a sparse index (index.sparse), which git autofix cannot read",
                           hint: "turn it back into a full index, keeping your sparse checkout: git sparse-checkout init --no-sparse-index")
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
    /// Returns that time, or nil when there is no index to copy. A plain read and write: the
    /// copy is scratch, so it is not worth an fsync.
    private static func copyKeepingTimes(from source: URL, to destination: URL) throws -> timespec? {
        let input = open(source.path, O_RDONLY | O_CLOEXEC)
        if input < 0, errno == ENOENT { return nil }
        do {
            guard input >= 0 else { throw SystemCallError("open", path: source.path) }
            defer { close(input) }
            var info = stat()
            try SystemCall.retrying("stat", path: source.path) { fstat(input, &info) }
            let output = try SystemCall.retrying("create", path: destination.path) {
                open(destination.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            }
            defer { close(output) }
            var buffer = [UInt8](repeating: 0, count: 1 << 20)
            while true {
                let count = try buffer.withUnsafeMutableBytes {
                    try SystemCall.read(input, into: $0.baseAddress!, count: $0.count, path: source.path)
                }
                if count == 0 { break }
                try buffer.withUnsafeBytes { try SystemCall.writeAll(output, UnsafeRawBufferPointer(rebasing: $0[0..<count]), path: destination.path) }
            }
            var times = [info.st_atim, info.st_mtim]
            _ = futimens(output, &times)
            return info.st_mtim
        } catch let failure as SystemCallError where failure.path == source.path {
            throw GitError(.other, "could not read the index \(source.path): \(failure.reason)",
                           hint: "check that the file is readable by you")
        } catch let failure as SystemCallError {
            throw GitError(.other, "could not write a private copy of the index to \(destination.path): \(failure.reason)",
                           hint: "check that the temporary directory is writable (TMPDIR)")
        }
    }

    /// Whether the entry at `path` is marked skip-worktree: outside a sparse checkout's cone,
    /// absent from disk by design, and to be recorded as the index has it.
    func isSkipWorktree(_ path: String) -> Bool {
        guard let entry = git_index_get_bypath(pointer, path, 0) else { return false }
        return PrivateIndex.isSkipWorktree(entry.pointee)
    }

    static func isSkipWorktree(_ entry: git_index_entry) -> Bool {
        entry.flags_extended & UInt16(GIT_INDEX_ENTRY_SKIP_WORKTREE.rawValue) != 0
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
