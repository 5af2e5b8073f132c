internal import CGit2
import Foundation

/// libgit2 must be initialised once per process before any call; this does it lazily, once.
enum Libgit2 {
    /// Nil once libgit2 is ready, else why it is not.
    private static let failure: GitError? = {
        let result = git_libgit2_init()
        if result < 0 { return GitError(libgit2: result, operation: "initialising libgit2") }
        // git skips /etc/gitconfig when GIT_CONFIG_NOSYSTEM is set; libgit2 does not by itself.
        if let value = ProcessInfo.processInfo.environment["GIT_CONFIG_NOSYSTEM"], !["", "0", "false", "no"].contains(value.lowercased()) {
            let result = autofix_git_set_config_search_path(GIT_CONFIG_LEVEL_SYSTEM, "")
            if result < 0 { return GitError(libgit2: result, operation: "leaving out the system git config (GIT_CONFIG_NOSYSTEM)") }
        }
        return nil
    }()

    static func ensureInitialised() throws {
        if let failure { throw failure }
    }

    /// The linked libgit2's version, e.g. "1.5.1".
    public static var version: String {
        var major: Int32 = 0, minor: Int32 = 0, revision: Int32 = 0
        // Only copies the version the library was built as; it has no failure to report.
        git_libgit2_version(&major, &minor, &revision)
        return "\(major).\(minor).\(revision)"
    }
}

public enum GitLibrary {
    /// The linked libgit2's version, for `doctor` and `--version`.
    public static var version: String { Libgit2.version }
}
