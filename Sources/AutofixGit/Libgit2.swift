import CGit2

/// libgit2 must be initialised once per process before any call; this does it lazily, once.
enum Libgit2 {
    private static let initialised: Bool = {
        git_libgit2_init()
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
