import AutofixGit
import AutofixTestSupport
import XCTest

final class ScratchAndReviewTests: XCTestCase {
    override func setUp() {
        Hermetic.applyToCurrentProcess()
    }

    private func makeRepo() throws -> TestRepository {
        let repo = try TestRepository()
        try repo.write("README.md", "hello\n")
        try repo.write("Sources/app.swift", "let a = 1\nlet b = 2\nlet c = 3\n")
        try repo.write("tool.sh", "#!/bin/sh\n", executable: true)
        try repo.commitAll("initial")
        return repo
    }

    /// Simulates a run: a snapshot, then one accepted commit made from a scratch checkout.
    private func makeRun(_ repo: TestRepository, edit: (URL) throws -> [String]) throws -> (Snapshot, ObjectID) {
        let repository = try Repository.discover(from: repo.url)
        let snapshot = try Snapshotter(repository: repository).snapshot()
        let scratch = try ScratchCheckout.create(repository: repository, commit: snapshot.commit)
        defer { scratch.remove() }
        let touched = try edit(scratch.directory)
        let tree = try TreeBuilder(repository: repository).tree(from: snapshot.commit, replacing: touched, in: scratch.directory)
        let commit = try repository.createCommit(tree: tree, parents: [snapshot.commit],
                                                 message: Trailers.message(subject: "fix", trailers: [("Autofix-Round", "1")]))
        try repository.updateReference(snapshot.run.ref, to: commit, expected: snapshot.commit, message: "test")
        return (snapshot, commit)
    }

    func testScratchCheckoutHasTheSnapshotFilesAndNoGitDirectory() throws {
        let repo = try makeRepo()
        try repo.write("untracked.txt", "new\n")
        let before = try repo.fingerprint(excluding: [".git/objects", ".git/refs"])
        let repository = try Repository.discover(from: repo.url)
        let snapshot = try Snapshotter(repository: repository).snapshot()
        let scratch = try ScratchCheckout.create(repository: repository, commit: snapshot.commit)
        XCTAssertEqual(try String(contentsOf: scratch.directory.appendingPathComponent("untracked.txt"), encoding: .utf8), "new\n")
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: scratch.directory.appendingPathComponent("tool.sh").path))
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.directory.appendingPathComponent(".git").path))
        XCTAssertEqual(try repo.fingerprint(excluding: [".git/objects", ".git/refs"]), before)
        scratch.remove()
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.directory.path))
    }

    func testTreeBuilderRecordsEditsAdditionsDeletionsAndRestoreRollsBack() throws {
        let repo = try makeRepo()
        let repository = try Repository.discover(from: repo.url)
        let snapshot = try Snapshotter(repository: repository).snapshot()
        let scratch = try ScratchCheckout.create(repository: repository, commit: snapshot.commit)
        defer { scratch.remove() }
        let dir = scratch.directory
        try "let a = 10\nlet b = 2\nlet c = 3\n".write(to: dir.appendingPathComponent("Sources/app.swift"), atomically: true, encoding: .utf8)
        try "new file\n".write(to: dir.appendingPathComponent("NEW.md"), atomically: true, encoding: .utf8)
        try FileManager.default.removeItem(at: dir.appendingPathComponent("README.md"))
        try "build output\n".write(to: dir.appendingPathComponent("output.log"), atomically: true, encoding: .utf8)
        let touched = ["Sources/app.swift", "NEW.md", "README.md"]
        let tree = try TreeBuilder(repository: repository).tree(from: snapshot.commit, replacing: touched, in: dir)
        let listing = try repo.git("ls-tree", "-r", "--name-only", tree.hex)
        XCTAssertEqual(listing, "NEW.md\nSources/app.swift\ntool.sh\n", "untouched build output is never committed")
        XCTAssertEqual(try repo.git("cat-file", "blob", "\(tree.hex):Sources/app.swift"), "let a = 10\nlet b = 2\nlet c = 3\n")

        try scratch.restore(paths: touched, to: snapshot.commit, from: repository)
        XCTAssertEqual(try String(contentsOf: dir.appendingPathComponent("Sources/app.swift"), encoding: .utf8), "let a = 1\nlet b = 2\nlet c = 3\n")
        XCTAssertEqual(try String(contentsOf: dir.appendingPathComponent("README.md"), encoding: .utf8), "hello\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("NEW.md").path))
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent("output.log").path))
    }

    func testCatalogListsResolvesAndDrops() throws {
        let repo = try makeRepo()
        let (snapshot, commit) = try makeRun(repo) { dir in
            try "let a = 42\nlet b = 2\nlet c = 3\n".write(to: dir.appendingPathComponent("Sources/app.swift"), atomically: true, encoding: .utf8)
            return ["Sources/app.swift"]
        }
        let repository = try Repository.discover(from: repo.url)
        let catalog = RunCatalog(repository: repository)
        let runs = try catalog.runs()
        XCTAssertEqual(runs.count, 1)
        XCTAssertEqual(runs[0].commits.map(\.id), [commit])
        XCTAssertEqual(runs[0].snapshot.id, snapshot.commit)
        XCTAssertEqual(runs[0].base?.hex, try repo.revParse("HEAD"))

        XCTAssertEqual(try catalog.resolve(snapshot.run.ref), snapshot.run)
        XCTAssertEqual(try catalog.resolve(snapshot.run.id), snapshot.run)
        XCTAssertEqual(try catalog.resolve(String(snapshot.run.id.prefix(10))), snapshot.run)
        XCTAssertEqual(try catalog.resolve("main/" + snapshot.run.id), snapshot.run)
        XCTAssertThrowsError(try catalog.resolve("nope")) { error in
            XCTAssertEqual((error as? GitError)?.code, .notFound)
            XCTAssertNotNil((error as? GitError)?.hint)
        }

        let dropped = try catalog.drop(snapshot.run)
        XCTAssertEqual(dropped.tip, commit)
        XCTAssertEqual(try repo.git("for-each-ref", "refs/autofix"), "")
        XCTAssertEqual(try catalog.runs().count, 0)
    }

    func testAmbiguousPrefixListsTheCandidates() throws {
        let repo = try makeRepo()
        let repository = try Repository.discover(from: repo.url)
        _ = try Snapshotter(repository: repository).snapshot(runID: "20260101T000000Z-aaaa")
        _ = try Snapshotter(repository: repository).snapshot(runID: "20260101T000000Z-bbbb")
        XCTAssertThrowsError(try RunCatalog(repository: repository).resolve("2026")) { error in
            XCTAssertEqual((error as? GitError)?.code, .ambiguous)
            XCTAssertTrue((error as? GitError)?.message.contains("aaaa") ?? false)
        }
    }

    func testApplyIntoACleanTreeWritesOnlyTheWorkTree() throws {
        let repo = try makeRepo()
        let (snapshot, _) = try makeRun(repo) { dir in
            try "let a = 42\nlet b = 2\nlet c = 3\n".write(to: dir.appendingPathComponent("Sources/app.swift"), atomically: true, encoding: .utf8)
            return ["Sources/app.swift"]
        }
        let indexBefore = try Data(contentsOf: repo.file(".git/index"))
        let repository = try Repository.discover(from: repo.url)
        let run = try RunCatalog(repository: repository).summary(of: snapshot.run)
        let outcome = try WorktreeApplier(repository: repository).apply(run)
        XCTAssertEqual(outcome.changes.map(\.path), ["Sources/app.swift"])
        XCTAssertNil(outcome.backupRef)
        XCTAssertEqual(try repo.read("Sources/app.swift"), "let a = 42\nlet b = 2\nlet c = 3\n")
        XCTAssertEqual(try Data(contentsOf: repo.file(".git/index")), indexBefore, "apply never writes the index")
    }

    /// The tree a run came from is dirty by nature: staged, unstaged and untracked work, and more
    /// made after the run. Only the files the run changes have to be as the run found them.
    func testApplyIntoTheDirtyTreeTheRunCameFromNeedsNoForce() throws {
        let repo = try makeRepo()
        try repo.write("README.md", "hello, staged\n")
        try repo.git("add", "README.md")
        try repo.write("Sources/app.swift", "let a = 1\nlet b = 20\nlet c = 3\n")
        try repo.write("notes.txt", "untracked work\n")
        let (snapshot, _) = try makeRun(repo) { dir in
            try "let a = 42\nlet b = 20\nlet c = 3\n".write(to: dir.appendingPathComponent("Sources/app.swift"), atomically: true, encoding: .utf8)
            return ["Sources/app.swift"]
        }
        try repo.write("venv/bin/python", "#!/bin/sh\n", executable: true)
        try repo.write("README.md", "hello, staged, then edited\n")
        let indexBefore = try Data(contentsOf: repo.file(".git/index"))
        let repository = try Repository.discover(from: repo.url)
        let run = try RunCatalog(repository: repository).summary(of: snapshot.run)

        let outcome = try WorktreeApplier(repository: repository).apply(run)

        XCTAssertEqual(outcome.changes.map(\.path), ["Sources/app.swift"])
        XCTAssertNil(outcome.backupRef, "nothing of the user's was overwritten, so there is nothing to back up")
        XCTAssertEqual(try repo.read("Sources/app.swift"), "let a = 42\nlet b = 20\nlet c = 3\n")
        XCTAssertEqual(try repo.read("README.md"), "hello, staged, then edited\n")
        XCTAssertEqual(try repo.read("notes.txt"), "untracked work\n")
        XCTAssertEqual(try repo.read("venv/bin/python"), "#!/bin/sh\n")
        XCTAssertEqual(try Data(contentsOf: repo.file(".git/index")), indexBefore, "apply never writes the index")
        XCTAssertEqual(try repo.git("diff", "--cached", "--name-only"), "README.md\n", "the staged change is still staged")
    }

    func testApplyRefusesADirtyTreeUnlessForcedAndThenMergesLocalEdits() throws {
        let repo = try makeRepo()
        let (snapshot, _) = try makeRun(repo) { dir in
            try "let a = 42\nlet b = 2\nlet c = 3\n".write(to: dir.appendingPathComponent("Sources/app.swift"), atomically: true, encoding: .utf8)
            return ["Sources/app.swift"]
        }
        try repo.write("Sources/app.swift", "let a = 1\nlet b = 2\nlet c = 300\n")
        let repository = try Repository.discover(from: repo.url)
        let run = try RunCatalog(repository: repository).summary(of: snapshot.run)
        XCTAssertThrowsError(try WorktreeApplier(repository: repository).apply(run)) { error in
            XCTAssertEqual((error as? GitError)?.code, .dirtyWorkingTree)
            XCTAssertEqual((error as? GitError)?.message, "files the run changes were edited since its snapshot: Sources/app.swift")
        }
        XCTAssertEqual(try repo.read("Sources/app.swift"), "let a = 1\nlet b = 2\nlet c = 300\n")

        let outcome = try WorktreeApplier(repository: repository).apply(run, force: true)
        XCTAssertEqual(try repo.read("Sources/app.swift"), "let a = 42\nlet b = 2\nlet c = 300\n", "both edits survive")
        let backup = try XCTUnwrap(outcome.backupRef)
        XCTAssertEqual(try repo.git("show", "\(backup):Sources/app.swift"), "let a = 1\nlet b = 2\nlet c = 300\n")
    }

    func testApplyRefusesConflictsAndWritesNothing() throws {
        let repo = try makeRepo()
        let (snapshot, _) = try makeRun(repo) { dir in
            try "let a = 42\nlet b = 2\nlet c = 3\n".write(to: dir.appendingPathComponent("Sources/app.swift"), atomically: true, encoding: .utf8)
            return ["Sources/app.swift"]
        }
        try repo.write("Sources/app.swift", "let a = 7\nlet b = 2\nlet c = 3\n")
        let before = try repo.fingerprint(excluding: [".git/objects", ".git/refs"])
        let repository = try Repository.discover(from: repo.url)
        let run = try RunCatalog(repository: repository).summary(of: snapshot.run)
        XCTAssertThrowsError(try WorktreeApplier(repository: repository).apply(run, force: true)) { error in
            XCTAssertEqual((error as? GitError)?.code, .conflict)
            XCTAssertTrue((error as? GitError)?.message.contains("Sources/app.swift") ?? false)
        }
        XCTAssertEqual(try repo.fingerprint(excluding: [".git/objects", ".git/refs"]), before)
    }
}
