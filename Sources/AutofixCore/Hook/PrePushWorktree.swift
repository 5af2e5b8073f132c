import AutofixSupport
import Foundation

/// The worktree the pre-push hook reuses from push to push, kept under the user's cache
/// directory (`git-autofix/pre-push-worktrees/`) and registered with the repository like any
/// linked worktree; hooks/pre-push makes it.
public struct PrePushWorktree {
    /// The directory the hook keeps every repository's worktree in.
    public let base: URL
    let repositoryDirectory: URL

    /// Nil when the environment names no cache directory, as the hook then makes none.
    public init?(repositoryDirectory: URL, environment: [String: String] = ProcessInfo.processInfo.environment) {
        let cacheHome: String
        if let xdg = environment["XDG_CACHE_HOME"], xdg.hasPrefix("/") {
            cacheHome = xdg
        } else if let home = environment["HOME"], !home.isEmpty {
            cacheHome = home + "/.cache"
        } else {
            return nil
        }
        base = URL(fileURLWithPath: cacheHome, isDirectory: true).appendingPathComponent("git-autofix/pre-push-worktrees", isDirectory: true)
        self.repositoryDirectory = repositoryDirectory
    }

    /// This repository's worktrees under `base`: the current one, and any made before the
    /// repository moved.
    public func registered() -> [String] {
        guard let list = GitCommandLine.output(["worktree", "list", "--porcelain"], in: repositoryDirectory) else { return [] }
        let prefixes = Set([base.path, base.resolvingSymlinksInPath().path].map { $0 + "/" })
        return list.split(separator: "\n").compactMap { line in
            guard line.hasPrefix("worktree ") else { return nil }
            let path = String(line.dropFirst("worktree ".count))
            return prefixes.contains { path.hasPrefix($0) } ? path : nil
        }
    }

    /// Removes each registered worktree and its entry; a broken one, which `git worktree remove`
    /// refuses, is deleted first so that git drops just its entry. Returns the paths removed.
    public func removeAll() -> [String] {
        registered().filter { path in
            if GitCommandLine.output(["worktree", "remove", "--force", path], in: repositoryDirectory) != nil { return true }
            try? FileManager.default.removeItem(atPath: path)
            return GitCommandLine.output(["worktree", "remove", "--force", path], in: repositoryDirectory) != nil
        }
    }
}
