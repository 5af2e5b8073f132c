@testable import AutofixCore
import AutofixGit
import AutofixTestSupport
import XCTest

/// What the model reads, on real repositories: the code the failure points at and the user's
/// fresh edit come first, large files as excerpts whose hunks still apply, and no request
/// holds more than the context window allows.
final class FirstPromptEvidenceTests: XCTestCase {
    override class func setUp() {
        super.setUp()
        Hermetic.applyToCurrentProcess()
    }

    /// A 3,000-line module, a test of one of its functions, and a long README.
    private func largeProject() throws -> TestRepository {
        let repo = try TestRepository()
        var module = "\"\"\"Many small functions.\"\"\"\n\n"
        for number in 1...600 {
            module += "def f\(number)(x):\n    y = x * 2\n    return y // 2 + \(number)\n\n\n"
        }
        try repo.write("pkg/__init__.py", "")
        try repo.write("pkg/big.py", module)
        try repo.write("tests/test_big.py", "from pkg.big import f300\n\n\ndef test_f300():\n    assert f300(1) == 301\n")
        try repo.write("README.md", String(repeating: "This project has a long README about nothing in particular.\n", count: 500))
        for number in 1...40 { try repo.write("pkg/other\(number).py", "def g():\n    return \(number)\n") }
        _ = try repo.commitAll("project")
        return repo
    }

    private let failing = ScriptedTests.Run.pytest(file: "tests/test_big.py", passing: [], failing: ["test_f300"])
    private let passing = ScriptedTests.Run.pytest(file: "tests/test_big.py", passing: ["test_f300"], failing: [])

    private func loop(_ repo: TestRepository, _ model: ScriptedModel, _ tests: ScriptedTests, contextTokens: Int,
                      maxRounds: Int = 3) throws -> RepairLoop {
        var flags = RepairFlags()
        flags.test = "python3 -m pytest"
        flags.endpoint = "http://127.0.0.1:9/v1"
        flags.model = "scripted-model"
        flags.sandbox = "none"
        flags.contextTokens = contextTokens
        flags.maxRounds = maxRounds
        let settings = try SettingsResolver(flags: flags, environment: Hermetic.environment, projectRoot: repo.url,
                                            config: { _ in nil }).resolve()
        return RepairLoop(repository: try Repository.discover(from: repo.url), settings: settings, model: model, tests: tests,
                          events: { _ in })
    }

    func testABugInAnUnstagedEditOfALargeFileIsInTheFirstPromptAndItsHunkApplies() async throws {
        let repo = try largeProject()
        let module = try repo.read("pkg/big.py")
        try repo.write("pkg/big.py", module.replacingOccurrences(of: "    return y // 2 + 300\n", with: "    return y // 2 + 299\n"))
        // Written against the excerpt, with line numbers that are off: the applier finds it by context.
        let fix = """
            Summary: f300 adds 300 again

            ```diff
            --- a/pkg/big.py
            +++ b/pkg/big.py
            @@ -10,3 +10,3 @@
             def f300(x):
                 y = x * 2
            -    return y // 2 + 299
            +    return y // 2 + 300
            ```
            """
        let model = ScriptedModel([fix])
        let outcome = try await loop(repo, model, ScriptedTests([failing, passing]), contextTokens: 8_192).run()

        let first = try XCTUnwrap(model.requests.first)
        let prompt = first.messages[1].content
        XCTAssertTrue(prompt.contains("-    return y // 2 + 300\n+    return y // 2 + 299"), "the uncommitted work as a diff")
        XCTAssertTrue(prompt.contains("### pkg/big.py (changed in your uncommitted work"), prompt)
        XCTAssertTrue(prompt.contains("def f300(x):\n    y = x * 2\n    return y // 2 + 299\n"), "the enclosing function, verbatim")
        XCTAssertTrue(prompt.contains("(lines 1-"), "a marker for what is left out")
        XCTAssertFalse(prompt.contains("def f1(x):\n    y = x * 2"), "not the whole 3,000-line file")
        XCTAssertTrue(prompt.contains("### tests/test_big.py"), "the failing test itself")
        XCTAssertFalse(prompt.contains("long README"), "prose that no failure names")
        XCTAssertTrue(prompt.contains("pkg/ ("), "the map shows directories with their counts")
        let budget = ContextBudget(window: 8_192, source: "configured", maxCompletionTokens: 2048)
        XCTAssertLessThanOrEqual(Conversation.estimatedTokens(first.messages), budget.promptTokens)
        XCTAssertEqual(first.maxTokens, 2048)

        XCTAssertEqual(outcome.status, .fixed)
        XCTAssertTrue(try repo.git("show", "\(outcome.ref):pkg/big.py").contains("def f300(x):\n    y = x * 2\n    return y // 2 + 300\n"))
    }

    func testNoRequestExceedsASmallWindowAndTheFirstMessagesStay() async throws {
        let repo = try largeProject()
        // Each reply is long and its hunk does not apply, so every round adds a long exchange; each
        // misses another line, or the run would stop at the second as going round in circles.
        let misses = (1...4).map { round in
            String(repeating: "Thinking about the problem at length. ", count: 150) + """

                ```diff
                --- a/pkg/big.py
                +++ b/pkg/big.py
                @@ -1,1 +1,1 @@
                -line \(round) is not in the file
                +nor is this one
                ```
                """
        }
        let model = ScriptedModel(misses)
        _ = try await loop(repo, model, ScriptedTests([failing]), contextTokens: 4_096, maxRounds: 4).run()

        let budget = ContextBudget(window: 4_096, source: "configured", maxCompletionTokens: 2048)
        XCTAssertEqual(model.requests.count, 4)
        for request in model.requests {
            XCTAssertLessThanOrEqual(Conversation.estimatedTokens(request.messages), budget.promptTokens)
            XCTAssertEqual(Array(request.messages.prefix(2)), Array(model.requests[0].messages.prefix(2)))
            XCTAssertEqual(request.maxTokens, 2048)
        }
        XCTAssertTrue(model.requests[0].messages[1].content.contains("def f300(x):"), "even at 4k the imported function is shown")
    }
}
