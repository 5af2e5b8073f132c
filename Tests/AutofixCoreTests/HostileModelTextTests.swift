@testable import AutofixCore
import AutofixPatch
import XCTest

/// The model's words that git autofix stores or prints as its own (a commit subject, the stop
/// reason) carry no escape sequence or control character.
final class HostileModelTextTests: XCTestCase {
    private let esc = "\u{1B}"

    private func controls(in text: String) -> [UInt32] {
        text.unicodeScalars.map(\.value).filter { $0 < 0x20 || (0x7F...0x9F).contains($0) }
    }

    func testCommitSubjectHasNoControlCharacters() {
        let summary = "Summary: fix add\(esc)]0;pwned\u{07} \(esc)]52;c;cm0gLXJmIH4=\(esc)\\\r\(esc)[2Kall good\u{9B}2J\u{85}"
        let subject = ReplyGrammar.commitSubject(summary, round: 1)
        XCTAssertEqual(subject, "fix add all good\\x85")
        XCTAssertEqual(controls(in: subject), [])
        XCTAssertEqual(controls(in: ReplyGrammar.commitSubject("\(esc)[31mSummary:\tsplit\nacross lines", round: 2)), [])
        XCTAssertEqual(ReplyGrammar.commitSubject("\(esc)]0;t\u{07}", round: 3), "autofix: round 3")
    }

    func testDeclineReasonHasNoControlCharacters() {
        let reply = "Thinking.\nCANNOT FIX: \(esc)[2J\(esc)]8;;http://evil.example\(esc)\\it needs the network\r\(esc)[2K\u{07}"
        let reason = ReplyGrammar.declineReason(in: reply)
        XCTAssertEqual(reason, "it needs the network\\x07")
        XCTAssertEqual(controls(in: reason ?? ""), [])
        XCTAssertEqual(ReplyGrammar.declineReason(in: "CANNOT FIX: \(esc)]0;only a title\u{07}"), "no reason given")
    }
}
