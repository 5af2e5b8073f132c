import Foundation

/// The environment every test runs git and the tool in: no system or user git config, a
/// throwaway HOME, fixed dates and locale, so results do not depend on the machine.
public enum Hermetic {
    public static let fixedDate = "2026-01-02T03:04:05Z"

    /// A HOME directory made once per test process, with an identity for commits.
    public static let home: URL = {
        let home = FileManager.default.temporaryDirectory
            .appendingPathComponent("autofix-home-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try? FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        let config = """
            [user]
            \tname = Autofix Test
            \temail = test@example.invalid
            [init]
            \tdefaultBranch = main
            [advice]
            \tdetachedHead = false
            [protocol "file"]
            \tallow = always

            """
        try? config.write(to: home.appendingPathComponent(".gitconfig"), atomically: true, encoding: .utf8)
        return home
    }()

    public static var environment: [String: String] {
        var env: [String: String] = [:]
        let inherited = ProcessInfo.processInfo.environment
        env["PATH"] = inherited["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        env["HOME"] = home.path
        env["XDG_CONFIG_HOME"] = home.appendingPathComponent(".config").path
        env["GIT_CONFIG_NOSYSTEM"] = "1"
        env["GIT_AUTHOR_DATE"] = fixedDate
        env["GIT_COMMITTER_DATE"] = fixedDate
        env["GIT_AUTHOR_NAME"] = "Autofix Test"
        env["GIT_AUTHOR_EMAIL"] = "test@example.invalid"
        env["GIT_COMMITTER_NAME"] = "Autofix Test"
        env["GIT_COMMITTER_EMAIL"] = "test@example.invalid"
        env["LC_ALL"] = "C"
        env["TZ"] = "UTC"
        env["TERM"] = "dumb"
        env["NO_COLOR"] = "1"
        return env
    }

    /// Applies the hermetic variables to this test process too, so libgit2 running in-process
    /// reads the same (empty) global configuration as the git CLI in the tests.
    public static func applyToCurrentProcess() {
        for (key, value) in environment where key != "PATH" {
            setenv(key, value, 1)
        }
    }
}
