import AutofixBenchSupport
import Foundation

/// A generated repository (`LoopFixture`'s, with its edits and untracked files) whose test script
/// reports one passing and one failing TAP test, `case01`, after a pause that stands for a real
/// suite's run time. A TAP script's tests cannot be selected, so every round runs it whole.
struct OneFailureFixture {
    let loop: LoopFixture
    let pause: Double

    init(trackedFiles: Int, pause: Double) throws {
        loop = try LoopFixture(trackedFiles: trackedFiles, environment: Hermetic.environment)
        self.pause = pause
        try "case01 fail\n".write(to: loop.url.appendingPathComponent("cases.txt"), atomically: true, encoding: .utf8)
    }

    var url: URL { loop.url }

    var testCommand: String { pause > 0 ? "sleep \(pause) && \(LoopFixture.testCommand)" : LoopFixture.testCommand }

    /// Turns `case01` into a pass: every test passes.
    static let fixPatch = "--- a/cases.txt\n+++ b/cases.txt\n@@ -1 +1 @@\n-case01 fail\n+case01 pass\n"

    /// A reply of `count` file patches, the one at `fixAt` the fix and the others source edits
    /// that change no test result.
    static func reply(patches count: Int, fixAt: Int) -> String {
        let patches = (0..<count).map { index in
            index == fixAt ? fixPatch : LoopFixture.sourcePatch(file: LoopFixture.editedFiles[index])
        }
        return LoopFixture.reply(patches, summary: "make case01 pass")
    }

    /// Leaves `case01` failing; each `variant` edits another file, so that rounds in a row do not
    /// send the same reply (which ends a run).
    static func rejectedReply(variant: Int = 0) -> String {
        let files = LoopFixture.editedFiles
        return LoopFixture.reply([LoopFixture.sourcePatch(file: files[variant % files.count])], summary: "adjust a value")
    }
}
