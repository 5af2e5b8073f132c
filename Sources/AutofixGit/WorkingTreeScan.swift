internal import CGit2
import AutofixSupport
import Foundation

/// Finds the few paths that can differ between the index and the work tree without reading any
/// file, the way `git add -A` does: one lstat per index entry (on several threads) trusting the
/// entry's cached stat data, and one readdir per directory to find untracked files, never
/// descending into an ignored untracked directory. The caller then asks libgit2 to compare only
/// those paths, which keeps libgit2's own rules (filters, racy entries, typechanges, submodules)
/// for everything that is compared.
///
/// A path left out must be one libgit2's full diff would report as unmodified, so the checks
/// are the same or stricter than libgit2's (`maybe_modified` in diff_generate.c): any stat
/// difference, any entry not older than the index, any submodule or flagged entry is a
/// candidate. Skip-worktree entries (outside a sparse checkout's cone) are never candidates:
/// the snapshot records them as the index has them. Whatever this scan does not model (an
/// untracked nested repository, a special file, a case-insensitive index) makes it give up,
/// and the caller diffs everything.
struct WorkingTreeScan {
    enum Outcome {
        /// Paths to compare (tracked entries that may have changed, untracked files).
        case candidates([String])
        /// Something the scan does not model: compare the whole work tree instead.
        case needsFullDiff(reason: String)
    }

    let repository: Repository
    let index: PrivateIndex
    let workdir: URL

    func run() throws -> Outcome {
        if try repository.configBool("core.ignorecase") == true {
            return .needsFullDiff(reason: "core.ignorecase is set")
        }
        let entries = IndexEntries(index: index)
        var candidates = try changedTrackedPaths(entries)
        var walk = UntrackedWalk(repository: repository, workdir: workdir, index: index)
        try walk.run()
        if let reason = walk.unsupported { return .needsFullDiff(reason: reason) }
        candidates.append(contentsOf: walk.untracked)
        return .candidates(candidates)
    }

    /// Tracked paths whose stat data does not prove them unchanged.
    private func changedTrackedPaths(_ entries: IndexEntries) throws -> [String] {
        let root = open(workdir.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard root >= 0 else {
            throw GitError(.other, "could not open the working tree \(workdir.path): \(SystemCallError("open", path: workdir.path).reason)",
                           hint: "check that the directory exists and is readable")
        }
        defer { close(root) }
        let indexTime = index.modificationTime
        let count = entries.count
        // Stat calls are mostly kernel time: one thread per core, but not for small trees.
        let workers = count < 2_000 ? 1 : min(8, max(1, ProcessInfo.processInfo.activeProcessorCount))
        var flags = [Bool](repeating: false, count: count)
        flags.withUnsafeMutableBufferPointer { buffer in
            let changed = WorkerFlags(buffer: buffer)
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                var position = worker * count / workers
                let end = (worker + 1) * count / workers
                var info = stat()
                var directory = DirectoryHandle(root: root)
                defer { directory.close() }
                while position < end {
                    let entry = entries[position]
                    // Outside a sparse checkout's cone: kept as the index has it, whatever is on disk.
                    if PrivateIndex.isSkipWorktree(entry) {
                        position += 1
                        continue
                    }
                    let (descriptor, name) = directory.locate(entry.path)
                    if fstatat(descriptor, name, &info, AT_SYMLINK_NOFOLLOW) != 0 {
                        changed.buffer[position] = true
                    } else {
                        changed.buffer[position] = !StatMatch.isUnchanged(entry, info, indexTime: indexTime)
                    }
                    position += 1
                }
            }
        }
        return flags.indices.filter { flags[$0] }.map { String(cString: entries[$0].path) }
    }
}

// Unchecked: each stat worker writes only the positions of its own range, and the buffer
// outlives `concurrentPerform`, which returns only after every worker is done.
private struct WorkerFlags: @unchecked Sendable {
    let buffer: UnsafeMutableBufferPointer<Bool>
}

/// The directory of the entries being checked, kept open while consecutive entries share it
/// (the index is sorted by path), so each stat resolves one name instead of the whole path.
private struct DirectoryHandle {
    let root: Int32
    private var prefix: [CChar] = []
    private var descriptor: Int32

    init(root: Int32) {
        self.root = root
        descriptor = root
    }

    /// The descriptor and name to stat `path` by. A directory that cannot be opened (gone,
    /// replaced by a file) falls back to the path from the root, so the stat reports why.
    mutating func locate(_ path: UnsafePointer<CChar>) -> (Int32, UnsafePointer<CChar>) {
        guard let slash = strrchr(path, Int32(UInt8(ascii: "/"))) else { return (root, path) }
        let length = path.distance(to: UnsafePointer(slash))
        if length != prefix.count || memcmp(path, prefix, length) != 0 {
            close()
            prefix = Array(UnsafeBufferPointer(start: path, count: length))
            descriptor = (prefix + [0]).withUnsafeBufferPointer {
                openat(root, $0.baseAddress!, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            }
        }
        return descriptor >= 0 ? (descriptor, UnsafePointer(slash) + 1) : (root, path)
    }

    mutating func close() {
        if descriptor >= 0 && descriptor != root { Glibc.close(descriptor) }
        descriptor = root
        prefix = []
    }
}

/// The rule deciding that an index entry is unchanged from its stat data alone.
enum StatMatch {
    static func isUnchanged(_ entry: git_index_entry, _ info: stat, indexTime: timespec?) -> Bool {
        let flagged = entry.flags & UInt16(GIT_INDEX_ENTRY_VALID.rawValue) != 0
            || entry.flags_extended & UInt16(GIT_INDEX_ENTRY_EXTENDED_FLAGS.rawValue) != 0
        guard !flagged, entry.mode != 0o160000 else { return false }
        let format = info.st_mode & S_IFMT
        let mode: UInt32
        switch format {
        case S_IFREG: mode = info.st_mode & 0o100 != 0 ? 0o100755 : 0o100644
        case S_IFLNK: mode = 0o120000
        default: return false
        }
        guard mode == entry.mode,
              entry.file_size == UInt32(truncatingIfNeeded: info.st_size),
              entry.ino == UInt32(truncatingIfNeeded: info.st_ino),
              entry.uid == info.st_uid, entry.gid == info.st_gid,
              sameTime(entry.mtime, info.st_mtim), sameTime(entry.ctime, info.st_ctim)
        else { return false }
        // Racily clean: changed in the same instant the index was written, so its stat data
        // cannot tell; only hashing can.
        if let indexTime, !isOlder(info.st_mtim, than: indexTime) { return false }
        return true
    }

    /// libgit2 and git compare nanoseconds only when both sides recorded them.
    private static func sameTime(_ recorded: git_index_time, _ actual: timespec) -> Bool {
        guard recorded.seconds == Int32(truncatingIfNeeded: actual.tv_sec) else { return false }
        let nanoseconds = UInt32(truncatingIfNeeded: actual.tv_nsec)
        return recorded.nanoseconds == nanoseconds || recorded.nanoseconds == 0 || nanoseconds == 0
    }

    private static func isOlder(_ time: timespec, than reference: timespec) -> Bool {
        time.tv_sec < reference.tv_sec || (time.tv_sec == reference.tv_sec && time.tv_nsec < reference.tv_nsec)
    }
}

/// The index's entries by position, looked up once. The pointers stay valid while the index is
/// not modified, which holds for the whole scan; that is also why the stat workers may share
/// them (the `@unchecked Sendable`).
struct IndexEntries: @unchecked Sendable {
    private let entries: [UnsafePointer<git_index_entry>]

    init(index: PrivateIndex) {
        let count = git_index_entrycount(index.pointer)
        var entries: [UnsafePointer<git_index_entry>] = []
        entries.reserveCapacity(count)
        for position in 0..<count {
            if let entry = git_index_get_byindex(index.pointer, position) { entries.append(entry) }
        }
        self.entries = entries
    }

    var count: Int { entries.count }
    subscript(position: Int) -> git_index_entry { entries[position].pointee }
}

/// Lists untracked, not ignored files by reading each directory once. Tracked directories are
/// always read; an untracked directory is skipped whole when ignored, as git does.
struct UntrackedWalk {
    let repository: Repository
    let workdir: URL
    let index: PrivateIndex
    private(set) var untracked: [String] = []
    /// Set when the walk met something it does not model; the caller then diffs everything.
    private(set) var unsupported: String?

    init(repository: Repository, workdir: URL, index: PrivateIndex) {
        self.repository = repository
        self.workdir = workdir
        self.index = index
    }

    mutating func run() throws {
        try walk("", insideUntracked: false)
    }

    private mutating func walk(_ directory: String, insideUntracked: Bool) throws {
        guard unsupported == nil else { return }
        let full = directory.isEmpty ? workdir.path : workdir.path + "/" + directory
        guard let handle = opendir(full) else {
            unsupported = "could not read \(full): \(SystemCallError("opendir", path: full).reason)"
            return
        }
        var children: [(name: String, type: UInt8)] = []
        while let entry = readdir(handle) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
            }
            if name == "." || name == ".." { continue }
            children.append((name, entry.pointee.d_type))
        }
        closedir(handle)

        for (name, reportedType) in children {
            let path = directory.isEmpty ? name : directory + "/" + name
            if name == ".git" {
                if directory.isEmpty { continue }
                unsupported = "\(directory) is a nested repository"
                return
            }
            let type = reportedType == UInt8(DT_UNKNOWN) ? lstatType(path) : reportedType
            if !insideUntracked, isTrackedFile(path) {
                // A directory where the index has a file: a submodule (its gitlink entry is
                // compared by the diff), or a file replaced by a directory, whose new files
                // this walk would have to list too.
                if type == UInt8(DT_DIR), access(workdir.path + "/" + path + "/.git", F_OK) != 0 {
                    unsupported = "\(path) was a file and is now a directory"
                    return
                }
                continue
            }
            if type == UInt8(DT_DIR) {
                if !insideUntracked, try holdsTrackedFiles(path) {
                    try walk(path, insideUntracked: false)
                } else if try !isIgnored(path) {
                    try walk(path, insideUntracked: true)
                }
            } else if type == UInt8(DT_REG) || type == UInt8(DT_LNK) {
                if try !isIgnored(path) { untracked.append(path) }
            } else {
                unsupported = "\(path) is neither a file, a symbolic link nor a directory"
                return
            }
            if unsupported != nil { return }
        }
    }

    /// The index's own hash map and sorted order answer these without building a path set.
    private func isTrackedFile(_ path: String) -> Bool {
        git_index_get_bypath(index.pointer, path, 0) != nil
    }

    private func holdsTrackedFiles(_ directory: String) throws -> Bool {
        var position = 0
        return try checkFound(git_index_find_prefix(&position, index.pointer, directory + "/"), "reading the index")
    }

    private func isIgnored(_ path: String) throws -> Bool {
        var ignored: Int32 = 0
        try check(git_ignore_path_is_ignored(&ignored, repository.pointer, path), "checking whether \(path) is ignored")
        return ignored == 1
    }

    private func lstatType(_ path: String) -> UInt8 {
        var info = stat()
        guard lstat(workdir.path + "/" + path, &info) == 0 else { return UInt8(DT_UNKNOWN) }
        switch info.st_mode & S_IFMT {
        case S_IFDIR: return UInt8(DT_DIR)
        case S_IFREG: return UInt8(DT_REG)
        case S_IFLNK: return UInt8(DT_LNK)
        default: return UInt8(DT_UNKNOWN)
        }
    }
}
