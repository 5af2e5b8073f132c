internal import CGit2
import Foundation

/// What is on disk, captured as trees without writing the work tree, the index or any ref.
public struct CapturedWorkingTree: Sendable {
    /// The tree of everything on disk that git would track with `git add -A`.
    public let tree: ObjectID
    /// The tree of the index as it was (what is staged).
    public let indexTree: ObjectID
    public let modified: [String]
    public let added: [String]
    public let deleted: [String]
    /// Notes for the user, e.g. about submodules whose inner changes are not recorded.
    public let warnings: [String]
    /// The files this capture stored that are larger than `LargeFile.warningBytes`, in the
    /// order they were stored, for the user to hear about.
    public let largeFiles: [LargeFile]

    public var isClean: Bool { modified.isEmpty && added.isEmpty && deleted.isEmpty }
}

/// Captures the working tree the way `git add -A && git write-tree` would, into a private index.
struct WorkingTreeCapture {
    let repository: Repository

    func capture() throws -> CapturedWorkingTree {
        let workdir = try repository.requireWorkingDirectory()
        if let operation = repository.operationInProgress {
            throw GitError(.repositoryBusy, "a \(operation) is in progress in \(workdir.path)",
                           hint: "finish it or abort it (e.g. `git \(operation) --continue` or `git \(operation) --abort`), then run git autofix again")
        }
        let index = try PrivateIndex(of: repository)
        let indexTree = try index.writeTree(in: repository)
        let changes: Changes
        switch try WorkingTreeScan(repository: repository, index: index, workdir: workdir).run() {
        case .candidates(let paths):
            changes = paths.isEmpty ? Changes() : try applyWorkingTreeChanges(to: index, in: workdir, onlyAt: paths)
        case .needsFullDiff:
            changes = try applyWorkingTreeChanges(to: index, in: workdir, onlyAt: nil)
        }
        let tree = try IndexTreeWriter(repository: repository, index: index).write() ?? index.writeTree(in: repository)
        return CapturedWorkingTree(
            tree: tree, indexTree: indexTree, modified: changes.modified, added: changes.added,
            deleted: changes.deleted, warnings: changes.warnings + dirtySubmoduleWarnings(), largeFiles: changes.largeFiles)
    }

    private struct Changes {
        var modified: [String] = []
        var added: [String] = []
        var deleted: [String] = []
        var warnings: [String] = []
        var largeFiles: [LargeFile] = []
    }

    /// Compares the work tree with the index (everywhere, or only at `paths`, matched exactly)
    /// and records every difference in the index.
    private func applyWorkingTreeChanges(to index: PrivateIndex, in workdir: URL, onlyAt paths: [String]?) throws -> Changes {
        var options = git_diff_options()
        try check(git_diff_options_init(&options, UInt32(GIT_DIFF_OPTIONS_VERSION)), "comparing the working tree with the index")
        options.flags = GIT_DIFF_INCLUDE_UNTRACKED.rawValue | GIT_DIFF_RECURSE_UNTRACKED_DIRS.rawValue
            | GIT_DIFF_INCLUDE_TYPECHANGE.rawValue
        // A submodule's own uncommitted work is not ours to record; a moved submodule HEAD is.
        options.ignore_submodules = GIT_SUBMODULE_IGNORE_DIRTY
        var diff: OpaquePointer?
        if let paths {
            // Exact paths, not patterns: libgit2 then reads only the directories that hold them.
            options.flags |= GIT_DIFF_DISABLE_PATHSPEC_MATCH.rawValue
            var pointers = paths.map { strdup($0) }
            defer { pointers.forEach { free($0) } }
            try pointers.withUnsafeMutableBufferPointer { buffer in
                options.pathspec = git_strarray(strings: buffer.baseAddress, count: buffer.count)
                try check(git_diff_index_to_workdir(&diff, repository.pointer, index.pointer, &options),
                          "comparing the working tree with the index")
            }
        } else {
            try check(git_diff_index_to_workdir(&diff, repository.pointer, index.pointer, &options),
                      "comparing the working tree with the index")
        }
        defer { git_diff_free(diff) }

        var captured = Changes()
        let filters = try ExternalFilterGuard(repository: repository)
        let largeFiles = LargeFileStore(repository: repository, index: index, workdir: workdir)
        for position in 0..<git_diff_num_deltas(diff) {
            guard let delta = git_diff_get_delta(diff, position)?.pointee else { continue }
            let oldPath = String(cString: delta.old_file.path)
            let newPath = String(cString: delta.new_file.path)
            // Outside a sparse checkout's cone: not on disk by design, recorded as the index
            // has it (libgit2's diff reports such entries as deleted).
            if index.isSkipWorktree(oldPath) { continue }
            switch delta.status {
            case GIT_DELTA_DELETED:
                try check(git_index_remove_bypath(index.pointer, oldPath), "recording the deletion of \(oldPath)")
                captured.deleted.append(oldPath)
            case GIT_DELTA_MODIFIED, GIT_DELTA_TYPECHANGE, GIT_DELTA_UNTRACKED, GIT_DELTA_ADDED:
                let path = newPath.hasSuffix("/") ? String(newPath.dropLast()) : newPath
                try filters.ensureNoExternalFilter(for: path)
                let size = regularFileSize(workdir.path + "/" + path)
                let result: Int32
                if let size, size >= LargeFileStore.threshold, try largeFiles.add(path) {
                    result = 0
                } else {
                    result = git_index_add_bypath(index.pointer, path)
                }
                if result < 0 {
                    let error = GitError(libgit2: result, operation: "recording \(path)")
                    if newPath.hasSuffix("/") {
                        captured.warnings.append("skipped \(newPath): \(error.message)")
                        continue
                    }
                    throw error
                }
                if delta.status == GIT_DELTA_UNTRACKED { captured.added.append(path) } else { captured.modified.append(path) }
                if let size, size > LargeFile.warningBytes { captured.largeFiles.append(LargeFile(path: path, bytes: size)) }
            default:
                continue
            }
        }
        return captured
    }

    /// The size of the regular file at `path`, or nil for anything else.
    private func regularFileSize(_ path: String) -> Int64? {
        var info = stat()
        guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return nil }
        return Int64(info.st_size)
    }

    /// Only warnings: the capture itself is complete, so a submodule libgit2 cannot inspect is
    /// reported as a warning that says so, not as a failure of the whole snapshot.
    private func dirtySubmoduleWarnings() -> [String] {
        final class Collector { var names: [String] = [] }
        let collector = Collector()
        let callback: git_submodule_cb = { _, name, payload in
            guard let name, let payload else { return 0 }
            Unmanaged<Collector>.fromOpaque(payload).takeUnretainedValue().names.append(String(cString: name))
            return 0
        }
        let listed = git_submodule_foreach(repository.pointer, callback, Unmanaged.passUnretained(collector).toOpaque())
        if listed < 0 {
            let error = GitError(libgit2: listed, operation: "listing submodules")
            return ["could not check submodules for uncommitted changes (\(error.message)): only the commits they have checked out are recorded"]
        }
        var warnings: [String] = []
        for name in collector.names {
            var status: UInt32 = 0
            let result = git_submodule_status(&status, repository.pointer, name, GIT_SUBMODULE_IGNORE_NONE)
            if result < 0 {
                let error = GitError(libgit2: result, operation: "reading its status")
                warnings.append("could not check submodule \(name) for uncommitted changes (\(error.message)): only the commit it has checked out is recorded")
                continue
            }
            let dirty = GIT_SUBMODULE_STATUS_WD_INDEX_MODIFIED.rawValue | GIT_SUBMODULE_STATUS_WD_WD_MODIFIED.rawValue
                | GIT_SUBMODULE_STATUS_WD_UNTRACKED.rawValue
            if status & dirty != 0 {
                warnings.append("submodule \(name) has uncommitted changes: only the commit it has checked out is recorded")
            }
        }
        return warnings
    }
}

/// libgit2 runs git's built-in filters (CRLF, ident) but not external drivers such as Git LFS:
/// storing such a file without its clean filter would record the wrong bytes, so refuse.
struct ExternalFilterGuard {
    let repository: Repository
    /// Whether any `filter.<driver>.clean` or `.process` is configured. Without one no path can
    /// need an external filter, which spares an attribute lookup per changed file.
    private let anyDriverConfigured: Bool

    init(repository: Repository) throws {
        self.repository = repository
        anyDriverConfigured = try !repository.configKeys(matching: #"^filter\..+\.(clean|process)$"#).isEmpty
    }

    func ensureNoExternalFilter(for path: String) throws {
        guard anyDriverConfigured else { return }
        var value: UnsafePointer<CChar>?
        try check(git_attr_get(&value, repository.pointer, UInt32(GIT_ATTR_CHECK_FILE_THEN_INDEX), path, "filter"),
                  "reading the filter attribute of \(path)")
        guard let value, git_attr_value(value) == GIT_ATTR_VALUE_STRING else { return }
        let driver = String(cString: value)
        let configured = try repository.configString("filter.\(driver).clean") != nil
            || repository.configString("filter.\(driver).process") != nil
        guard configured else { return }
        throw GitError(
            .unsupportedFilter,
            "\(path) uses the external filter `\(driver)` (e.g. Git LFS), which git autofix cannot run, so it cannot record that file's bytes correctly",
            hint: "commit or stash that file first, or exclude it from the run by adding it to .git/info/exclude")
    }
}
