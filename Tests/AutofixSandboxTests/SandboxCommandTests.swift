import AutofixTestSupport
import XCTest

/// `git autofix sandbox` as a user runs it: the built binary, a real repository with local changes.
final class SandboxCommandTests: XCTestCase {
    func testRunsTheCommandOnASnapshotOfTheWorkingTreeWithoutTouchingIt() throws {
        let repository = try TestRepository()
        try repository.write("test.sh", "echo committed\n")
        try repository.commitAll("initial")
        try repository.write("test.sh", "echo uncommitted change\n")
        try repository.write("new.txt", "untracked\n")
        let worktree = try repository.fingerprint(includingGitDir: false)
        let head = try repository.revParse("HEAD")
        let index = try Data(contentsOf: repository.url.appendingPathComponent(".git/index"))

        let output = try AutofixCLI.run(
            ["sandbox", "--test-timeout", "30s", "--", "sh test.sh; cat new.txt; ls -a; echo hi > made-inside.txt"],
            in: repository.url)
        XCTAssertEqual(output.status, 0, output.stderr)
        XCTAssertTrue(output.stdout.hasPrefix("uncommitted change\nuntracked\n"), output.stdout)
        XCTAssertFalse(output.stdout.contains(".git\n"), "the scratch checkout has no .git: \(output.stdout)")
        XCTAssertTrue(output.stderr.contains("git autofix sandbox (bwrap): the command succeeded: exit 0"), output.stderr)

        XCTAssertEqual(try repository.fingerprint(includingGitDir: false), worktree)
        XCTAssertEqual(try repository.revParse("HEAD"), head)
        XCTAssertEqual(try Data(contentsOf: repository.url.appendingPathComponent(".git/index")), index)
        XCTAssertEqual(try repository.git("for-each-ref", "refs/autofix"), "", "the check leaves no run ref")
    }

    func testFailingCommandTimeoutAndBadBackendExitCodes() throws {
        let repository = try TestRepository()
        try repository.write("a.txt", "a\n")
        try repository.commitAll("initial")

        let failing = try AutofixCLI.run(["sandbox", "--", "sh", "-c", "echo it broke >&2; exit 7"], in: repository.url)
        XCTAssertEqual(failing.status, 1)
        XCTAssertTrue(failing.stderr.contains("it broke"))
        XCTAssertTrue(failing.stderr.contains("exit 7"), failing.stderr)

        let slow = try AutofixCLI.run(["sandbox", "--test-timeout", "1s", "--", "sleep 60"], in: repository.url)
        XCTAssertEqual(slow.status, 1)
        XCTAssertTrue(slow.stderr.contains("timeout limit hit"), slow.stderr)

        try repository.git("config", "autofix.sandboxMemory", "24m")
        let hog = try AutofixCLI.run(
            ["sandbox", "--", "x=$(head -c 64000000 /dev/zero | tr '\\0' a); echo ${#x}"], in: repository.url)
        XCTAssertEqual(hog.status, 1, hog.stdout)
        XCTAssertFalse(hog.stdout.contains("64000000"), hog.stdout)
        try repository.git("config", "--unset", "autofix.sandboxMemory")

        try repository.git("config", "autofix.sandbox", "docker")
        let noImage = try AutofixCLI.run(["sandbox", "--", "true"], in: repository.url)
        XCTAssertEqual(noImage.status, 4, noImage.stderr)
        XCTAssertTrue(noImage.stderr.contains("hint:"), noImage.stderr)

        let usage = try AutofixCLI.run(["sandbox", "--test-timeout", "soon", "--", "true"], in: repository.url)
        XCTAssertEqual(usage.status, 2, usage.stderr)
        XCTAssertTrue(usage.stderr.contains("not a duration"), usage.stderr)
        let nothing = try AutofixCLI.run(["sandbox"], in: repository.url)
        XCTAssertEqual(nothing.status, 2, nothing.stderr)
        XCTAssertTrue(nothing.stderr.contains("git autofix sandbox -- swift test"), nothing.stderr)
    }
}
