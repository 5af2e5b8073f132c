import AutofixTestSupport
import XCTest

/// The review commands as a user runs them: the built binary, a real repository.
final class ReviewCommandTests: XCTestCase {
    private func makeRepo() throws -> TestRepository {
        let repo = try TestRepository()
        try repo.write("README.md", "hello\n")
        try repo.write("src/lib.py", "def answer():\n    return 41\n")
        try repo.commitAll("initial")
        return repo
    }

    private func runID(_ repo: TestRepository) throws -> String {
        try repo.git("for-each-ref", "--format=%(refname:lstrip=-1)", "refs/autofix").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func testSnapshotListShowApplyIntoACloneAndDrop() throws {
        let repo = try makeRepo()
        try repo.write("src/lib.py", "def answer():\n    return 42\n")
        try repo.write("notes.txt", "untracked\n")
        let before = try repo.fingerprint(excluding: [".git/objects", ".git/refs", ".git/autofix"])

        let snapshot = try AutofixCLI.run(["snapshot"], in: repo.url)
        XCTAssertEqual(snapshot.status, 0, snapshot.stderr)
        XCTAssertTrue(snapshot.stdout.contains("1 modified, 1 untracked"), snapshot.stdout)
        XCTAssertEqual(try repo.fingerprint(excluding: [".git/objects", ".git/refs", ".git/autofix"]), before,
                       "the user's files, index and HEAD are unchanged")
        let id = try runID(repo)

        let list = try AutofixCLI.run(["list"], in: repo.url)
        XCTAssertTrue(list.stdout.contains(id), list.stdout)
        let listJSON = try AutofixCLI.run(["list", "--json"], in: repo.url)
        let object = try JSONSerialization.jsonObject(with: Data(listJSON.stdout.utf8)) as? [String: Any]
        XCTAssertEqual(object?["run"] as? String, id)
        XCTAssertEqual(object?["base"] as? String, try repo.revParse("HEAD"))

        let show = try AutofixCLI.run(["show", String(id.prefix(12))], in: repo.url)
        XCTAssertEqual(show.status, 0, show.stderr)
        XCTAssertTrue(show.stdout.contains("src/lib.py"), show.stdout)
        XCTAssertTrue(show.stdout.contains("notes.txt"), show.stdout)

        // A clean clone fetches the run and applies it.
        let cloneDir = try TemporaryDirectory()
        try Shell.check(["git", "clone", "-q", repo.path, cloneDir.file("clone").path])
        let clone = cloneDir.file("clone")
        try Shell.check(["git", "fetch", "-q", "origin", "refs/autofix/*:refs/autofix/*"], in: clone)
        let apply = try AutofixCLI.run(["apply", id], in: clone)
        XCTAssertEqual(apply.status, 0, apply.stderr)
        XCTAssertEqual(try String(contentsOf: clone.appendingPathComponent("src/lib.py"), encoding: .utf8),
                       "def answer():\n    return 42\n")
        XCTAssertEqual(try String(contentsOf: clone.appendingPathComponent("notes.txt"), encoding: .utf8), "untracked\n")
        XCTAssertEqual(try Shell.check(["git", "diff", "--cached", "--name-only"], in: clone), "", "apply does not stage")

        let drop = try AutofixCLI.run(["drop", "--yes", id], in: repo.url)
        XCTAssertEqual(drop.status, 0, drop.stderr)
        XCTAssertTrue(drop.stdout.contains("Dropped refs/autofix/main/\(id)"), drop.stdout)
        XCTAssertEqual(try repo.git("for-each-ref", "refs/autofix"), "")
        XCTAssertEqual(try repo.read("src/lib.py"), "def answer():\n    return 42\n", "dropping a run never touches the work tree")
    }

    func testErrorsSayWhatToDoAndUseTheDocumentedExitCodes() throws {
        let repo = try makeRepo()
        // Refusals are usage errors (2): the user fixes them, not git.
        for command in [["show"], ["apply"], ["drop", "--yes"]] {
            let unknown = try AutofixCLI.run(command + ["does-not-exist"], in: repo.url)
            XCTAssertEqual(unknown.status, 2, "\(command): \(unknown.stderr)")
            XCTAssertTrue(unknown.stderr.contains("no run named `does-not-exist`"), unknown.stderr)
            XCTAssertTrue(unknown.stderr.contains("hint:"), unknown.stderr)
        }

        let dropWithoutConfirmation = try AutofixCLI.run(["drop", "--all"], in: repo.url)
        XCTAssertEqual(dropWithoutConfirmation.status, 0, "no runs: nothing to confirm")
        _ = try AutofixCLI.run(["snapshot"], in: repo.url)
        let needsYes = try AutofixCLI.run(["drop", "--all"], in: repo.url)
        XCTAssertEqual(needsYes.status, 2)
        XCTAssertTrue(needsYes.stderr.contains("--yes"), needsYes.stderr)
        XCTAssertNotEqual(try repo.git("for-each-ref", "refs/autofix"), "", "nothing deleted without confirmation")

        // A run whose snapshot changed src/lib.py, and a later edit of that same file.
        _ = try AutofixCLI.run(["drop", "--all", "--yes"], in: repo.url)
        try repo.write("src/lib.py", "def answer():\n    return 43\n")
        _ = try AutofixCLI.run(["snapshot"], in: repo.url)
        try repo.git("checkout", "--", "src/lib.py")
        try repo.write("src/lib.py", "def answer():\n    return 44\n")
        let dirty = try AutofixCLI.run(["apply", try runID(repo)], in: repo.url)
        XCTAssertEqual(dirty.status, 2, dirty.stderr)
        XCTAssertTrue(dirty.stderr.contains("edited since its snapshot: src/lib.py"), dirty.stderr)
        XCTAssertTrue(dirty.stderr.contains("--force"), dirty.stderr)
        XCTAssertEqual(try repo.read("src/lib.py"), "def answer():\n    return 44\n")

        let both = try AutofixCLI.run(["drop", "--all", "x"], in: repo.url)
        XCTAssertEqual(both.status, 64, "argument-parser's usage exit code for invalid combinations")

        let outside = try TemporaryDirectory()
        let notRepo = try AutofixCLI.run(["list"], in: outside.url, environment: ["GIT_CEILING_DIRECTORIES": outside.url.deletingLastPathComponent().path])
        XCTAssertEqual(notRepo.status, 5)
        XCTAssertTrue(notRepo.stderr.contains("not inside a git repository"), notRepo.stderr)
    }

    /// Adds a commit to run `id` that writes `files`, as an accepted round would.
    private func addRunCommit(_ repo: TestRepository, _ id: String, _ files: [String: String]) throws {
        let ref = "refs/autofix/main/\(id)"
        let index = try TemporaryDirectory(prefix: "autofix-index")
        var environment = Hermetic.environment
        environment["GIT_INDEX_FILE"] = index.file("index").path
        try Shell.check(["git", "read-tree", ref], in: repo.url, environment: environment)
        for (path, contents) in files {
            let blob = try repo.git(["hash-object", "-w", "--stdin"], input: contents).trimmingCharacters(in: .whitespacesAndNewlines)
            try Shell.check(["git", "update-index", "--add", "--cacheinfo", "100644,\(blob),\(path)"], in: repo.url, environment: environment)
        }
        let tree = try Shell.check(["git", "write-tree"], in: repo.url, environment: environment).trimmingCharacters(in: .whitespacesAndNewlines)
        let commit = try repo.git("commit-tree", "-p", ref, "-m", "add local settings", tree).trimmingCharacters(in: .whitespacesAndNewlines)
        try repo.git("update-ref", ref, commit)
    }

    func testApplyKeepsABackupOfAnIgnoredFileItReplacesAndNamesIt() throws {
        let repo = try makeRepo()
        try repo.write(".gitignore", "settings.local\n")
        try repo.commitAll("ignore local settings")
        _ = try AutofixCLI.run(["snapshot"], in: repo.url)
        let id = try runID(repo)
        try addRunCommit(repo, id, ["settings.local": "the run's settings\n"])
        try repo.write("settings.local", "my own secret settings\n")

        let apply = try AutofixCLI.run(["apply", id], in: repo.url)
        XCTAssertEqual(apply.status, 0, apply.stderr)
        XCTAssertEqual(try repo.read("settings.local"), "the run's settings\n")
        let backup = try repo.git("for-each-ref", "--format=%(refname)", "refs/autofix-backup").trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertFalse(backup.isEmpty, "a backup ref keeps the user's file: \(apply.stdout)")
        XCTAssertEqual(try repo.git("show", "\(backup):settings.local"), "my own secret settings\n")
        XCTAssertTrue(apply.stdout.contains("settings.local"), apply.stdout)
        XCTAssertTrue(apply.stdout.contains(backup), apply.stdout)
        XCTAssertEqual(try repo.git("status", "--porcelain"), "", "the index and the tracked files are as they were")
    }

    func testApplyRefusesToReplaceAnIgnoredDirectoryWithAFile() throws {
        let repo = try makeRepo()
        try repo.write(".gitignore", "cache/\n")
        try repo.commitAll("ignore the cache")
        _ = try AutofixCLI.run(["snapshot"], in: repo.url)
        let id = try runID(repo)
        try addRunCommit(repo, id, ["cache": "now a file\n"])
        try repo.write("cache/entry", "expensive to rebuild\n")

        let apply = try AutofixCLI.run(["apply", id], in: repo.url)
        XCTAssertEqual(apply.status, 2, apply.stdout + apply.stderr)
        XCTAssertTrue(apply.stderr.contains("cache"), apply.stderr)
        XCTAssertEqual(try repo.read("cache/entry"), "expensive to rebuild\n")
    }

    func testApplyNeverOverwritesAnUntrackedFile() throws {
        let repo = try makeRepo()
        _ = try AutofixCLI.run(["snapshot"], in: repo.url)
        let id = try runID(repo)
        try addRunCommit(repo, id, ["settings.local": "the run's settings\n"])
        try repo.write("settings.local", "mine\n")

        let plain = try AutofixCLI.run(["apply", id], in: repo.url)
        XCTAssertEqual(plain.status, 2, plain.stderr)
        let forced = try AutofixCLI.run(["apply", "--force", id], in: repo.url)
        XCTAssertEqual(forced.status, 2, forced.stderr)
        XCTAssertTrue(forced.stderr.contains("settings.local"), forced.stderr)
        XCTAssertEqual(try repo.read("settings.local"), "mine\n")
    }

    func testSubcommandHelpIsClear() throws {
        let dir = try TemporaryDirectory()
        for command in ["snapshot", "list", "show", "apply", "drop"] {
            let help = try AutofixCLI.run([command, "--help"], in: dir.url)
            XCTAssertEqual(help.status, 0)
            XCTAssertTrue(help.stdout.contains("USAGE: git-autofix \(command)"), help.stdout)
        }
        let apply = try AutofixCLI.run(["apply", "--help"], in: dir.url)
        XCTAssertTrue(apply.stdout.contains("--force"), apply.stdout)
        XCTAssertTrue(apply.stdout.contains("cherry-pick"), apply.stdout)
    }
}
