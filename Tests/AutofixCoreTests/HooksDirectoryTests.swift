import AutofixCore
import AutofixGit
import AutofixTestSupport
import XCTest

/// Where git runs hooks from: core.hooksPath (relative to the work tree's top, or absolute), else
/// the hooks directory that all linked worktrees share.
final class HooksDirectoryTests: XCTestCase {
    private let top = URL(fileURLWithPath: "/src/project", isDirectory: true)
    private let gitDirectory = URL(fileURLWithPath: "/src/project/.git/worktrees/topic", isDirectory: true)
    private let common = URL(fileURLWithPath: "/src/project/.git", isDirectory: true)

    private func resolve(_ hooksPath: String?, workTree: URL?) -> String {
        HooksDirectory.resolve(hooksPath: hooksPath, workTree: workTree, gitDirectory: gitDirectory, commonDirectory: common).path
    }

    func testWithoutHooksPathTheCommonDirectorysHooksAreUsed() {
        XCTAssertEqual(resolve(nil, workTree: top), "/src/project/.git/hooks")
        XCTAssertEqual(resolve("", workTree: top), "/src/project/.git/hooks")
    }

    func testARelativeHooksPathIsFromTheWorkTreesTopAndAnAbsoluteOneIsAsIs() {
        XCTAssertEqual(resolve(".githooks", workTree: top), "/src/project/.githooks")
        XCTAssertEqual(resolve("tools/hooks", workTree: URL(fileURLWithPath: "/src/topic", isDirectory: true)), "/src/topic/tools/hooks")
        XCTAssertEqual(resolve("/etc/git/hooks", workTree: top), "/etc/git/hooks")
    }

    func testABareRepositorysRelativeHooksPathIsFromItsGitDirectory() {
        XCTAssertEqual(resolve("custom-hooks", workTree: nil), gitDirectory.path + "/custom-hooks")
    }

    func testALinkedWorktreeSharesTheMainHooksAndResolvesHooksPathFromItsOwnTop() throws {
        let repo = try TestRepository()
        try repo.write("README", "hello\n")
        try repo.git("add", "README")
        try repo.git("commit", "-q", "-m", "first")
        let linked = repo.url.deletingLastPathComponent().appendingPathComponent(repo.url.lastPathComponent + "-topic")
        try repo.git("worktree", "add", "-q", "-b", "topic", linked.path)
        defer { try? FileManager.default.removeItem(at: linked) }

        let shared = try HooksLocation(repository: try Repository.discover(from: linked))
        XCTAssertEqual(shared.directory.standardizedFileURL.resolvingSymlinksInPath().path,
                       repo.url.appendingPathComponent(".git/hooks").resolvingSymlinksInPath().path)
        XCTAssertFalse(shared.fromHooksPath)

        try repo.git("config", "core.hooksPath", ".githooks")
        let configured = try HooksLocation(repository: try Repository.discover(from: linked))
        XCTAssertEqual(configured.directory.standardizedFileURL.resolvingSymlinksInPath().path,
                       linked.appendingPathComponent(".githooks").resolvingSymlinksInPath().path)
        XCTAssertEqual(configured.hooksPath, ".githooks")
        XCTAssertTrue(configured.isInsideWorkTree)
    }
}
