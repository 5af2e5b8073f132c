@testable import AutofixCore
import AutofixModel
import AutofixPatch
import AutofixTestSupport
import XCTest

/// One round's reply streamed into a checkout on its own, without the loop around it: what it
/// applied, what it touched (the rollback's list), and where it stopped reading.
final class RoundAttemptTests: XCTestCase {
    private func attempt(in directory: TemporaryDirectory, events: @escaping (RunEvent) -> Void = { _ in }) -> RoundAttempt {
        RoundAttempt(round: 3, prompt: [ChatMessage(role: .system, content: "rules"), ChatMessage(role: .user, content: "fix it")],
                     failingBefore: 2, parser: StreamingDiffParser(format: .diff),
                     applier: PatchApplier(root: directory.url, policy: PathPolicy(root: directory.url)), events: events)
    }

    private func request() -> ChatRequest { ChatRequest(model: "scripted-model", messages: []) }

    func testEachPatchIsAppliedAsItCompletesAndTheResultSaysWhatApplied() async throws {
        let directory = try TemporaryDirectory(prefix: "autofix-attempt")
        try "def add(a, b):\n    return a - b\n".write(to: directory.file("calc.py"), atomically: true, encoding: .utf8)
        var round = attempt(in: directory)

        try await round.stream(from: ScriptedModel([SampleProjects.pythonCalculatorFix]), request())
        XCTAssertNil(round.failure)
        XCTAssertEqual(round.touched, ["calc.py"])
        XCTAssertEqual(round.appliedFiles, ["calc.py"])
        XCTAssertEqual(round.summaryLine, "make add() add instead of subtract")
        XCTAssertEqual(round.reply, SampleProjects.pythonCalculatorFix)
        XCTAssertEqual(try String(contentsOf: directory.file("calc.py"), encoding: .utf8), "def add(a, b):\n    return a + b\n")

        let result = round.result(.accepted, "failing 2 -> 0")
        XCTAssertEqual(result.round, 3)
        XCTAssertEqual(result.failingBefore, 2)
        XCTAssertEqual(result.appliedFiles, ["calc.py"])
        XCTAssertEqual(result.promptTokens, 100)
        let transcript = round.transcript(result, tests: nil)
        XCTAssertEqual(transcript.promptMessages, 2)
        XCTAssertEqual(transcript.promptCharacters, "rules".count + "fix it".count)
        XCTAssertEqual(transcript.patches.map(\.result), ["applied"])
    }

    func testTheFirstFailedPatchStopsTheReplyAndStillCountsAsTouched() async throws {
        let directory = try TemporaryDirectory(prefix: "autofix-attempt")
        try "def add(a, b):\n    return a - b\n".write(to: directory.file("calc.py"), atomically: true, encoding: .utf8)
        try "x = 1\n".write(to: directory.file("other.py"), atomically: true, encoding: .utf8)
        let reply = """
            Summary: two files

            ```diff
            --- a/calc.py
            +++ b/calc.py
            @@ -1,2 +1,2 @@
             def add(a, b):
            -    return a - b
            +    return a + b
            --- a/other.py
            +++ b/other.py
            @@ -1 +1 @@
            -not there
            +y = 2
            --- a/third.py
            +++ b/third.py
            @@ -0,0 +1 @@
            +z = 3
            ```
            """
        let events = Events()
        var round = attempt(in: directory, events: events.append)

        try await round.stream(from: ScriptedModel([reply]), request())
        XCTAssertEqual(round.appliedFiles, ["calc.py"])
        XCTAssertEqual(round.touched, ["calc.py", "other.py"], "the failed patch's path is rolled back too")
        XCTAssertNotNil(round.failure)
        XCTAssertEqual(round.patchRecords.map(\.result), ["applied", "failed"], "nothing after the failure was applied")
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory.file("third.py").path))
        XCTAssertTrue(events.names.contains("streamCancelled"), "\(events.names)")
    }

    func testAnEditThatCannotBeReadIsRejectedWithItsReason() async throws {
        let directory = try TemporaryDirectory(prefix: "autofix-attempt")
        var round = attempt(in: directory)

        try await round.stream(from: ScriptedModel(["Summary: x\n@@ -1 +1 @@\n-a\n+b\n"]), request())
        XCTAssertEqual(round.touched, [], "nothing was written")
        XCTAssertEqual(round.patchRecords.map(\.result), ["rejected"])
        XCTAssertTrue(round.failure?.hasPrefix("The edit for an unnamed file was rejected: found a hunk") ?? false,
                      round.failure ?? "no failure")
    }
}

private final class Events: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [RunEvent] = []

    func append(_ event: RunEvent) { lock.withLock { events.append(event) } }

    var names: [String] {
        lock.withLock { events.map { String(describing: $0).prefix { $0 != "(" } }.map(String.init) }
    }
}
