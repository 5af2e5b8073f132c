import AutofixTestSupport
import Foundation
import XCTest

/// The package's source tree, for the files the binary does not carry (hooks/, man/, Makefile).
enum SourceTree {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let prePushScript = root.appendingPathComponent("hooks/pre-push")
}

/// A git repository driven with the git CLI in the hermetic environment, created with any
/// object format (TestRepository always makes SHA-1 ones).
final class GitDirectory {
    let holder: TemporaryDirectory
    let url: URL
    var path: String { url.path }

    init(bare: Bool = false, objectFormat: String = "sha1", prefix: String = "autofix-push") throws {
        holder = try TemporaryDirectory(prefix: prefix)
        url = holder.url.appendingPathComponent(bare ? "remote.git" : "work")
        try Shell.check(["git", "init", "-q", "--object-format=\(objectFormat)"] + (bare ? ["--bare"] : []) + [url.path])
    }

    @discardableResult
    func git(_ arguments: String..., environment: [String: String] = [:], input: String? = nil) throws -> String {
        try Shell.check(["git"] + arguments, in: url, environment: Self.environment(environment), input: input)
    }

    /// Runs git and returns the whole result, for commands expected to fail (a blocked push).
    func tryGit(_ arguments: String..., environment: [String: String] = [:]) throws -> Shell.Output {
        try Shell.run(["git"] + arguments, in: url, environment: Self.environment(environment))
    }

    func write(_ relative: String, _ contents: String, executable: Bool = false) throws {
        let file = url.appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(contents.utf8).write(to: file)
        if executable { try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: file.path) }
    }

    @discardableResult
    func commitAll(_ message: String) throws -> String {
        try git("add", "-A")
        try git("commit", "-q", "-m", message)
        return try revParse("HEAD")
    }

    func revParse(_ revision: String) throws -> String {
        try git("rev-parse", revision).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The commit `ref` names, or nil when there is no such ref.
    func commit(at ref: String) throws -> String? {
        let output = try Shell.run(["git", "rev-parse", "--verify", "--quiet", ref], in: url)
        return output.succeeded ? output.stdout.trimmingCharacters(in: .whitespacesAndNewlines) : nil
    }

    static func environment(_ extra: [String: String]) -> [String: String] {
        var env = Hermetic.environment
        for (key, value) in extra { env[key] = value }
        return env
    }
}

/// A bare "remote" and a work repository whose `origin` it is, with the git-autofix pre-push
/// hook installed through the built binary and a test script whose verdict each commit carries.
final class PushFixture {
    let remote: GitDirectory
    let local: GitDirectory
    /// Every commit the test command ran on, one per line (written by the test command itself).
    let testedLog: URL
    private let scratch: TemporaryDirectory

    init(objectFormat: String = "sha1", installHook: Bool = true) throws {
        remote = try GitDirectory(bare: true, objectFormat: objectFormat)
        local = try GitDirectory(objectFormat: objectFormat)
        scratch = try TemporaryDirectory(prefix: "autofix-push-log")
        testedLog = scratch.file("tested")
        try local.git("remote", "add", "origin", remote.path)
        try local.git("config", "autofix.testCommand", "echo \"$(git rev-parse HEAD) $(pwd -P)\" >>'\(testedLog.path)' && sh test.sh")
        if installHook {
            let install = try AutofixCLI.run(["hook", "install", "--script", SourceTree.prePushScript.path], in: local.url)
            XCTAssertEqual(install.status, 0, install.stderr)
        }
    }

    static let passingTest = "echo 'test_answer ... ok'\necho '1 passed, 0 failed'\n"
    static let failingTest = "echo 'test_setup ... ok'\necho 'FAIL: test_answer (expected 42, got 41)'\necho '1 passed, 1 failed'\nexit 1\n"

    /// Commits a test script that passes or fails, plus a file so each commit differs.
    @discardableResult
    func commit(passing: Bool, _ message: String) throws -> String {
        try local.write("test.sh", passing ? Self.passingTest : Self.failingTest)
        try local.write("history.txt", message + "\n")
        return try local.commitAll(message)
    }

    func push(_ arguments: String..., environment: [String: String] = [:]) throws -> Shell.Output {
        try Shell.run(["git", "push"] + arguments, in: local.url, environment: GitDirectory.environment(environment))
    }

    /// The commits the test command ran on, in order.
    func testedCommits() -> [String] {
        testRuns().map(\.commit)
    }

    /// Each test run's commit and the directory it ran in.
    func testRuns() -> [(commit: String, directory: String)] {
        guard let text = try? String(contentsOf: testedLog, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").map { line in
            let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
            return (parts[0], parts.count > 1 ? parts[1] : "")
        }
    }

    /// The local repository's path as `pwd -P` prints it.
    var localPhysicalPath: String { local.url.resolvingSymlinksInPath().path }

    /// The worktrees the local repository has registered, its own first.
    func worktrees() throws -> [String] {
        try local.git("worktree", "list", "--porcelain").components(separatedBy: "\n")
            .filter { $0.hasPrefix("worktree ") }.map { String($0.dropFirst("worktree ".count)) }
    }

    /// The worktrees a push left besides the repository's own and the one the hook reuses:
    /// its throwaway worktrees must be gone.
    func leftoverWorktrees() throws -> [String] {
        let reused = try reusedWorktree.path
        return try worktrees().dropFirst().filter { $0 != reused }
    }

    /// Where the hook keeps the worktree it reuses: named after the repository under the
    /// hermetic HOME's cache directory.
    var reusedWorktree: URL {
        get throws {
            let common = try local.git("rev-parse", "--path-format=absolute", "--git-common-dir").trimmingCharacters(in: .whitespacesAndNewlines)
            let repository = common.hasSuffix("/.git") ? String(common.dropLast("/.git".count)) : common
            return URL(fileURLWithPath: Hermetic.home.path + "/.cache/git-autofix/pre-push-worktrees" + repository + ".worktree")
        }
    }

    deinit {
        // It lives outside the temporary directories, which go with their holders.
        if let reused = try? reusedWorktree { try? FileManager.default.removeItem(at: reused) }
    }
}
