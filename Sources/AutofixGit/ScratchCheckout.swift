import AutofixSupport
internal import CGit2
import Foundation

/// A throwaway directory holding the files of one commit, where patches are applied and tests
/// run. It has no `.git` of its own: the sandbox never sees the real repository's git directory.
public final class ScratchCheckout {
    public let directory: URL
    private var removed = false

    private init(directory: URL) {
        self.directory = directory
    }

    /// Writes the files of `commit` into `directory`, which this call makes (mode 0700) and which
    /// must not exist: a directory someone else made is never reused. The user's work tree and
    /// index are not read or written.
    public static func create(repository: Repository, commit: ObjectID, at directory: URL) throws -> ScratchCheckout {
        guard mkdir(directory.path, 0o700) == 0 else { throw SystemCallError("mkdir", path: directory.path) }
        return try fill(directory, repository: repository, commit: commit)
    }

    /// The same in a new private directory (`mkdtemp`) under the system temp dir.
    public static func create(repository: Repository, commit: ObjectID) throws -> ScratchCheckout {
        let directory = try PrivateDirectory.make(under: FileManager.default.temporaryDirectory, prefix: "git-autofix-")
        return try fill(directory, repository: repository, commit: commit)
    }

    /// Takes up the checkout an earlier run left at `directory`, a host-private place the
    /// sandbox never sees; `bring(to:)` then makes it match a new commit.
    public static func reopen(at directory: URL) -> ScratchCheckout {
        ScratchCheckout(directory: directory)
    }

    /// Makes the checkout, which matched `recorded` when `stamps` were taken, match `commit`,
    /// writing only the files whose blob differs and the files touched since (their stamps no
    /// longer match), so unchanged files keep their timestamps. Returns the paths written or removed.
    @discardableResult
    public func bring(to commit: ObjectID, from recorded: ObjectID, stamps: [String: FileStamp],
                      repository: Repository) throws -> [String] {
        let tree = try repository.commit(commit).tree
        var paths = Set(try repository.changedPaths(from: try repository.commit(recorded).tree, to: tree))
        let now = try self.stamps()
        for (path, stamp) in now where stamps[path] != stamp { paths.insert(path) }
        for path in stamps.keys where now[path] == nil { paths.insert(path) }
        let sorted = paths.sorted()
        try restore(paths: sorted, to: commit, from: repository)
        try removeEmptyDirectories(above: sorted, in: tree, repository: repository)
        return sorted
    }

    /// The stamps of every file and symlink in the checkout, by path.
    public func stamps() throws -> [String: FileStamp] {
        var result: [String: FileStamp] = [:]
        func walk(_ directory: DirectoryHandle, _ prefix: String) throws {
            for name in try directory.names() {
                guard let info = directory.status(name) else { continue }
                if info.st_mode & S_IFMT == S_IFDIR {
                    if let child = directory.subdirectory(name) { try walk(child, prefix + name + "/") }
                } else {
                    result[prefix + name] = FileStamp(info)
                }
            }
        }
        try walk(DirectoryHandle.open(directory.path), "")
        return result
    }

    /// Directories a removed file leaves empty go too, unless the commit has them: an empty
    /// directory can mean something to a build (SwiftPM takes one under Sources/ for a target).
    private func removeEmptyDirectories(above paths: [String], in tree: ObjectID, repository: Repository) throws {
        for path in paths {
            var parent = (path as NSString).deletingLastPathComponent
            while !parent.isEmpty, try repository.treeEntry(at: parent, in: tree) == nil {
                guard rmdir(directory.appendingPathComponent(parent).path) == 0 else { break }
                parent = (parent as NSString).deletingLastPathComponent
            }
        }
    }

    private static func fill(_ directory: URL, repository: Repository, commit: ObjectID) throws -> ScratchCheckout {
        let checkout = ScratchCheckout(directory: directory)
        do {
            try checkout.write(commit: commit, from: repository, paths: nil)
        } catch {
            checkout.remove()
            throw error
        }
        return checkout
    }

    /// Makes `paths` (or every file, when nil) match `commit`: rewrites changed files and
    /// deletes files the commit does not have. Other files (build output) are left alone.
    public func restore(paths: [String], to commit: ObjectID, from repository: Repository) throws {
        guard !paths.isEmpty else { return }
        let tree = try repository.commit(commit).tree
        for path in paths where try repository.blobID(at: path, in: tree) == nil {
            let file = directory.appendingPathComponent(path)
            if (try? file.checkResourceIsReachable()) == true || isSymlink(file) {
                try FileManager.default.removeItem(at: file)
            }
        }
        try write(commit: commit, from: repository, paths: paths)
    }

    private func isSymlink(_ url: URL) -> Bool {
        var info = stat()
        return lstat(url.path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFLNK
    }

    private func write(commit: ObjectID, from repository: Repository, paths: [String]?) throws {
        var oid = try commit.raw
        var object: OpaquePointer?
        try check(git_object_lookup(&object, repository.pointer, &oid, GIT_OBJECT_COMMIT), "reading commit \(commit.short)")
        defer { git_object_free(object) }

        var options = git_checkout_options()
        try check(git_checkout_options_init(&options, UInt32(GIT_CHECKOUT_OPTIONS_VERSION)), "preparing a scratch checkout")
        // FORCE and RECREATE_MISSING write every file into the empty target; DONT_UPDATE_INDEX
        // keeps libgit2 from recording this checkout in the repository's index.
        options.checkout_strategy = GIT_CHECKOUT_FORCE.rawValue | GIT_CHECKOUT_RECREATE_MISSING.rawValue
            | GIT_CHECKOUT_DONT_UPDATE_INDEX.rawValue | GIT_CHECKOUT_DONT_WRITE_INDEX.rawValue
            | GIT_CHECKOUT_DISABLE_PATHSPEC_MATCH.rawValue
        let target = strdup(directory.path)
        defer { free(target) }
        options.target_directory = UnsafePointer(target)
        // A private empty index as the baseline, so the user's index is not consulted either.
        var emptyIndex: OpaquePointer?
        try check(git_index_new(&emptyIndex), "preparing a scratch checkout")
        defer { git_index_free(emptyIndex) }
        options.baseline_index = emptyIndex

        var cPaths = (paths ?? []).map { strdup($0) }
        defer { cPaths.forEach { free($0) } }
        try cPaths.withUnsafeMutableBufferPointer { buffer in
            if paths != nil {
                options.paths = git_strarray(strings: buffer.baseAddress, count: buffer.count)
            }
            try check(git_checkout_tree(repository.pointer, object, &options),
                      "writing the files of \(commit.short) into \(directory.path)")
        }
    }

    /// Deletes the directory and everything in it, following no link.
    public func remove() {
        guard !removed else { return }
        removed = true
        try? DirectoryHandle.removeItem(at: directory)
    }
}

extension Repository {
    /// The blob id at `path` in `tree`, or nil when the tree has no such file.
    public func blobID(at path: String, in tree: ObjectID) throws -> ObjectID? {
        try treeEntry(at: path, in: tree)?.id
    }
}
