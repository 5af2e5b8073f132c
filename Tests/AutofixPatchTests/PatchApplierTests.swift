import AutofixPatch
import AutofixTestSupport
import Foundation
import XCTest

final class PatchApplierTests: XCTestCase {
    static let numbered = (1...30).map { "line \($0)" }.joined(separator: "\n") + "\n"

    private func onlyPatch(_ reply: String, file: StaticString = #filePath, line: UInt = #line) -> FilePatch {
        let all = patches(parse(reply).edits, file: file, line: line)
        XCTAssertEqual(all.count, 1, file: file, line: line)
        return all[0]
    }

    func testAllHunksOrNoneAndFeedbackShowsTheClosestRegion() throws {
        let checkout = try makeTree(["f.txt": Self.numbered])
        let patch = onlyPatch("""
            --- a/f.txt
            +++ b/f.txt
            @@ -2,3 +2,3 @@
             line 2
            -line 3
            +LINE THREE
             line 4
            @@ -20,4 +20,4 @@
             line 20
             line 21
            -line twenty-two
            +LINE 22
             line 23
            """)
        let applier = PatchApplier(root: checkout.url, policy: PathPolicy(root: checkout.url))
        XCTAssertThrowsError(try applier.apply(patch)) { error in
            guard let error = error as? PatchError else { return XCTFail("\(error)") }
            XCTAssertEqual(error.kind, .hunkNotFound)
            XCTAssertEqual(error.path, "f.txt")
            XCTAssertTrue(error.feedback.contains("Hunk 2 of 2 (header says line 20)"), error.feedback)
            XCTAssertTrue(error.feedback.contains("line twenty-two"), error.feedback)
            XCTAssertTrue(error.feedback.contains("closest region of f.txt is lines 20-23"), error.feedback)
            XCTAssertTrue(error.feedback.contains("    22 | line 22"), error.feedback)
            XCTAssertFalse(error.feedback.contains("Hunk 1 of 2"), error.feedback)
        }
        XCTAssertEqual(try readFile(checkout, "f.txt"), Self.numbered, "a failed hunk must leave the file untouched")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: checkout.path), ["f.txt"], "no temp file left behind")
    }

    func testFeedbackWhenNothingMatchesListsTheExpectedLines() throws {
        let checkout = try makeTree(["f.txt": Self.numbered])
        let patch = onlyPatch("""
            --- a/f.txt
            +++ b/f.txt
            @@ -1,2 +1,2 @@
             alpha
            -beta
            +gamma
            """)
        XCTAssertThrowsError(try PatchApplier(root: checkout.url, policy: PathPolicy(root: checkout.url)).apply(patch)) { error in
            let feedback = (error as? PatchError)?.feedback ?? ""
            XCTAssertTrue(feedback.contains("none of its lines were found in f.txt"), feedback)
            XCTAssertTrue(feedback.contains("  alpha\n  beta"), feedback)
        }
    }

    func testFuzzyHasAStrictLimit() throws {
        let checkout = try makeTree(["f.txt": Self.numbered])
        let applier = PatchApplier(root: checkout.url, policy: PathPolicy(root: checkout.url))
        // Two of six context lines wrong: allowed.
        let twoWrong = onlyPatch("""
            --- a/f.txt
            +++ b/f.txt
            @@ -9,7 +9,7 @@
             line 9
             line ten
             line 11
            -line 12
            +line twelve
             line 13
             line fourteen
             line 15
            """)
        XCTAssertEqual(try applier.check(twoWrong).hunkStrategies, [.fuzzy])
        // Three wrong: refused.
        let threeWrong = onlyPatch("""
            --- a/f.txt
            +++ b/f.txt
            @@ -9,7 +9,7 @@
             line nine
             line ten
             line 11
            -line 12
            +line twelve
             line 13
             line fourteen
             line 15
            """)
        XCTAssertThrowsError(try applier.check(threeWrong))
        // A removed line that is not in the file is never fuzzed away.
        let wrongRemoval = onlyPatch("""
            --- a/f.txt
            +++ b/f.txt
            @@ -9,7 +9,7 @@
             line 9
             line 10
             line 11
            -line twelve
            +line 12
             line 13
             line 14
             line 15
            """)
        XCTAssertThrowsError(try applier.check(wrongRemoval))
        XCTAssertEqual(try readFile(checkout, "f.txt"), Self.numbered, "check() is a dry run")
    }

    func testKeepsModeAndCRLFAndMissingFinalNewline() throws {
        let checkout = try makeTree(["run.sh": "#!/bin/sh\r\necho one\r\necho two"])
        chmod(checkout.file("run.sh").path, 0o750)
        let patch = onlyPatch("""
            --- a/run.sh
            +++ b/run.sh
            @@ -1,2 +1,3 @@
             #!/bin/sh
            +set -e
             echo one
            """)
        let report = try PatchApplier(root: checkout.url, policy: PathPolicy(root: checkout.url)).apply(patch)
        XCTAssertEqual(report.touchedPaths, ["run.sh"])
        XCTAssertEqual(report.hunkLines, [1])
        XCTAssertTrue(report.isExact)
        XCTAssertEqual(try readFile(checkout, "run.sh"), "#!/bin/sh\r\nset -e\r\necho one\r\necho two")
        XCTAssertEqual(fileMode(checkout.file("run.sh")), 0o750)
    }

    func testCreateRenameDeleteAndTheirConflicts() throws {
        let checkout = try makeTree(["keep.txt": "k\n", "old.txt": "a\nb\n"])
        chmod(checkout.file("old.txt").path, 0o755)
        let applier = PatchApplier(root: checkout.url, policy: PathPolicy(root: checkout.url))

        let createExisting = onlyPatch("--- /dev/null\n+++ b/keep.txt\n@@ -0,0 +1 @@\n+x\n")
        XCTAssertThrowsError(try applier.apply(createExisting)) { XCTAssertEqual(($0 as? PatchError)?.kind, .alreadyExists) }

        let modifyMissing = onlyPatch("--- a/nope.txt\n+++ b/nope.txt\n@@ -1 +1 @@\n-x\n+y\n")
        XCTAssertThrowsError(try applier.apply(modifyMissing)) { error in
            XCTAssertEqual((error as? PatchError)?.kind, .targetMissing)
            XCTAssertTrue((error as? PatchError)?.feedback.contains("/dev/null") ?? false)
        }

        let newFileWithoutDevNull = onlyPatch("--- a/fresh/new.txt\n+++ b/fresh/new.txt\n@@ -0,0 +1,2 @@\n+1\n+2\n")
        XCTAssertEqual(try applier.apply(newFileWithoutDevNull).touchedPaths, ["fresh/new.txt"])
        XCTAssertEqual(try readFile(checkout, "fresh/new.txt"), "1\n2\n")

        let renameOntoExisting = FilePatch(oldPath: "old.txt", newPath: "keep.txt")
        XCTAssertThrowsError(try applier.apply(renameOntoExisting)) { XCTAssertEqual(($0 as? PatchError)?.kind, .alreadyExists) }

        let rename = onlyPatch("diff --git a/old.txt b/dir/new.txt\nsimilarity index 90%\nrename from old.txt\nrename to dir/new.txt\n")
        XCTAssertEqual(rename.kind, .rename)
        XCTAssertEqual(try applier.apply(rename).touchedPaths, ["old.txt", "dir/new.txt"])
        XCTAssertEqual(try readFile(checkout, "dir/new.txt"), "a\nb\n")
        XCTAssertEqual(fileMode(checkout.file("dir/new.txt")), 0o755)
        XCTAssertFalse(FileManager.default.fileExists(atPath: checkout.file("old.txt").path))

        let delete = onlyPatch("--- a/keep.txt\n+++ /dev/null\n@@ -1 +0,0 @@\n-k\n")
        try applier.apply(delete)
        XCTAssertFalse(FileManager.default.fileExists(atPath: checkout.file("keep.txt").path))
    }

    func testWholeFileReplacementKeepsCRLFAndCreatesMissingFiles() throws {
        let checkout = try makeTree(["win.txt": "a\r\nb\r\n"])
        let applier = PatchApplier(root: checkout.url, policy: PathPolicy(root: checkout.url))
        try applier.apply(.wholeFile("win.txt", content: "a\nc\n"))
        try applier.apply(.wholeFile("new/dir/file.txt", content: "hello\n"))
        XCTAssertEqual(try readFile(checkout, "win.txt"), "a\r\nc\r\n")
        XCTAssertEqual(try readFile(checkout, "new/dir/file.txt"), "hello\n")
    }

    func testBinaryTargetIsRefused() throws {
        let checkout = try makeTree([:])
        try Data([0x89, 0x50, 0x00, 0x0A]).write(to: checkout.file("img.png"))
        let patch = FilePatch(oldPath: "img.png", newPath: "img.png", hunks: [Hunk(oldStart: 1, newStart: 1, lines: [HunkLine(.add, "x")])])
        XCTAssertThrowsError(try PatchApplier(root: checkout.url, policy: PathPolicy(root: checkout.url)).apply(patch)) { error in
            XCTAssertTrue((error as? PatchError)?.feedback.contains("binary") ?? false)
        }
    }

    func testSummaryLine() {
        XCTAssertEqual(parse("Fix the off-by-one in the loop.\n```diff\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n```\n").parser.summaryLine,
                       "Fix the off-by-one in the loop.")
        XCTAssertEqual(parse("I looked at it.\n\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n\nSummary: make add add\n").parser.summaryLine,
                       "make add add")
        XCTAssertNil(parse("--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n").parser.summaryLine)
    }

    func testEmitsEachFileOnlyWhenComplete() {
        let parser = StreamingDiffParser()
        XCTAssertEqual(parser.feed("Fix:\n```diff\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n"), [])
        // The next header proves the first file complete.
        let first = parser.feed("--- a/y\n")
        XCTAssertEqual(first, [])
        let second = parser.feed("+++ b/y\n")
        XCTAssertEqual(second.compactMap(\.patch?.newPath), ["x"])
        XCTAssertEqual(parser.feed("@@ -1 +1 @@\n-c\n+d\n``"), [])
        XCTAssertEqual(parser.feed("`\n").compactMap(\.patch?.newPath), ["y"])
        XCTAssertEqual(parser.finish(), [])
        XCTAssertEqual(parser.finish(), [], "never twice")
    }
}
