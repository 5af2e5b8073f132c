import AutofixGit
import AutofixSupport
import Foundation

/// What the hook commands need of a repository: where its work tree and git directories are,
/// and what its config says.
public protocol HookRepository {
    /// The work tree's top, or nil in a bare repository.
    var workTree: URL? { get }
    /// This work tree's git directory; a bare repository runs its hooks there.
    var gitDirectory: URL { get }
    /// The directory shared by all linked worktrees.
    var commonDirectory: URL { get }
    func config(_ key: String) throws -> String?
}

extension Repository: HookRepository {
    public var workTree: URL? { workingDirectory }
    public func config(_ key: String) throws -> String? { try configString(key) }
}

public enum HookRepositories {
    /// The repository containing `start`, opened with libgit2; when libgit2 cannot open it (it
    /// does not read SHA-256 repositories) but git can, the git command answers instead, so the
    /// hook works in every repository git can push from.
    public static func discover(from start: URL) throws -> HookRepository {
        do {
            return try Repository.discover(from: start)
        } catch let error as GitError where error.code == .notARepository {
            throw HookError.notARepository(start.path)
        } catch {
            if let repository = GitCommandLineRepository.discover(from: start) { return repository }
            throw error
        }
    }
}

/// A repository as the git command sees it, one `git rev-parse` or `git config` per answer.
struct GitCommandLineRepository: HookRepository {
    let workTree: URL?
    let gitDirectory: URL
    let commonDirectory: URL

    static func discover(from start: URL) -> GitCommandLineRepository? {
        let top = GitCommandLine.output(["rev-parse", "--show-toplevel"], in: start)
        let base = top.map { URL(fileURLWithPath: $0, isDirectory: true) } ?? start
        guard let gitDirectory = GitCommandLine.output(["rev-parse", "--path-format=absolute", "--git-dir"], in: base),
              let common = GitCommandLine.output(["rev-parse", "--path-format=absolute", "--git-common-dir"], in: base)
        else { return nil }
        return GitCommandLineRepository(
            workTree: top.map { URL(fileURLWithPath: $0, isDirectory: true) },
            gitDirectory: URL(fileURLWithPath: gitDirectory, isDirectory: true),
            commonDirectory: URL(fileURLWithPath: common, isDirectory: true))
    }

    func config(_ key: String) -> String? {
        GitCommandLine.output(["config", "--get", key], in: workTree ?? gitDirectory)
    }
}

/// Runs the git command for one answer: trimmed standard output, or nil when git fails.
public enum GitCommandLine {
    public static func output(_ arguments: [String], in directory: URL) -> String? {
        var spec = ProcessSpec(["git"] + arguments, environment: ProcessInfo.processInfo.environment, directory: directory.path)
        spec.stderr = .discard
        guard let result = try? ProcessLauncher.run(spec), result.succeeded else { return nil }
        return result.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
