import AutofixSupport
@testable import AutofixTestReport
import XCTest

/// What may reach a terminal from text git autofix did not write: no escape sequence, no control
/// character but newline and tab, and nothing else changed.
final class TerminalSafeTextTests: XCTestCase {
    private let esc = "\u{1B}"

    /// True when `text` holds a C0 control other than newline and tab, DEL, or a C1 control.
    private func holdsControl(_ text: String, allowing allowed: Set<UInt32> = [0x0A, 0x09]) -> Bool {
        text.unicodeScalars.contains { scalar in
            (scalar.value < 0x20 && !allowed.contains(scalar.value)) || (0x7F...0x9F).contains(scalar.value)
        }
    }

    func testEachEscapeSequenceIsRemovedWhole() {
        let cases: [(String, String)] = [
            ("CSI clear screen", "a\(esc)[2Jb"),
            ("CSI colour", "a\(esc)[1;31mb\(esc)[0m"),
            ("CSI private mode", "a\(esc)[?1049hb"),
            ("OSC 0 title, BEL", "a\(esc)]0;owned\u{07}b"),
            ("OSC 52 clipboard, ST", "a\(esc)]52;c;ZWNobyBvd25lZA==\(esc)\\b"),
            ("OSC 8 link", "a\(esc)]8;;https://evil.example\(esc)\\b\(esc)]8;;\(esc)\\"),
            ("DCS", "a\(esc)Pq#0;2;0;0;0#1~~@@\(esc)\\b"),
            ("APC", "a\(esc)_Gf=100;AAAA\(esc)\\b"),
            ("PM", "a\(esc)^private\(esc)\\b"),
            ("SOS", "a\(esc)Xstart of string\(esc)\\b"),
            ("RIS", "a\(esc)cb"),
            ("charset (nF)", "a\(esc)(Bb"),
            ("keypad mode", "a\(esc)=b\(esc)>"),
            ("save cursor", "a\(esc)7b\(esc)8"),
            ("8-bit CSI", "a\u{9B}2Jb"),
            ("8-bit OSC with 8-bit ST", "a\u{9D}0;owned\u{9C}b"),
            ("8-bit DCS", "a\u{90}payload\u{9C}b"),
            ("8-bit APC", "a\u{9F}payload\u{07}b"),
        ]
        for (name, input) in cases {
            XCTAssertEqual(TerminalSafeText.text(input), "ab", name)
            XCTAssertEqual(TerminalSafeText.line(input), "ab", name)
        }
    }

    func testStrayControlsAreShownEscaped() {
        XCTAssertEqual(TerminalSafeText.text("ding\u{07}"), "ding\\x07")
        XCTAssertEqual(TerminalSafeText.text("back\u{08}space\u{7F}"), "back\\x08space\\x7f")
        XCTAssertEqual(TerminalSafeText.text("nul\u{00}"), "nul\\x00")
        XCTAssertEqual(TerminalSafeText.text("next line\u{85}index\u{84}"), "next line\\x85index\\x84")
        XCTAssertEqual(TerminalSafeText.text("lone escape at the end \(esc)"), "lone escape at the end \\x1b")
        XCTAssertEqual(TerminalSafeText.text("\(esc)\u{07}"), "\\x1b\\x07")
        XCTAssertEqual(TerminalSafeText.text("\(esc)é"), "\\x1bé")
    }

    func testCarriageReturnCannotOverwriteALine() {
        XCTAssertEqual(TerminalSafeText.text("all tests pass\r\(esc)[2Kowned"), "all tests passowned")
        XCTAssertEqual(TerminalSafeText.text("windows\r\nline\r\n"), "windows\nline\n")
        XCTAssertEqual(TerminalSafeText.keepingCarriageReturns("10%\r100%\r\n"), "10%\r100%\r\n")
    }

    func testUnterminatedSequencesEndWithoutSwallowingTheNextLine() {
        XCTAssertEqual(TerminalSafeText.text("a\(esc)[12"), "a")
        XCTAssertEqual(TerminalSafeText.text("a\(esc)]0;title never ends"), "a")
        XCTAssertEqual(TerminalSafeText.text("a\(esc)]0;title\nnext line"), "a\nnext line")
        XCTAssertEqual(TerminalSafeText.text("a\(esc)Ppayload\(esc)[31mred"), "ared")
        XCTAssertEqual(TerminalSafeText.text("a\(esc)[3\u{08}1m"), "a\\x081m")
    }

    func testTextThatIsFineStaysByteIdentical() {
        let fine = "def add(a, b):\n\treturn a + b  # naïve, 日本語, emoji 👩‍💻, «quotes» ©\n"
        XCTAssertEqual(Array(TerminalSafeText.text(fine).utf8), Array(fine.utf8))
        XCTAssertEqual(TerminalSafeText.text(""), "")
        // U+00A0–U+00BF share their first UTF-8 byte with the C1 controls.
        let latin = "\u{A0}non-breaking, ° degree, ± plus-minus, ¿question"
        XCTAssertEqual(TerminalSafeText.text(latin), latin)
        XCTAssertEqual(TerminalSafeText.text("a\(esc)[31m日本\(esc)[0m語"), "a日本語")
    }

    func testOneLineVariantHasNoLineBreaksOrTabs() {
        XCTAssertEqual(TerminalSafeText.line("fix\nthe\tparser\r\n"), "fix the parser ")
        let hostile = "Summary: fix\(esc)]0;t\u{07}\r\(esc)[2K\u{9B}31m\u{85}\nSigned-off-by: someone"
        XCTAssertFalse(holdsControl(TerminalSafeText.line(hostile), allowing: []))
    }

    func testNoControlSurvivesAnyMixOfBytes() {
        // Every pair and triple of the characters that start, continue and end sequences.
        let pieces = [esc, "[", "]", "P", "_", "^", "X", "c", "\\", "\u{07}", "\u{9B}", "\u{9C}", "\u{9D}", "\u{90}",
                      "\r", "\n", "\u{7F}", "0", ";", "m", "é"]
        for a in pieces {
            for b in pieces {
                for c in pieces {
                    let input = a + b + c
                    XCTAssertFalse(holdsControl(TerminalSafeText.text(input)), input.debugDescription)
                    XCTAssertFalse(holdsControl(TerminalSafeText.line(input), allowing: []), input.debugDescription)
                }
            }
        }
    }

    // MARK: Test output

    func testTestOutputLosesEverySequenceKindNotOnlyCSIAndOSC() {
        let output = [
            "\(esc)[32mPASSED\(esc)[0m test_one",
            "\(esc)P1$r0m\(esc)\\FAILED test_two",
            "\(esc)_kitty graphics\(esc)\\ok",
            "\(esc)^privacy message\(esc)\\ok",
            "\(esc)Xsos\(esc)\\ok",
            "\(esc)cafter reset",
            "\u{9B}2Jafter 8-bit CSI",
            "bell\u{07}",
            "progress 10%\rprogress 100%",
        ].joined(separator: "\n")
        let lines = OutputText.lines(output)
        XCTAssertEqual(lines, ["PASSED test_one", "FAILED test_two", "ok", "ok", "ok", "after reset",
                               "after 8-bit CSI", "bell\\x07", "progress 100%"])
        for line in lines { XCTAssertFalse(holdsControl(line), line.debugDescription) }
    }

    func testTheFailureDigestForThePromptHasNoControls() {
        let output = "FAILED tests/test_x.py::test_a - \(esc)P+q544e\(esc)\\assert \u{9B}31m1 == 2\n"
            + "E   \(esc)]52;c;b3duZWQ=\u{07}assert 1 == 2\n1 failed in 0.01s\n"
        let report = TestReportParser.parse(output: output, exitCode: 1)
        let digest = FailureDigest.make(report: report, output: output, repositoryRoot: nil)
        XCTAssertFalse(holdsControl(digest.text), digest.text.debugDescription)
    }
}
