import AutofixCore
import XCTest

/// The block goes in and out of a hook's text; the user's own lines, around it, stay byte for byte.
final class HookBlockTests: XCTestCase {
    private let file = URL(fileURLWithPath: "/repo/.git/hooks/pre-push")
    private let script = "/opt/git-autofix/share/git-autofix/hooks/pre-push"
    private let userHook = "#!/bin/bash\n# my checks\nset -e\n  ./lint.sh \"$@\"\t# tabs and trailing spaces  \n\nexit 0\n"

    func testInstallingIntoNoHookMakesAShellFileWithOnlyTheBlock() throws {
        let installed = try HookBlock.installing(calling: script, into: nil, file: file)
        XCTAssertEqual(installed.outcome, .created)
        XCTAssertEqual(installed.text, HookBlock.newFileHeader + HookBlock.text(calling: script))
        let removed = try HookBlock.removing(from: installed.text, file: file)
        XCTAssertEqual(removed.outcome, .removedFile)
        XCTAssertNil(removed.text)
    }

    func testInstallingIntoAUsersHookPutsTheBlockAfterTheFirstLineAndKeepsTheRest() throws {
        let installed = try HookBlock.installing(calling: script, into: userHook, file: file)
        XCTAssertEqual(installed.outcome, .added)
        XCTAssertEqual(installed.text, "#!/bin/bash\n" + HookBlock.text(calling: script) + userHook.dropFirst("#!/bin/bash\n".count))
    }

    func testReinstallingLeavesTheTextAloneOrReplacesOnlyTheBlock() throws {
        let first = try HookBlock.installing(calling: script, into: userHook, file: file).text
        let again = try HookBlock.installing(calling: script, into: first, file: file)
        XCTAssertEqual(again.outcome, .unchanged)
        XCTAssertEqual(again.text, first)

        let moved = try HookBlock.installing(calling: "/elsewhere/it's here/pre-push", into: first, file: file)
        XCTAssertEqual(moved.outcome, .updated)
        XCTAssertEqual(moved.text, "#!/bin/bash\n" + HookBlock.text(calling: "/elsewhere/it's here/pre-push") + userHook.dropFirst(12))
        let range = try XCTUnwrap(try HookBlock.range(in: moved.text, file: file))
        XCTAssertEqual(HookBlock.scriptPath(in: String(moved.text[range])), "/elsewhere/it's here/pre-push")
    }

    func testUninstallingGivesBackTheUsersHookByteForByte() throws {
        for hook in [userHook, "#!/bin/sh\necho no newline at the end", "echo no shebang line\n", "#!/bin/zsh\n"] {
            let installed = try HookBlock.installing(calling: script, into: hook, file: file).text
            let removed = try HookBlock.removing(from: installed, file: file)
            XCTAssertEqual(removed.outcome, .removedBlock, hook)
            XCTAssertEqual(removed.text, hook)
        }
    }

    func testTheUsersLinesAroundABlockInTheMiddleStay() throws {
        let before = "#!/bin/sh\necho before\n"
        let after = "echo after\n"
        let hook = before + HookBlock.text(calling: script) + after
        XCTAssertEqual(try HookBlock.removing(from: hook, file: file).text, before + after)
        XCTAssertEqual(try HookBlock.removing(from: before + after, file: file).outcome, .notInstalled)
    }

    func testAHookInAnotherLanguageOrWithAHalfBlockIsRefused() {
        XCTAssertThrowsError(try HookBlock.installing(calling: script, into: "#!/usr/bin/env python3\nprint(1)\n", file: file)) {
            XCTAssertEqual(($0 as? HookError)?.message, "\(self.file.path) is a python3 script, and the git-autofix block is shell code")
        }
        let half = "#!/bin/sh\n\(HookBlock.beginMarker)\necho mine\n"
        XCTAssertThrowsError(try HookBlock.removing(from: half, file: file)) {
            XCTAssertEqual(($0 as? HookError)?.message, "\(self.file.path) has a git-autofix marker on line 2 without its matching begin or end line")
        }
    }
}
