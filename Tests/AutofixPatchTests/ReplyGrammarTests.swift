import AutofixPatch
import XCTest

/// The lines a reply carries besides its edits, read back the way the system prompt asks for them.
final class ReplyGrammarTests: XCTestCase {
    func testCommitSubjectComesFromTheModelsSummaryLine() {
        XCTAssertEqual(ReplyGrammar.commitSubject("Summary: make add() add", round: 1), "make add() add")
        XCTAssertEqual(ReplyGrammar.commitSubject("**Fix the parser**", round: 2), "Fix the parser")
        XCTAssertEqual(ReplyGrammar.commitSubject(nil, round: 3), "autofix: round 3")
        XCTAssertEqual(ReplyGrammar.commitSubject("   ", round: 4), "autofix: round 4")
        let long = String(repeating: "x", count: 100)
        XCTAssertEqual(ReplyGrammar.commitSubject(long, round: 1).count, 72)
    }

    func testDeclineIsRecognisedWithItsReason() {
        XCTAssertEqual(ReplyGrammar.declineReason(in: "Hmm.\nCANNOT FIX: the test expects network access"), "the test expects network access")
        XCTAssertEqual(ReplyGrammar.declineReason(in: "cannot fix"), "no reason given")
        XCTAssertNil(ReplyGrammar.declineReason(in: "Summary: fixed it\n```diff\n```"))
    }

    func testAStatedSummaryMayWearMarkdown() {
        XCTAssertEqual(ReplyGrammar.statedSummary(in: "## Summary: handle empty input"), "handle empty input")
        XCTAssertEqual(ReplyGrammar.statedSummary(in: "**Summary:** handle empty input"), "handle empty input")
        XCTAssertEqual(ReplyGrammar.statedSummary(in: "> SUMMARY: quoted"), "quoted")
        XCTAssertNil(ReplyGrammar.statedSummary(in: "Summary:"), "an empty summary is no summary")
        XCTAssertNil(ReplyGrammar.statedSummary(in: "In summary: it works"))
    }

    /// The example the instructions give is read back as they promise: the summary becomes the
    /// subject, and a decline written as asked gives its reason.
    func testARepliesWrittenAsInstructedAreReadBack() throws {
        let example = try XCTUnwrap(ReplyGrammar.instructions.split(separator: "\n").first?.components(separatedBy: "for example: ").last)
        let parser = StreamingDiffParser(format: .diff)
        _ = parser.feed("Let me look.\n" + example + "\n\n```diff\n--- a/x.py\n+++ b/x.py\n@@ -1 +1 @@\n-a\n+b\n```\n")
        _ = parser.finish()
        XCTAssertEqual(parser.summaryLine, "handle empty input in parse().")
        XCTAssertEqual(ReplyGrammar.commitSubject(parser.summaryLine, round: 1), "handle empty input in parse().")
        XCTAssertTrue(ReplyGrammar.instructions.contains("CANNOT FIX: and the reason"))
        XCTAssertEqual(ReplyGrammar.declineReason(in: "CANNOT FIX: it needs the network"), "it needs the network")
    }
}
