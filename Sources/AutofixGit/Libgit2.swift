import CGit2
import Foundation

/// libgit2 must be initialised once per process before any call; this does it lazily, once.
enum Libgit2 {
    private static let initialised: Bool = {
        git_libgit2_init()
        // git skips /etc/gitconfig when GIT_CONFIG_NOSYSTEM is set; libgit2 does not by itself.
        if let value = ProcessInfo.processInfo.environment["GIT_CONFIG_NOSYSTEM"], !["", "0", "false", "no"].contains(value.lowercased()) {
            _ = autofix_git_set_config_search_path(GIT_CONFIG_LEVEL_SYSTEM, "")
        }
        return true
    }()

    static func ensureInitialised() { _ = initialised }

    /// The linked libgit2's version, e.g. "1.5.1".
    public static var version: String {
        var major: Int32 = 0, minor: Int32 = 0, revision: Int32 = 0
        git_libgit2_version(&major, &minor, &revision)
        return "\(major).\(minor).\(revision)"
    }
}

public enum GitLibrary {
    /// The linked libgit2's version, for `doctor` and `--version`.
    public static var version: String { Libgit2.version }
}
