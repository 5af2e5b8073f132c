import AutofixGit
import AutofixTestSupport
import Foundation
import XCTest

/// Snapshots that must keep what the user has: files outside a sparse checkout's cone, and
/// large files, stored exactly and in bounded memory, with a word to the user.
final class SnapshotUserFilesTests: XCTestCase {
    override func setUp() {
        Hermetic.applyToCurrentProcess()
    }

    private func fsckIsClean(_ repo: TestRepository, file: StaticString = #filePath, line: UInt = #line) throws {
        let fsck = try Shell.run(["git", "fsck", "--strict", "--no-dangling"], in: repo.url)
        XCTAssertEqual(fsck.status, 0, fsck.stderr + fsck.stdout, file: file, line: line)
    }

    private func blob(_ repo: TestRepository, _ revision: String) throws -> String {
        try repo.git("rev-parse", revision).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private func sparseRepo() throws -> TestRepository {
        let repo = try TestRepository()
        try repo.write("in/a.txt", "a\n")
        try repo.write("out/b.txt", "b\n")
        try repo.write("out/deep/c.txt", "c\n")
        try repo.write("top.txt", "top\n")
        try repo.commitAll("initial")
        try repo.git("sparse-checkout", "set", "--no-sparse-index", "in")
        XCTAssertFalse(FileManager.default.fileExists(atPath: repo.file("out").path), "out/ is outside the cone")
        XCTAssertTrue(try repo.git("ls-files", "-t").contains("S out/b.txt"))
        return repo
    }

    /// Both ways a snapshot compares the work tree: the fast scan, and the full diff it falls
    /// back to (core.ignorecase makes it fall back).
    func testSparseCheckoutKeepsTheFilesOutsideTheCone() throws {
        for fullDiff in [false, true] {
            let repo = try sparseRepo()
            if fullDiff { try repo.git("config", "core.ignorecase", "true") }
            try repo.write("in/a.txt", "changed\n")
            try repo.write("in/new.txt", "new\n")
            let snapshot = try Snapshotter(repository: try Repository.discover(from: repo.url)).snapshot()
            let ref = snapshot.run.ref
            XCTAssertEqual(snapshot.capture.deleted, [], "full diff: \(fullDiff)")
            XCTAssertEqual(snapshot.capture.modified, ["in/a.txt"])
            XCTAssertEqual(snapshot.capture.added, ["in/new.txt"])
            XCTAssertEqual(try blob(repo, "\(ref):out/b.txt"), try blob(repo, "HEAD:out/b.txt"))
            XCTAssertEqual(try blob(repo, "\(ref):out/deep/c.txt"), try blob(repo, "HEAD:out/deep/c.txt"))
            XCTAssertEqual(try repo.git("cat-file", "blob", "\(ref):in/a.txt"), "changed\n")
            // What the snapshot changed is exactly what the user changed.
            XCTAssertEqual(try repo.git("diff", "--name-status", "HEAD", ref), "M\tin/a.txt\nA\tin/new.txt\n")
            XCTAssertFalse(FileManager.default.fileExists(atPath: repo.file("out").path), "the work tree is untouched")
            try fsckIsClean(repo)
        }
    }

    func testSparseIndexGetsAnAnswerThatSaysWhatToDo() throws {
        let repo = try sparseRepo()
        try repo.git("sparse-checkout", "set", "--sparse-index", "in")
        XCTAssertThrowsError(try Snapshotter(repository: try Repository.discover(from: repo.url)).snapshot()) { error in
            guard let error = error as? GitError else { return XCTFail("\(error)") }
            XCTAssertTrue(error.message.contains("sparse index"), error.message)
            XCTAssertTrue(error.hint?.contains("git sparse-checkout init --no-sparse-index") == true, error.hint ?? "")
        }
        // The hint works.
        try repo.git("sparse-checkout", "init", "--no-sparse-index")
        XCTAssertEqual(try Snapshotter(repository: try Repository.discover(from: repo.url)).snapshot().capture.deleted, [])
    }

    /// Bytes 0...255 over and over: NUL and CR bytes, so binary for text=auto.
    private func binaryData(_ count: Int) -> Data {
        let pattern = Data((0..<(1 << 16)).map { UInt8(truncatingIfNeeded: $0) })
        var data = Data(capacity: count)
        while data.count < count { data.append(pattern.prefix(count - data.count)) }
        return data
    }

    /// The peak resident memory while `body` runs, in bytes; nil where the kernel cannot reset
    /// the peak (/proc/self/clear_refs).
    private func peakMemoryGrowth(_ body: () throws -> Void) rethrows -> Int? {
        func status(_ field: String) -> Int? {
            guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
                  let line = text.split(separator: "\n").first(where: { $0.hasPrefix(field + ":") }),
                  let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "") else { return nil }
            return kilobytes * 1024
        }
        let reset = (try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)) != nil
        let start = status("VmRSS")
        try body()
        guard reset, let start, let peak = status("VmHWM") else { return nil }
        return peak - start
    }

    func testLargeFilesAreStoredExactlyInBoundedMemoryAndReported() throws {
        let repo = try TestRepository()
        try repo.write(".gitattributes", "* text=auto\n")
        try repo.write("README.md", "hello\n")
        try repo.commitAll("initial")
        let size = 60 << 20
        try repo.writeData("data/big.bin", binaryData(size))
        try repo.writeData("data/small.bin", binaryData(1 << 20))
        try repo.write("data/notes.txt", "one\r\ntwo\r\n")
        // Large text without a carriage return: stored as it is, also streamed.
        try repo.write("data/log.txt", String(repeating: "a line of text\n", count: (40 << 20) / 15))

        var snapshot: Snapshot?
        let growth = try peakMemoryGrowth {
            snapshot = try Snapshotter(repository: try Repository.discover(from: repo.url)).snapshot()
        }
        let ref = try XCTUnwrap(snapshot).run.ref
        if let growth {
            XCTAssertLessThan(growth, 40 << 20, "storing a 60 MiB file took \(growth >> 20) MiB more memory")
        }
        XCTAssertEqual(snapshot?.largeFiles, [LargeFile(path: "data/big.bin", bytes: Int64(size))])
        let warning = try XCTUnwrap(snapshot?.largeFiles.first?.warning)
        XCTAssertTrue(warning.contains("data/big.bin") && warning.contains("60.0 MiB"), warning)

        // Stored exactly as git stores them (text=auto leaves binary files alone and turns
        // CRLF into LF in text files).
        for path in ["data/big.bin", "data/small.bin", "data/notes.txt", "data/log.txt"] {
            let expected = try Shell.check(["git", "hash-object", path], in: repo.url).trimmingCharacters(in: .whitespacesAndNewlines)
            XCTAssertEqual(try blob(repo, "\(ref):\(path)"), expected, path)
        }
        XCTAssertEqual(try repo.git("cat-file", "blob", "\(ref):data/notes.txt"), "one\ntwo\n")
        XCTAssertEqual(try repo.git("cat-file", "-s", "\(ref):data/big.bin").trimmingCharacters(in: .whitespacesAndNewlines), "\(size)")
        try fsckIsClean(repo)
    }

    func testLargeTextFileThatNeedsConvertingIsStillConverted() throws {
        let repo = try TestRepository()
        try repo.write(".gitattributes", "*.txt text\n")
        try repo.write("README.md", "hello\n")
        try repo.commitAll("initial")
        try repo.write("big.txt", String(repeating: "a line with CRLF\r\n", count: (34 << 20) / 18))
        let snapshot = try Snapshotter(repository: try Repository.discover(from: repo.url)).snapshot()
        let expected = try Shell.check(["git", "hash-object", "big.txt"], in: repo.url).trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertEqual(try blob(repo, "\(snapshot.run.ref):big.txt"), expected)
        XCTAssertEqual(snapshot.largeFiles, [], "under 50 MiB: no warning")
        try fsckIsClean(repo)
    }

    func testBareRepositorySaysSoBeforeAnythingElse() throws {
        let repo = try TestRepository(bare: true)
        let repository = try Repository.discover(from: repo.url)
        XCTAssertThrowsError(try repository.requireWorkingDirectory()) { error in
            XCTAssertEqual((error as? GitError)?.code, .bareRepository)
            XCTAssertTrue((error as? GitError)?.message.contains("bare repository") == true, "\(error)")
        }
        let clone = try TestRepository()
        XCTAssertEqual(try Repository.discover(from: clone.url).requireWorkingDirectory().standardizedFileURL.path,
                       clone.url.resolvingSymlinksInPath().standardizedFileURL.path)
    }
}
