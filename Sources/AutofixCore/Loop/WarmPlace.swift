import AutofixGit
import AutofixSandbox
import AutofixSupport
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Whether a run may start from the build state an earlier run left (`autofix.warmBuilds`).
public enum WarmBuilds: Sendable, Equatable {
    /// Off, and why (the flag or the setting), said in the run's header.
    case off(String)
    /// On, with warm places under `cacheHome` (`$XDG_CACHE_HOME`, else `~/.cache`).
    case on(cacheHome: URL)

    /// On where the environment names a cache directory; off, saying why, where it does not.
    public static func on(environment: [String: String]) -> WarmBuilds {
        guard let cacheHome = WarmPlace.cacheHome(environment: environment) else {
            return .off("no cache directory: neither XDG_CACHE_HOME nor HOME is set")
        }
        return .on(cacheHome: cacheHome)
    }
}

/// How a run's main session started, for the header: in a warm place it used before, in a new
/// one, or fresh in the temp dir (and why).
public enum WarmStart: Sendable, Equatable {
    case reused, new
    case fresh(String)

    public var description: String {
        switch self {
        case .reused: return "reused"
        case .new: return "new"
        case .fresh(let reason): return "fresh (\(reason))"
        }
    }
}

/// A repository's warm place, `<cache>/git-autofix/warm/<id>`: the host's checkout (`work/`),
/// the view the sandbox sees at a fixed absolute path (`sandbox/`, since SwiftPM's build
/// directory holds absolute paths), the sandbox's HOME (`home/`), a lock and the state the last
/// run left. Every directory on the way is this user's, mode 0700 and no link; one run at a time
/// holds the lock. The state is taken (and removed) when the place opens and written again only
/// when the session ends, so a run that dies leaves none and the next run rebuilds the checkout.
public final class WarmPlace {
    public let directory: URL
    /// What the last run that ended left, taken when the place opened.
    public let state: WarmState?
    private let handle: DirectoryHandle
    private var lock: Int32

    static let stateName = "state"

    public var checkout: URL { directory.appendingPathComponent("work") }
    public var view: URL { directory.appendingPathComponent("sandbox") }
    public var home: URL { directory.appendingPathComponent("home") }

    public enum Opening {
        case opened(WarmPlace)
        /// Not usable: the reason, for a warning and the header.
        case unavailable(String)
    }

    private init(directory: URL, handle: DirectoryHandle, lock: Int32, state: WarmState?) {
        self.directory = directory
        self.handle = handle
        self.lock = lock
        self.state = state
    }

    deinit { unlock() }

    public static func cacheHome(environment: [String: String]) -> URL? {
        if let cache = environment["XDG_CACHE_HOME"], cache.hasPrefix("/") { return URL(fileURLWithPath: cache) }
        guard let home = environment["HOME"], home.hasPrefix("/") else { return nil }
        return URL(fileURLWithPath: home).appendingPathComponent(".cache")
    }

    /// The place of `repository` under `cacheHome`, named after its common git directory, so
    /// the worktrees of one repository share it.
    public static func location(for repository: Repository, cacheHome: URL) -> URL {
        cacheHome.appendingPathComponent("git-autofix/warm/\(repository.stableID)")
    }

    /// Opens (making what is missing) and locks the place of `repository`.
    public static func open(for repository: Repository, cacheHome: URL) -> Opening {
        let directory = location(for: repository, cacheHome: cacheHome)
        do {
            try FileManager.default.createDirectory(at: cacheHome, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
            var handle = try DirectoryHandle.open(cacheHome.path)
            var cacheInfo = stat()
            guard fstat(handle.fd, &cacheInfo) == 0, cacheInfo.st_uid == geteuid(), cacheInfo.st_mode & 0o022 == 0 else {
                return .unavailable("\(cacheHome.path) is not a directory only this user can write")
            }
            // git-autofix/ may hold other caches (the local model), made with the usual mode;
            // warm/ and the place itself are private.
            for (name, exclusive) in [("git-autofix", false), ("warm", true), (directory.lastPathComponent, true)] {
                switch privateSubdirectory(name, in: handle, exclusive: exclusive) {
                case .success(let child): handle = child
                case .failure(let problem): return .unavailable(problem.reason)
                }
            }
            let lock = openat(handle.fd, "lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o600)
            guard lock >= 0 else { return .unavailable("cannot open \(directory.path)/lock: \(String(cString: strerror(errno)))") }
            var info = stat()
            guard fstat(lock, &info) == 0, info.st_mode & S_IFMT == S_IFREG, info.st_uid == geteuid() else {
                close(lock)
                return .unavailable("\(directory.path)/lock is not a file of this user's")
            }
            guard flock(lock, LOCK_EX | LOCK_NB) == 0 else {
                close(lock)
                return .unavailable("another run is using \(directory.path)")
            }
            let state = takeState(in: handle)
            return .opened(WarmPlace(directory: directory, handle: handle, lock: lock, state: state))
        } catch {
            return .unavailable("cannot make \(directory.path): \(error)")
        }
    }

    /// Removes the place of `repository` (for `drop --all`) unless a run holds it. Returns the
    /// place removed, nil when there was none.
    public static func remove(for repository: Repository, cacheHome: URL) throws -> URL? {
        let directory = location(for: repository, cacheHome: cacheHome)
        var info = stat()
        guard lstat(directory.path, &info) == 0 else { return nil }
        switch open(for: repository, cacheHome: cacheHome) {
        case .opened(let place):
            try DirectoryHandle.removeItem(at: place.directory)
            place.unlock()
        case .unavailable(let reason):
            throw WarmPlaceError(message: "the warm build place was not removed: \(reason)",
                                 hint: "let the run end, or remove \(directory.path) yourself")
        }
        return directory
    }

    /// Makes `name` a real directory of this user's, mode 0700, in `directory`, or says what is wrong.
    public func prepareSubdirectory(_ name: String) throws {
        if let info = handle.status(name), info.st_mode & S_IFMT != S_IFDIR || info.st_uid != geteuid() {
            try handle.remove(name)
        }
        guard let child = try? handle.makeSubdirectory(name, mode: 0o700), fchmod(child.fd, 0o700) == 0 else {
            throw SystemCallError("mkdir", path: directory.path + "/" + name)
        }
    }

    /// Removes `name` in the place, following no link.
    public func removeEntry(_ name: String) throws {
        try handle.remove(name)
    }

    /// Keeps `state` for the next run. Called only when a session ended in order.
    public func save(_ state: WarmState) throws {
        let data = try JSONEncoder().encode(state)
        try AtomicFileWriter.write(data, to: directory.appendingPathComponent(Self.stateName), mode: 0o600, durability: .unsynced)
    }

    /// Lets the next run in.
    public func unlock() {
        guard lock >= 0 else { return }
        close(lock)
        lock = -1
    }

    private struct Problem: Error {
        let reason: String
    }

    /// The subdirectory `name` of this user's, made (mode 0700) when missing, no link; with
    /// `exclusive`, no one else may even enter it, else no one else may write it.
    private static func privateSubdirectory(_ name: String, in parent: DirectoryHandle,
                                            exclusive: Bool) -> Result<DirectoryHandle, Problem> {
        let path = parent.path + "/" + name
        if parent.status(name) == nil, mkdirat(parent.fd, name, 0o700) != 0, errno != EEXIST {
            return .failure(Problem(reason: "cannot make \(path): \(String(cString: strerror(errno)))"))
        }
        guard let info = parent.status(name) else { return .failure(Problem(reason: "\(path) vanished")) }
        if info.st_mode & S_IFMT == S_IFLNK { return .failure(Problem(reason: "\(path) is a symlink")) }
        guard info.st_mode & S_IFMT == S_IFDIR, let child = parent.subdirectory(name) else {
            return .failure(Problem(reason: "\(path) is not a directory"))
        }
        var opened = stat()
        guard fstat(child.fd, &opened) == 0, opened.st_ino == info.st_ino else {
            return .failure(Problem(reason: "\(path) changed while it was opened"))
        }
        guard opened.st_uid == geteuid() else { return .failure(Problem(reason: "\(path) belongs to another user")) }
        guard opened.st_mode & (exclusive ? 0o077 : 0o022) == 0 else {
            return .failure(Problem(reason: "\(path) is open to other users (mode \(String(opened.st_mode & 0o777, radix: 8)))"))
        }
        return .success(child)
    }

    /// Reads and removes the state file: from now on the place has no valid state until saved.
    private static func takeState(in handle: DirectoryHandle) -> WarmState? {
        let file = openat(handle.fd, stateName, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard file >= 0 else {
            unlinkat(handle.fd, stateName, 0)
            return nil
        }
        defer {
            close(file)
            unlinkat(handle.fd, stateName, 0)
        }
        var info = stat()
        guard fstat(file, &info) == 0, info.st_mode & S_IFMT == S_IFREG, info.st_uid == geteuid() else { return nil }
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        let path = handle.path + "/" + stateName
        while let count = try? buffer.withUnsafeMutableBytes({ try SystemCall.read(file, into: $0.baseAddress!, count: $0.count, path: path) }),
              count > 0 {
            data.append(contentsOf: buffer[0..<count])
        }
        return try? JSONDecoder().decode(WarmState.self, from: data)
    }
}

/// What a warm place holds when its session ended: the commit its checkout was brought to, the
/// checkout's stamps then (what changed since is written again), the view's record and the
/// stamps of the work tree's fetched dependencies that were copied into the view.
public struct WarmState: Codable, Sendable {
    public var commit: ObjectID
    public var checkout: [String: FileStamp]
    public var view: SandboxView.Record
    public var dependencies: [String: FileStamp]

    public init(commit: ObjectID, checkout: [String: FileStamp], view: SandboxView.Record, dependencies: [String: FileStamp]) {
        self.commit = commit
        self.checkout = checkout
        self.view = view
        self.dependencies = dependencies
    }
}

struct WarmPlaceError: AutofixError {
    let message: String
    let hint: String?
    var category: ExitCategory { .usage }
}
