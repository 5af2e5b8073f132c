import AutofixTestSupport
import Foundation
import XCTest

/// What git autofix does after sandboxed code ran never reaches the host: a scripted model edits
/// the test script (`test.sh`, the test command) so that the tests attack the files the tool reads,
/// commits, rolls back and removes afterwards. Each case proves that nothing outside the repository
/// changed, no host content reached a request or a commit, and the scratch space is gone.
class HostBoundaryTests: XCTestCase {
    /// The sandbox of this suite; the podman subclass runs the same cases in a container.
    var sandbox: String { "bwrap" }
    func configure(_ repo: TestRepository) throws {}

    private var host: TemporaryDirectory!
    private var scratchParent: TemporaryDirectory!
    private var marker = ""
    /// Names what the tests leave running: in the model's reply, so not a host secret.
    private var sleeper = ""
    private var hostBefore: [String: String] = [:]

    override func setUpWithError() throws {
        marker = "host-secret-\(UInt32.random(in: 10_000_000...99_999_999))"
        sleeper = "autofix-sleeper-\(UInt32.random(in: 10_000_000...99_999_999))"
        host = try TemporaryDirectory(prefix: "autofix-host")
        scratchParent = try TemporaryDirectory(prefix: "autofix-tmpdir")
        try "\(marker)\n".write(to: host.file("secret.txt"), atomically: true, encoding: .utf8)
        try "\(marker) host app\n".write(to: host.file("app.txt"), atomically: true, encoding: .utf8)
        try "\(marker) host file to delete\n".write(to: host.file("new.txt"), atomically: true, encoding: .utf8)
        try "original rc\n".write(to: host.file(".bashrc"), atomically: true, encoding: .utf8)
        hostBefore = try TreeFingerprint.of(host.url)
    }

    // MARK: - the cases

    func testAFileSwappedForASymlinkIsNeitherReadForThePromptNorCommitted() throws {
        let repo = try makeRepository()
        let server = try ScriptedSSEServer(replies: [
            reply(patch("app.txt", from: "v1", to: "v2") + script("rm app.txt; ln -s \(host.file("secret.txt").path) app.txt; exit 1")),
            reply(script("exit 0")),
        ])
        defer { server.stop() }
        let output = try autofix(repo, server)
        XCTAssertEqual(output.status, 0, output.stdout + output.stderr)
        XCTAssertEqual(server.recordedRequests.count, 2)
        let ref = try runRef(repo)
        XCTAssertEqual(try repo.git("ls-tree", ref, "app.txt").split(separator: " ").first, "100644")
        XCTAssertEqual(try repo.git("show", "\(ref):app.txt"), "v1\n", "round 1 was rolled back")
        try checkHostUntouched(repo, server)
    }

    func testTheAcceptedCommitHoldsWhatWasAppliedNotWhatTheTestsLeft() throws {
        let repo = try makeRepository()
        let server = try ScriptedSSEServer(replies: [
            reply(patch("app.txt", from: "v1", to: "v2") + patch("lib/app.txt", from: "lib v1", to: "lib v2")
                + script("echo injected > app.txt; echo extra > added.txt; rm -rf lib; ln -s \(host.path) lib; exit 0")),
        ])
        defer { server.stop() }
        let output = try autofix(repo, server)
        XCTAssertEqual(output.status, 0, output.stdout + output.stderr)
        let ref = try runRef(repo)
        XCTAssertEqual(try repo.git("show", "\(ref):app.txt"), "v2\n")
        XCTAssertEqual(try repo.git("show", "\(ref):lib/app.txt"), "lib v2\n", "not the host's lib/app.txt")
        XCTAssertEqual(try repo.git("ls-tree", ref, "lib").split(separator: " ").prefix(2), ["040000", "tree"])
        XCTAssertEqual(try repo.git("ls-tree", "--name-only", ref), "app.txt\nlib\ntest.sh\n", "nothing the tests added")

        let applied = try AutofixCLI.run(["apply", try runID(repo), "--force"], in: repo.url)
        XCTAssertEqual(applied.status, 0, applied.stdout + applied.stderr)
        XCTAssertEqual(try repo.read("app.txt"), "v2\n")
        XCTAssertEqual(try repo.read("lib/app.txt"), "lib v2\n")
        var info = stat()
        XCTAssertEqual(lstat(repo.file("lib").path, &info), 0)
        XCTAssertEqual(info.st_mode & S_IFMT, S_IFDIR, "apply wrote a directory, not the tests' symlink")
        try checkHostUntouched(repo, server)
    }

    func testARollBackThroughASymlinkedDirectoryWritesAndDeletesNothingOnTheHost() throws {
        let repo = try makeRepository()
        let server = try ScriptedSSEServer(replies: [
            reply(patch("lib/app.txt", from: "lib v1", to: "lib v2") + newFile("lib/new.txt", "model\n")
                + script("(sh -c 'sleep 300' \(sleeper) &); rm -rf lib; ln -s \(host.path) lib; exit 1")),
            reply("CANNOT FIX: the tests are hostile"),
        ])
        defer { server.stop() }
        let output = try autofix(repo, server)
        XCTAssertEqual(output.status, 1, output.stdout + output.stderr)
        XCTAssertTrue(output.stdout.contains("rolled back"), output.stdout)
        try checkHostUntouched(repo, server)
    }

    func testAnAcceptedFileUnderADirectoryTurnedIntoASymlinkCannotOverwriteAHostFile() throws {
        let repo = try makeRepository(baseline: tap(passing: []))
        let server = try ScriptedSSEServer(replies: [
            reply(newFile("payload/.bashrc", "model rc\n") + script(tap(passing: [1]), replacing: tap(passing: []))),
            reply(patch("payload/.bashrc", from: "model rc", to: "model rc 2")
                + script("rm -rf payload; ln -s \(host.path) payload\n" + tap(passing: [1]), replacing: tap(passing: [1]))),
            reply("CANNOT FIX: done"),
        ])
        defer { server.stop() }
        let output = try autofix(repo, server)
        XCTAssertEqual(output.status, 1, output.stdout + output.stderr)
        let ref = try runRef(repo)
        XCTAssertEqual(try repo.git("show", "\(ref):payload/.bashrc"), "model rc\n", "round 1 accepted, round 2 rolled back")
        XCTAssertEqual(try String(contentsOf: host.file(".bashrc"), encoding: .utf8), "original rc\n")
        try checkHostUntouched(repo, server)
    }

    func testKeptScratchIsPrivateAndHoldsNoSetuidFile() throws {
        let repo = try makeRepository()
        let server = try ScriptedSSEServer(replies: [reply(script("cp /bin/busybox idx || cp /usr/bin/id idx; chmod 4755 idx; exit 0"))])
        defer { server.stop() }
        let output = try autofix(repo, server, ["--keep-scratch", "--no-warm-builds", "--json"])
        XCTAssertEqual(output.status, 0, output.stdout + output.stderr)
        let kept = try XCTUnwrap(keptScratch(output), output.stdout)
        let sandboxView = try XCTUnwrap(kept["sandbox"] as? String)
        let checkout = try XCTUnwrap(kept["checkout"] as? String)
        let root = URL(fileURLWithPath: sandboxView).deletingLastPathComponent().path
        XCTAssertEqual(URL(fileURLWithPath: checkout).deletingLastPathComponent().path, root)
        XCTAssertTrue(root.hasPrefix(scratchParent.path), root)
        var info = stat()
        XCTAssertEqual(stat(root, &info), 0)
        XCTAssertEqual(info.st_mode & 0o777, 0o700, "only the user can enter the scratch space")
        XCTAssertEqual(stat(sandboxView + "/idx", &info), 0, "the tests ran in the kept view")
        XCTAssertEqual(info.st_mode & (S_ISUID | S_ISGID), 0, "the setuid bit is gone")
        XCTAssertFalse(FileManager.default.fileExists(atPath: checkout + "/idx"), "the host's checkout has only what it applied")
    }

    func testAKeptWarmPlaceIsPrivateAndHoldsNoSetuidFileInTheViewOrTheSandboxHome() throws {
        let repo = try makeRepository()
        let plant = "cp /bin/busybox idx || cp /usr/bin/id idx; chmod 4755 idx; cp idx \"$HOME/idx\"; chmod 4755 \"$HOME/idx\"; exit 0"
        let server = try ScriptedSSEServer(replies: [reply(script(plant))])
        defer { server.stop() }
        let output = try autofix(repo, server, ["--keep-scratch", "--json"])
        XCTAssertEqual(output.status, 0, output.stdout + output.stderr)
        XCTAssertTrue(output.stdout.contains(#""warm_build":"new""#), output.stdout)
        let kept = try XCTUnwrap(keptScratch(output), output.stdout)
        let place = URL(fileURLWithPath: try XCTUnwrap(kept["sandbox"] as? String)).deletingLastPathComponent()
        XCTAssertEqual(URL(fileURLWithPath: try XCTUnwrap(kept["checkout"] as? String)).deletingLastPathComponent(), place)
        XCTAssertEqual(place.deletingLastPathComponent().path, Hermetic.home.path + "/.cache/git-autofix/warm")
        var info = stat()
        for directory in [place.path, place.deletingLastPathComponent().path, place.deletingLastPathComponent().deletingLastPathComponent().path] {
            XCTAssertEqual(lstat(directory, &info), 0)
            XCTAssertEqual(info.st_mode & S_IFMT, S_IFDIR, directory)
            XCTAssertEqual(info.st_mode & 0o777, 0o700, "only the user can enter \(directory)")
        }
        for file in [place.path + "/sandbox/idx", place.path + "/home/idx"] {
            XCTAssertEqual(stat(file, &info), 0, "the tests wrote \(file)")
            XCTAssertEqual(info.st_mode & (S_ISUID | S_ISGID), 0, "the setuid bit of \(file) is gone")
        }
        let checkout = URL(fileURLWithPath: try XCTUnwrap(kept["checkout"] as? String))
        XCTAssertFalse(FileManager.default.fileExists(atPath: checkout.appendingPathComponent("idx").path),
                       "the host's checkout has only what it applied")
    }

    func testEveryRunGetsAFreshScratchSpaceWithAnUnguessableName() throws {
        var roots: [String] = []
        for _ in 0..<2 {
            let repo = try makeRepository()
            let server = try ScriptedSSEServer(replies: [reply(script("exit 0"))])
            defer { server.stop() }
            let output = try autofix(repo, server, ["--keep-scratch", "--no-warm-builds", "--json"])
            XCTAssertEqual(output.status, 0, output.stdout + output.stderr)
            let kept = try XCTUnwrap(keptScratch(output), output.stdout)
            let root = URL(fileURLWithPath: try XCTUnwrap(kept["checkout"] as? String)).deletingLastPathComponent()
            XCTAssertTrue(root.lastPathComponent.hasPrefix("git-autofix-"), root.path)
            XCTAssertFalse(root.lastPathComponent.contains(try runID(repo).suffix(4)), "not derived from the run id")
            roots.append(root.lastPathComponent)
        }
        XCTAssertNotEqual(roots[0], roots[1])
        XCTAssertEqual(Set(try FileManager.default.contentsOfDirectory(atPath: scratchParent.path)), Set(roots))
    }

    // MARK: - fixture

    private func makeRepository(baseline: String = "exit 1") throws -> TestRepository {
        let repo = try TestRepository(prefix: "autofix-boundary")
        try repo.write("test.sh", baseline + "\n")
        try repo.write("app.txt", "v1\n")
        try repo.write("lib/app.txt", "lib v1\n")
        try repo.commitAll("initial")
        try configure(repo)
        return repo
    }

    private func autofix(_ repo: TestRepository, _ server: ScriptedSSEServer, _ extra: [String] = []) throws -> Shell.Output {
        try AutofixCLI.run(["run", "--endpoint", server.baseURL, "--model", "test-model", "--test", "sh test.sh",
                            "--test-timeout", "1m", "--sandbox", sandbox] + extra,
                           in: repo.url, environment: ["TMPDIR": scratchParent.path])
    }

    /// TAP output with the given tests (of 1 and 2) passing.
    private func tap(passing: Set<Int>) -> String {
        "echo 1..2; " + (1...2).map { passing.contains($0) ? "echo ok \($0) t\($0)" : "echo not ok \($0) t\($0)" }.joined(separator: "; ")
    }

    /// A patch of test.sh from its current content to `body`.
    private func script(_ body: String, replacing old: String? = nil) -> String {
        let before = old ?? "exit 1"
        return "```diff\n--- a/test.sh\n+++ b/test.sh\n@@ -1 +1,\(body.split(separator: "\n").count) @@\n-\(before)\n"
            + body.split(separator: "\n").map { "+\($0)\n" }.joined() + "```\n"
    }

    private func patch(_ path: String, from old: String, to new: String) -> String {
        "```diff\n--- a/\(path)\n+++ b/\(path)\n@@ -1 +1 @@\n-\(old)\n+\(new)\n```\n"
    }

    private func newFile(_ path: String, _ content: String) -> String {
        let lines = content.split(separator: "\n")
        return "```diff\n--- /dev/null\n+++ b/\(path)\n@@ -0,0 +1,\(lines.count) @@\n" + lines.map { "+\($0)\n" }.joined() + "```\n"
    }

    private func reply(_ text: String) -> ScriptedSSEServer.Reply {
        ScriptedSSEServer.chatStream(["Summary: round\n\n", text], usage: (prompt: 100, completion: 20))
    }

    private func runRef(_ repo: TestRepository) throws -> String {
        try repo.git("for-each-ref", "--format=%(refname)", "refs/autofix").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private func runID(_ repo: TestRepository) throws -> String {
        String(try runRef(repo).split(separator: "/").last ?? "")
    }

    /// The `scratch_kept` event of a `--json` run.
    private func keptScratch(_ output: Shell.Output) -> [String: Any]? {
        output.stdout.split(separator: "\n").compactMap { line -> [String: Any]? in
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            return object?["event"] as? String == "scratch_kept" ? object : nil
        }.first
    }

    /// The host directory is as it was, no request carried host content, no commit of the run
    /// holds it, and no scratch directory is left (unless kept).
    private func checkHostUntouched(_ repo: TestRepository, _ server: ScriptedSSEServer,
                                    file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(try TreeFingerprint.of(host.url), hostBefore, "the host directory changed", file: file, line: line)
        for request in server.recordedRequests {
            XCTAssertFalse(request.bodyText.contains(marker), "host content reached the model", file: file, line: line)
        }
        let ref = try runRef(repo)
        if !ref.isEmpty {
            let everything = try repo.git("log", "-p", "--format=%B", ref)
            XCTAssertFalse(everything.contains(marker), "host content reached a commit", file: file, line: line)
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: scratchParent.path), [],
                       "the scratch space was removed", file: file, line: line)
        XCTAssertEqual(HostProcesses.containing(sleeper), [], "nothing the tests started is left running", file: file, line: line)
    }
}

/// The same cases with podman (runc and the local busybox image), where podman works here.
final class PodmanHostBoundaryTests: HostBoundaryTests {
    override var sandbox: String { "podman" }
    override func configure(_ repo: TestRepository) throws {
        try repo.git("config", "autofix.image", PodmanTestImage.name)
        try repo.git("config", "autofix.sandboxRuntime", "runc")
    }

    override func setUpWithError() throws {
        guard PodmanTestImage.available else { throw XCTSkip("podman with runc and busybox-static is not available here") }
        try super.setUpWithError()
    }

    // Linux XCTest finds only the methods a class declares itself.
    override func testAFileSwappedForASymlinkIsNeitherReadForThePromptNorCommitted() throws { try super.testAFileSwappedForASymlinkIsNeitherReadForThePromptNorCommitted() }
    override func testTheAcceptedCommitHoldsWhatWasAppliedNotWhatTheTestsLeft() throws { try super.testTheAcceptedCommitHoldsWhatWasAppliedNotWhatTheTestsLeft() }
    override func testARollBackThroughASymlinkedDirectoryWritesAndDeletesNothingOnTheHost() throws { try super.testARollBackThroughASymlinkedDirectoryWritesAndDeletesNothingOnTheHost() }
    override func testAnAcceptedFileUnderADirectoryTurnedIntoASymlinkCannotOverwriteAHostFile() throws { try super.testAnAcceptedFileUnderADirectoryTurnedIntoASymlinkCannotOverwriteAHostFile() }
    override func testKeptScratchIsPrivateAndHoldsNoSetuidFile() throws { try super.testKeptScratchIsPrivateAndHoldsNoSetuidFile() }
    override func testEveryRunGetsAFreshScratchSpaceWithAnUnguessableName() throws { try super.testEveryRunGetsAFreshScratchSpaceWithAnUnguessableName() }
    override func testAKeptWarmPlaceIsPrivateAndHoldsNoSetuidFileInTheViewOrTheSandboxHome() throws {
        try super.testAKeptWarmPlaceIsPrivateAndHoldsNoSetuidFileInTheViewOrTheSandboxHome()
    }
}
