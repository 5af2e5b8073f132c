import AutofixSupport
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The copy of the checkout that the sandbox sees. The host applies patches, reads files for
/// prompts and builds commits in its own checkout, which is never bound into a sandbox; before each
/// test run `update(from:)` makes this view match it. Once sandboxed code has run, the view may
/// hold anything (symlinks to host files, directories swapped for links, hard links, setuid
/// files), so everything here works on directory descriptors, one name at a time, never following
/// a link, never writing into an existing file, never reading a file the sandbox could have written.
///
/// What the sandbox added is removed, except inside cache areas (build output such as `.build`,
/// `target`, `node_modules`, `__pycache__`), which stay so later runs build incrementally; the
/// host never reads from them.
public final class SandboxView {
    public let directory: URL
    /// What the view held after the last update, by path, to skip files that did not change.
    private var placed: [String: Placed] = [:]
    /// Paths the host put into the view itself (fetched dependencies) that updates leave alone.
    private var kept: Set<String> = []

    /// A file as the host wrote it into the view, and the host file it came from then.
    public struct Placed: Codable, Equatable, Sendable {
        var view: FileStamp
        var source: FileStamp
    }

    /// What one update did, for benchmarks and tests.
    public struct Update: Equatable, Sendable {
        public var written = 0
        public var unchanged = 0
        public var removed = 0
    }

    /// What the host knows of the view between runs, kept in a host-owned file: what it wrote
    /// (with stamps the sandbox cannot forge) and what it copied in itself.
    public struct Record: Codable, Equatable, Sendable {
        public var placed: [String: Placed]
        public var kept: [String]
    }

    /// Makes the view's directory; it must not exist yet (never reuse what someone else made).
    public init(directory: URL) throws {
        guard mkdir(directory.path, 0o700) == 0 else { throw SystemCallError("mkdir", path: directory.path) }
        self.directory = directory
    }

    /// Takes up a view an earlier run left at `directory`, which must be a real directory of this
    /// user's (not a link), in a place only this user can enter. With its `record`, files that no
    /// one touched since are not written again; without one, every file is.
    public init(reopening directory: URL, record: Record?) throws {
        var info = stat()
        guard lstat(directory.path, &info) == 0 else { throw SystemCallError("lstat", path: directory.path) }
        guard info.st_mode & S_IFMT == S_IFDIR, info.st_uid == geteuid() else {
            throw SystemCallError("open", path: directory.path, code: ENOTDIR)
        }
        guard chmod(directory.path, 0o700) == 0 else { throw SystemCallError("chmod", path: directory.path) }
        self.directory = directory
        placed = record?.placed ?? [:]
        kept = Set(record?.kept ?? [])
    }

    /// What to keep for the next run's `init(reopening:record:)`.
    public var record: Record { Record(placed: placed, kept: kept.sorted()) }

    /// Marks paths that the host copied into the view (before any sandbox ran) as the host's own:
    /// updates neither check nor remove them.
    public func keep(_ paths: [String]) {
        kept.formUnion(paths)
    }

    /// Brings the view to the files of `source`, the host's own checkout.
    @discardableResult
    public func update(from source: URL) throws -> Update {
        var update = Update()
        var seen: [String: Placed] = [:]
        try synchronize(DirectoryHandle.open(source.path), into: DirectoryHandle.open(directory.path), prefix: "",
                        inCacheArea: false, seen: &seen, update: &update)
        placed = seen
        return update
    }

    /// Clears every setuid and setgid bit the sandbox left, for a view that outlives the run.
    public func clearSetIDBits() throws {
        try DirectoryHandle.open(directory.path).clearSetIDBits()
    }

    /// Removes the view and everything the sandbox left in it, following no link.
    public func remove() throws {
        try DirectoryHandle.removeItem(at: directory)
    }

    /// Directory names whose content the sandbox may keep between runs: build output and caches.
    public static let cacheAreas: Set<String> = Ecosystem.cacheAreas

    private func synchronize(_ source: DirectoryHandle, into view: DirectoryHandle, prefix: String, inCacheArea: Bool,
                             seen: inout [String: Placed], update: inout Update) throws {
        let sourceNames = try source.names()
        let wanted = Set(sourceNames)
        for name in try view.names() where !wanted.contains(name) {
            let path = prefix + name
            if inCacheArea || kept.contains(path) || Self.cacheAreas.contains(name) { continue }
            try view.remove(name)
            update.removed += 1
        }
        for name in sourceNames.sorted() {
            let path = prefix + name
            guard let info = source.status(name) else { continue }
            switch info.st_mode & S_IFMT {
            case S_IFDIR:
                guard let sourceChild = source.subdirectory(name) else { continue }
                let viewChild = try view.makeSubdirectory(name, mode: info.st_mode & 0o777)
                try synchronize(sourceChild, into: viewChild, prefix: path + "/",
                                inCacheArea: inCacheArea || Self.cacheAreas.contains(name), seen: &seen, update: &update)
            case S_IFREG:
                let sourceStamp = FileStamp(info)
                let current = view.status(name)
                if let before = placed[path], before.source == sourceStamp, let current, FileStamp(current) == before.view {
                    seen[path] = before
                    update.unchanged += 1
                    continue
                }
                try view.replaceFile(name, mode: info.st_mode, modified: Self.newerTime(than: current)) { target in
                    let file = try source.openRegularFile(name)
                    defer { close(file) }
                    try copyContents(of: file, to: target, path: path)
                }
                guard let written = view.status(name) else { throw SystemCallError("stat", path: view.path + "/" + name) }
                seen[path] = Placed(view: FileStamp(written), source: sourceStamp)
                update.written += 1
            case S_IFLNK:
                let target = try source.linkTarget(name)
                if let current = view.status(name), current.st_mode & S_IFMT == S_IFLNK, (try? view.linkTarget(name)) == target {
                    update.unchanged += 1
                    continue
                }
                try view.replaceSymlink(name, target: target)
                update.written += 1
            default:
                continue
            }
        }
    }

    /// A modification time past the replaced file's second: mtime caches that compare whole
    /// seconds (Python's bytecode, make) must see a file rewritten within the same second as new.
    private static func newerTime(than replaced: stat?) -> timespec? {
        guard let replaced else { return nil }
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return now.tv_sec > replaced.st_mtim.tv_sec ? nil : timespec(tv_sec: replaced.st_mtim.tv_sec + 1, tv_nsec: 0)
    }
}
