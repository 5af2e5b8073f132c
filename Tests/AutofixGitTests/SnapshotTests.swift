import AutofixGit
import AutofixTestSupport
import XCTest

final class SnapshotTests: XCTestCase {
    override func setUp() {
        Hermetic.applyToCurrentProcess()
    }

    // MARK: helpers

    private func makeRepo() throws -> TestRepository {
        let repo = try TestRepository()
        try repo.write("README.md", "hello\n")
        try repo.write("Sources/app.swift", "print(1)\n")
        try repo.write(".gitignore", ".env\nbuild/\n")
        try repo.commitAll("initial")
        return repo
    }

    /// The tree the git CLI records for the same working tree, without touching the real index.
    private func gitCLITree(_ repo: TestRepository) throws -> String {
        let temp = try TemporaryDirectory()
        let copy = temp.file("index").path
        let gitDir = try repo.git("rev-parse", "--git-dir").trimmingCharacters(in: .whitespacesAndNewlines)
        let indexPath = gitDir.hasPrefix("/") ? gitDir + "/index" : repo.path + "/" + gitDir + "/index"
        if FileManager.default.fileExists(atPath: indexPath) {
            // `cp -p` keeps the index's mtime, which git needs to spot racily clean entries.
            try Shell.check(["cp", "-p", indexPath, copy])
        }
        var env = Hermetic.environment
        env["GIT_INDEX_FILE"] = copy
        try Shell.check(["git", "add", "-A"], in: repo.url, environment: env)
        return try Shell.check(["git", "write-tree"], in: repo.url, environment: env)
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Snapshots `repo` and checks the invariants every snapshot must keep: nothing on disk
    /// changed (by checksum), the tree equals git's own, the ref exists, fsck is clean.
    @discardableResult
    private func snapshotChecked(_ repo: TestRepository, at directory: URL? = nil,
                                 file: StaticString = #filePath, line: UInt = #line) throws -> Snapshot {
        let before = try repo.fingerprint()
        let expectedTree = try gitCLITree(repo)
        let repository = try Repository.discover(from: directory ?? repo.url)
        let snapshot = try Snapshotter(repository: repository).snapshot()
        let after = try repo.fingerprint(excluding: [".git/refs/autofix", ".git/objects", ".git/packed-refs", ".git/logs"])
        let beforeFiltered = before.filter { key, _ in
            !key.hasPrefix(".git/refs/autofix") && !key.hasPrefix(".git/objects") && !key.hasPrefix(".git/logs")
                && !key.hasPrefix(".git/packed-refs")
        }
        XCTAssertEqual(beforeFiltered, after, "the snapshot changed files on disk", file: file, line: line)
        XCTAssertEqual(try repository.commit(snapshot.commit).tree.hex, expectedTree,
                       "snapshot tree differs from `git add -A && git write-tree`", file: file, line: line)
        XCTAssertEqual(try repo.revParse(snapshot.run.ref), snapshot.commit.hex, file: file, line: line)
        let fsck = try Shell.run(["git", "fsck", "--strict", "--no-dangling"], in: repo.url)
        XCTAssertEqual(fsck.status, 0, fsck.stderr + fsck.stdout, file: file, line: line)
        return snapshot
    }

    private func treeListing(_ repo: TestRepository, _ revision: String) throws -> String {
        try repo.git("ls-tree", "-r", "--full-tree", revision)
    }

    // MARK: tests

    func testCleanTreeSnapshotsHeadTreeWithHeadAsOnlyParent() throws {
        let repo = try makeRepo()
        let snapshot = try snapshotChecked(repo)
        let head = try repo.revParse("HEAD")
        XCTAssertEqual(snapshot.base?.hex, head)
        XCTAssertNil(snapshot.stagedCommit)
        XCTAssertEqual(try repo.revParse("\(snapshot.commit.hex)^{tree}"), try repo.revParse("HEAD^{tree}"))
        XCTAssertEqual(try repo.git("rev-list", "--parents", "-n1", snapshot.commit.hex)
            .trimmingCharacters(in: .whitespacesAndNewlines), "\(snapshot.commit.hex) \(head)")
        XCTAssertTrue(snapshot.run.ref.hasPrefix("refs/autofix/main/"))
    }

    func testStagedAndUnstagedEditsOfOneFileAreBothRecorded() throws {
        let repo = try makeRepo()
        try repo.write("README.md", "hello\nstaged\n")
        try repo.git("add", "README.md")
        try repo.write("README.md", "hello\nstaged\nunstaged\n")
        let snapshot = try snapshotChecked(repo)
        XCTAssertEqual(try repo.git("show", "\(snapshot.commit.hex):README.md"), "hello\nstaged\nunstaged\n")
        let staged = try XCTUnwrap(snapshot.stagedCommit)
        XCTAssertEqual(try repo.git("show", "\(staged.hex):README.md"), "hello\nstaged\n")
        XCTAssertEqual(try repo.revParse("\(snapshot.commit.hex)^2"), staged.hex)
        // The index itself still holds only the staged version.
        XCTAssertEqual(try repo.git("show", ":README.md"), "hello\nstaged\n")
    }

    func testDeletionsRenamesUntrackedAndIgnoredFiles() throws {
        let repo = try makeRepo()
        try repo.remove("README.md")
        try repo.git("mv", "Sources/app.swift", "Sources/main.swift")
        try repo.write("notes/todo.txt", "todo\n")
        try repo.write(".env", "SECRET=1\n")
        try repo.write("build/out.o", "binary\n")
        let snapshot = try snapshotChecked(repo)
        let listing = try treeListing(repo, snapshot.commit.hex)
        XCTAssertFalse(listing.contains("README.md"))
        XCTAssertTrue(listing.contains("Sources/main.swift"))
        XCTAssertFalse(listing.contains("Sources/app.swift"))
        XCTAssertTrue(listing.contains("notes/todo.txt"))
        XCTAssertFalse(listing.contains(".env"), "ignored files must never enter a snapshot")
        XCTAssertFalse(listing.contains("build/"))
        XCTAssertEqual(snapshot.capture.deleted, ["README.md"])
    }

    func testExecutableBitSymlinkBinaryAndCRLFBytesAreKept() throws {
        let repo = try makeRepo()
        try repo.write("run.sh", "#!/bin/sh\necho hi\n", executable: true)
        try FileManager.default.createSymbolicLink(atPath: repo.file("link").path, withDestinationPath: "README.md")
        try repo.writeData("blob.bin", Data([0, 1, 2, 255, 254, 0, 10, 13]))
        try repo.writeData("dos.txt", Data("one\r\ntwo\r\n".utf8))
        let snapshot = try snapshotChecked(repo)
        let listing = try treeListing(repo, snapshot.commit.hex)
        XCTAssertTrue(listing.contains("100755 blob"), listing)
        XCTAssertTrue(listing.contains("120000 blob"), listing)
        XCTAssertEqual(try repo.git("cat-file", "blob", "\(snapshot.commit.hex):link"), "README.md")
        let crlf = try Shell.check(["sh", "-c", "git cat-file blob \(snapshot.commit.hex):dos.txt | od -c | head -1"], in: repo.url)
        XCTAssertTrue(crlf.contains("\\r"), "without text attributes CRLF bytes are kept exactly: \(crlf)")
    }

    func testAutocrlfAndTextAutoNormaliseLikeGit() throws {
        let repo = try makeRepo()
        try repo.git("config", "core.autocrlf", "true")
        try repo.write(".gitattributes", "*.txt text=auto\n")
        try repo.writeData("dos.txt", Data("one\r\ntwo\r\n".utf8))
        let snapshot = try snapshotChecked(repo)
        // Same as git: with text=auto the blob is stored with LF endings.
        XCTAssertEqual(try repo.git("cat-file", "blob", "\(snapshot.commit.hex):dos.txt"), "one\ntwo\n")
    }

    func testExternalFilterFilesAreRefusedWithAReason() throws {
        let repo = try makeRepo()
        try repo.git("config", "filter.lfs.clean", "git-lfs clean -- %f")
        try repo.write(".gitattributes", "*.bin filter=lfs\n")
        try repo.commitAll("attributes")
        try repo.write("big.bin", "large content\n")
        let before = try repo.fingerprint()
        let repository = try Repository.discover(from: repo.url)
        XCTAssertThrowsError(try Snapshotter(repository: repository).snapshot()) { error in
            let gitError = error as? GitError
            XCTAssertEqual(gitError?.code, .unsupportedFilter)
            XCTAssertTrue(gitError?.message.contains("big.bin") ?? false)
        }
        XCTAssertEqual(try repo.fingerprint(), before)
        XCTAssertEqual(try repo.git("for-each-ref", "refs/autofix"), "")
    }

    func testUnbornHeadSnapshotHasNoParent() throws {
        let repo = try TestRepository()
        try repo.write("a.txt", "a\n")
        let snapshot = try snapshotChecked(repo)
        XCTAssertNil(snapshot.base)
        XCTAssertEqual(try repo.git("rev-list", "--parents", "-n1", snapshot.commit.hex)
            .trimmingCharacters(in: .whitespacesAndNewlines), snapshot.commit.hex)
        XCTAssertTrue(snapshot.run.ref.hasPrefix("refs/autofix/main/"))
    }

    func testDetachedHeadUsesDetachedInTheRef() throws {
        let repo = try makeRepo()
        try repo.git("checkout", "-q", "--detach")
        try repo.write("README.md", "changed\n")
        let snapshot = try snapshotChecked(repo)
        XCTAssertTrue(snapshot.run.ref.hasPrefix("refs/autofix/detached/"), snapshot.run.ref)
        XCTAssertNil(snapshot.head.branch)
    }

    func testLinkedWorktreeSnapshotsItsOwnFiles() throws {
        let repo = try makeRepo()
        let outside = try TemporaryDirectory()
        let worktree = outside.file("wt")
        try repo.git("worktree", "add", "-q", "-b", "feature", worktree.path)
        try "edited in worktree\n".write(to: worktree.appendingPathComponent("README.md"), atomically: true, encoding: .utf8)
        let repository = try Repository.discover(from: worktree)
        let before = try TreeFingerprint.of(worktree)
        let snapshot = try Snapshotter(repository: repository).snapshot()
        XCTAssertEqual(try TreeFingerprint.of(worktree), before)
        XCTAssertTrue(snapshot.run.ref.hasPrefix("refs/autofix/feature/"))
        XCTAssertEqual(try repo.git("show", "\(snapshot.commit.hex):README.md"), "edited in worktree\n")
        XCTAssertEqual(try repo.read("README.md"), "hello\n")
    }

    func testSubmoduleCommitIsRecordedAndDirtinessReported() throws {
        let inner = try makeRepo()
        let repo = try makeRepo()
        try repo.git("-c", "protocol.file.allow=always", "submodule", "add", "-q", inner.path, "vendor/inner")
        try repo.commitAll("add submodule")
        try repo.write("vendor/inner/README.md", "dirty inside\n")
        let snapshot = try snapshotChecked(repo)
        let listing = try treeListing(repo, snapshot.commit.hex)
        XCTAssertTrue(listing.contains("160000 commit \(try inner.revParse("HEAD"))\tvendor/inner"), listing)
        XCTAssertTrue(snapshot.capture.warnings.contains { $0.contains("vendor/inner") }, "\(snapshot.capture.warnings)")
    }

    func testMidMergeIsRefused() throws {
        let repo = try makeRepo()
        try repo.git("checkout", "-q", "-b", "other")
        try repo.write("README.md", "other\n")
        try repo.commitAll("other")
        try repo.git("checkout", "-q", "main")
        try repo.write("README.md", "main\n")
        try repo.commitAll("main")
        _ = try Shell.run(["git", "merge", "other"], in: repo.url)
        let before = try repo.fingerprint()
        let repository = try Repository.discover(from: repo.url)
        XCTAssertThrowsError(try Snapshotter(repository: repository).snapshot()) { error in
            XCTAssertEqual((error as? GitError)?.code, .repositoryBusy)
            XCTAssertTrue((error as? GitError)?.message.contains("merge") ?? false)
            XCTAssertNotNil((error as? GitError)?.hint)
        }
        XCTAssertEqual(try repo.fingerprint(), before)
    }

    func testBareRepositoryIsRefused() throws {
        let repo = try TestRepository(bare: true)
        let repository = try Repository.discover(from: repo.url)
        XCTAssertThrowsError(try Snapshotter(repository: repository).snapshot()) { error in
            XCTAssertEqual((error as? GitError)?.code, .bareRepository)
        }
    }

    func testHeldIndexLockIsLeftAloneAndSnapshotStillWorks() throws {
        let repo = try makeRepo()
        try repo.write("README.md", "edited\n")
        let lock = repo.file(".git/index.lock")
        try Data("held by someone else".utf8).write(to: lock)
        let snapshot = try snapshotChecked(repo)
        XCTAssertEqual(try String(contentsOf: lock, encoding: .utf8), "held by someone else")
        XCTAssertEqual(try repo.git("show", "\(snapshot.commit.hex):README.md"), "edited\n")
    }

    func testRacilyCleanEditIsStillSeen() throws {
        let repo = try makeRepo()
        // Same size, same second as the index write: only re-hashing can tell.
        try repo.git("update-index", "--refresh")
        try repo.write("README.md", "HELLO\n")
        let snapshot = try snapshotChecked(repo)
        XCTAssertEqual(try repo.git("show", "\(snapshot.commit.hex):README.md"), "HELLO\n")
    }

    func testTwoSnapshotsGetDistinctSortableRefs() throws {
        let repo = try makeRepo()
        let repository = try Repository.discover(from: repo.url)
        let first = try Snapshotter(repository: repository).snapshot(runID: "20260101T000000Z-aaaa")
        let second = try Snapshotter(repository: repository).snapshot(runID: "20260101T000001Z-bbbb")
        XCTAssertLessThan(first.run, second.run)
        XCTAssertThrowsError(try Snapshotter(repository: repository).snapshot(runID: "20260101T000000Z-aaaa")) { error in
            XCTAssertEqual((error as? GitError)?.code, .exists, "an existing run ref is never overwritten")
        }
        XCTAssertEqual(try repo.revParse(first.run.ref), first.commit.hex)
    }

    // MARK: the stat-trusting scan: every case where stat data alone could mislead

    func testEditKeepingSizeAndModificationTimeIsStillSeen() throws {
        let repo = try makeRepo()
        let scratch = try TemporaryDirectory()
        let stamp = scratch.file("stamp").path
        try Shell.check(["touch", "-r", repo.file("README.md").path, stamp])
        try repo.write("README.md", "HELLO\n")
        // Same size, mtime put back to the nanosecond: only the inode change time shows the edit.
        try Shell.check(["touch", "-r", stamp, repo.file("README.md").path])
        let snapshot = try snapshotChecked(repo)
        XCTAssertEqual(try repo.git("show", "\(snapshot.commit.hex):README.md"), "HELLO\n")
        XCTAssertEqual(snapshot.capture.modified, ["README.md"])
    }

    func testExecutableBitAndRetargetedSymlinkOfTheSameLengthAreSeen() throws {
        let repo = try makeRepo()
        try FileManager.default.createSymbolicLink(atPath: repo.file("link").path, withDestinationPath: "aaaa")
        try repo.commitAll("link")
        try repo.git("update-index", "--refresh")
        try repo.remove("link")
        try FileManager.default.createSymbolicLink(atPath: repo.file("link").path, withDestinationPath: "bbbb")
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: repo.file("Sources/app.swift").path)
        let snapshot = try snapshotChecked(repo)
        XCTAssertEqual(try repo.git("cat-file", "blob", "\(snapshot.commit.hex):link"), "bbbb")
        XCTAssertTrue(try treeListing(repo, snapshot.commit.hex).contains("100755 blob"))
        XCTAssertEqual(snapshot.capture.modified.sorted(), ["Sources/app.swift", "link"])
    }

    func testDirectoryReplacedByAFileOrByASymlinkToAnotherDirectory() throws {
        let repo = try makeRepo()
        for name in ["a", "b", "c"] { try repo.write("gone/\(name).txt", "\(name)\n") }
        for name in ["a", "b"] { try repo.write("linked/\(name).txt", "\(name)\n") }
        for name in ["a", "b"] { try repo.write("elsewhere/\(name).txt", "other \(name)\n") }
        try repo.commitAll("directories")
        try FileManager.default.removeItem(at: repo.file("gone"))
        try repo.write("gone", "now a file\n")
        try FileManager.default.removeItem(at: repo.file("linked"))
        try FileManager.default.createSymbolicLink(atPath: repo.file("linked").path, withDestinationPath: "elsewhere")
        let snapshot = try snapshotChecked(repo)
        XCTAssertEqual(try repo.git("show", "\(snapshot.commit.hex):gone"), "now a file\n")
        XCTAssertEqual(Set(snapshot.capture.deleted), ["gone/a.txt", "gone/b.txt", "gone/c.txt", "linked/a.txt", "linked/b.txt"])
    }

    func testFileReplacedByADirectoryOfNewFiles() throws {
        let repo = try makeRepo()
        try repo.remove("README.md")
        try repo.write("README.md/part1.md", "one\n")
        try repo.write("README.md/part2.md", "two\n")
        let snapshot = try snapshotChecked(repo)
        XCTAssertEqual(try repo.git("show", "\(snapshot.commit.hex):README.md/part2.md"), "two\n")
    }

    func testUntrackedNestedRepositoryIsRecordedLikeGitDoes() throws {
        let repo = try makeRepo()
        let nested = repo.file("tools/nested")
        try FileManager.default.createDirectory(at: nested, withIntermediateDirectories: true)
        try Shell.check(["git", "init", "-q"], in: nested)
        try "inner\n".write(to: nested.appendingPathComponent("inner.txt"), atomically: true, encoding: .utf8)
        try Shell.check(["git", "add", "-A"], in: nested)
        try Shell.check(["git", "commit", "-q", "-m", "inner"], in: nested)
        try repo.write("tools/script.sh", "echo\n")
        let snapshot = try snapshotChecked(repo)
        let listing = try treeListing(repo, snapshot.commit.hex)
        XCTAssertTrue(listing.contains("tools/script.sh"), listing)
        XCTAssertFalse(listing.contains("inner.txt"), "the nested repository's files are its own: \(listing)")
    }

    func testIgnoreRulesInsideTrackedAndUntrackedDirectories() throws {
        let repo = try makeRepo()
        try repo.write("vendor/kept.txt", "tracked although ignored later\n")
        try repo.commitAll("vendor")
        try repo.write(".gitignore", ".env\nbuild/\nvendor/\n*.log\n!keep.log\n")
        try repo.write("vendor/kept.txt", "edited\n")
        try repo.write("vendor/new.txt", "ignored: its directory is ignored\n")
        try repo.write("Sources/debug.log", "ignored by pattern\n")
        try repo.write("Sources/keep.log", "re-included by a negation\n")
        try repo.write("fresh/deeper/file.txt", "untracked, in a new directory\n")
        try repo.write("fresh/deeper/build/out.o", "ignored, deep in an untracked directory\n")
        try repo.write("fresh/trace.log", "ignored in an untracked directory\n")
        let snapshot = try snapshotChecked(repo)
        let listing = try treeListing(repo, snapshot.commit.hex)
        XCTAssertTrue(listing.contains("vendor/kept.txt"))
        XCTAssertEqual(try repo.git("show", "\(snapshot.commit.hex):vendor/kept.txt"), "edited\n")
        XCTAssertFalse(listing.contains("vendor/new.txt"))
        XCTAssertFalse(listing.contains("debug.log"))
        XCTAssertTrue(listing.contains("Sources/keep.log"))
        XCTAssertTrue(listing.contains("fresh/deeper/file.txt"))
        XCTAssertFalse(listing.contains("out.o"))
        XCTAssertFalse(listing.contains("trace.log"))
    }

    func testManyFilesWithScatteredChangesMatchGit() throws {
        // Enough entries for the stat pass to split the index across threads.
        let repo = try makeRepo()
        for directory in 0..<30 {
            for file in 0..<100 {
                try repo.write("tree/d\(directory)/f\(file).txt", "file \(directory) \(file)\n")
            }
        }
        try repo.commitAll("many files")
        try repo.git("update-index", "--refresh")
        for directory in stride(from: 0, to: 30, by: 7) {
            try repo.write("tree/d\(directory)/f\(directory).txt", "edited \(directory)\n")
            try repo.remove("tree/d\(directory)/f99.txt")
            try repo.write("tree/d\(directory)/new.txt", "new \(directory)\n")
        }
        let snapshot = try snapshotChecked(repo)
        XCTAssertEqual(snapshot.capture.modified.count, 5)
        XCTAssertEqual(snapshot.capture.deleted.count, 5)
        XCTAssertEqual(snapshot.capture.added.count, 5)
    }

    /// Loose objects and pack files under .git/objects.
    private func objectFiles(_ repo: TestRepository) throws -> (loose: Set<String>, packs: Set<String>) {
        let objects = repo.file(".git/objects")
        var loose = Set<String>()
        for fanout in try FileManager.default.contentsOfDirectory(atPath: objects.path) where fanout.count == 2 {
            for name in try FileManager.default.contentsOfDirectory(atPath: objects.appendingPathComponent(fanout).path) {
                loose.insert(fanout + name)
            }
        }
        let packs = Set(try FileManager.default.contentsOfDirectory(atPath: objects.appendingPathComponent("pack").path))
        return (loose, packs)
    }

    /// Snapshots first and checks against git afterwards, so that git's `add -A` has not stored
    /// the objects already when the object files are counted. Returns the files the snapshot
    /// added.
    private func snapshotCountingObjectFiles(_ repo: TestRepository,
                                             file: StaticString = #filePath, line: UInt = #line)
    throws -> (snapshot: Snapshot, loose: Set<String>, packs: Set<String>) {
        let before = try objectFiles(repo)
        let snapshot = try Snapshotter(repository: try Repository.discover(from: repo.url)).snapshot()
        let after = try objectFiles(repo)
        let fsck = try Shell.run(["git", "fsck", "--strict", "--no-dangling"], in: repo.url)
        XCTAssertEqual(fsck.status, 0, fsck.stderr + fsck.stdout, file: file, line: line)
        XCTAssertEqual(try repo.revParse("\(snapshot.commit.hex)^{tree}"), try gitCLITree(repo), file: file, line: line)
        return (snapshot, after.loose.subtracting(before.loose), after.packs.subtracting(before.packs))
    }

    private func makeRepoWithManyEdits(edits: Int) throws -> TestRepository {
        let repo = try makeRepo()
        for file in 0..<150 { try repo.write("many/f\(file).txt", "file \(file)\n") }
        try repo.commitAll("many files")
        try repo.git("repack", "-adq")
        for file in 0..<edits { try repo.write("many/f\(file).txt", "edited \(file)\n") }
        return repo
    }

    func testManyChangesAreStoredAsOnePackNotAsLooseObjects() throws {
        let repo = try makeRepoWithManyEdits(edits: 120)
        try repo.write("notes/new.txt", "untracked\n")
        let (snapshot, newLoose, newPacks) = try snapshotCountingObjectFiles(repo)
        XCTAssertEqual(newLoose, [], "a large snapshot should write no loose object")
        XCTAssertEqual(newPacks.count, 2, "one .pack and its .idx: \(newPacks.sorted())")
        let index = try XCTUnwrap(newPacks.first { $0.hasSuffix(".idx") })
        let verify = try repo.git("verify-pack", "-v", ".git/objects/pack/\(index)")
        // 120 blobs + 1 untracked, the trees of many/, notes/ and the root, and the commit.
        XCTAssertTrue(verify.contains("non delta: 125 objects"), verify)
        XCTAssertEqual(snapshot.capture.modified.count, 120)
        XCTAssertEqual(try repo.git("cat-file", "blob", "\(snapshot.run.ref):many/f7.txt"), "edited 7\n")
    }

    func testFewChangesStayLooseObjects() throws {
        let repo = try makeRepoWithManyEdits(edits: 3)
        let (_, newLoose, newPacks) = try snapshotCountingObjectFiles(repo)
        XCTAssertEqual(newPacks, [], "a small snapshot should not add a pack")
        // Three blobs, the trees of many/ and the root, the commit.
        XCTAssertEqual(newLoose.count, 6)
    }

    func testLargeFileIsStreamedToALooseObjectBesideThePack() throws {
        let repo = try makeRepoWithManyEdits(edits: 120)
        let large = Data(repeating: UInt8(ascii: "x"), count: 33 << 20)
        try repo.writeData("assets/large.bin", large)
        let (snapshot, newLoose, newPacks) = try snapshotCountingObjectFiles(repo)
        let blob = try repo.git("rev-parse", "\(snapshot.run.ref):assets/large.bin").trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertEqual(newLoose, [blob], "only the large blob is loose")
        XCTAssertEqual(newPacks.count, 2)
        XCTAssertEqual(try repo.git("cat-file", "-s", blob).trimmingCharacters(in: .whitespacesAndNewlines), "\(large.count)")
    }

    func testRefusedLargeSnapshotLeavesNoObjectBehind() throws {
        let repo = try makeRepoWithManyEdits(edits: 120)
        try repo.git("config", "filter.lfs.clean", "git-lfs clean -- %f")
        try repo.write(".gitattributes", "*.bin filter=lfs\n")
        try repo.write("zz/big.bin", "large content\n")
        let before = try repo.fingerprint()
        let repository = try Repository.discover(from: repo.url)
        XCTAssertThrowsError(try Snapshotter(repository: repository).snapshot()) { error in
            XCTAssertEqual((error as? GitError)?.code, .unsupportedFilter)
        }
        XCTAssertEqual(try repo.fingerprint(), before, "the blobs hashed before the refusal must not reach .git/objects")
    }

    func testCleanTreeWithUntrackedIgnoredFilesOnlyRecordsNothing() throws {
        let repo = try makeRepo()
        try repo.git("update-index", "--refresh")
        try repo.write("build/a/b/c.o", "ignored\n")
        try repo.write(".env", "SECRET=1\n")
        let snapshot = try snapshotChecked(repo)
        XCTAssertTrue(snapshot.capture.isClean, "\(snapshot.capture)")
        XCTAssertEqual(try repo.revParse("\(snapshot.commit.hex)^{tree}"), try repo.revParse("HEAD^{tree}"))
    }

    func testTreeOrderOfNamesThatSortAroundADirectory() throws {
        // Trees sort a directory `a` as "a/": after "a-b" and "a.txt", before "a0".
        let repo = try makeRepo()
        for path in ["a.txt", "a-b", "a0", "a/b", "a/b.c", "a/b/c", "ab/c"] where path != "a/b" {
            try repo.write(path, "\(path)\n")
        }
        try repo.commitAll("names")
        try repo.write("a/b/d", "new\n")
        try repo.write("a/b.c", "edited\n")
        try repo.write("a-b", "edited\n")
        try snapshotChecked(repo)
    }

    func testIntentToAddEntryIsRecordedWithItsContents() throws {
        let repo = try makeRepo()
        try repo.write("planned.txt", "planned\n")
        try repo.git("add", "-N", "planned.txt")
        let snapshot = try snapshotChecked(repo)
        XCTAssertEqual(try repo.git("show", "\(snapshot.commit.hex):planned.txt"), "planned\n")
    }
}
