@testable import AutofixCore
import AutofixPatch
import AutofixTestReport
import XCTest

final class PromptAndLoopPartsTests: XCTestCase {
    func testRelatedFilesFollowImportsByModuleAndDirectoryName() {
        let files = ["calc.py", "test_calc.py", "README.md", "Sources/Greeter/Greeter.swift", "Sources/Other/Other.swift", "util.py"]
        let finder = RelatedFiles(repositoryFiles: files)
        XCTAssertEqual(finder.related(to: ["from calc import add\n"], excluding: ["test_calc.py"]), ["calc.py"])
        XCTAssertEqual(finder.related(to: ["import Greeter\nimport XCTest\n"], excluding: []), ["Sources/Greeter/Greeter.swift"])
        XCTAssertEqual(finder.related(to: ["nothing relevant"], excluding: []), [])
    }

    func testRelatedFilesFollowDottedModulesNotEveryFileOfAPackage() {
        let files = ["mypy/__init__.py", "mypy/applytype.py", "mypy/argmap.py", "mypy/util.py", "mypy/test/testutil.py"]
        let finder = RelatedFiles(repositoryFiles: files)
        XCTAssertEqual(finder.related(to: ["import os\nfrom mypy.util import split_words\n\ndef test_mypy(): pass\n"],
                                      excluding: ["mypy/test/testutil.py"]), ["mypy/util.py"])
    }

    func testFirstMessageKeepsTheStablePartsAndRespectsTheBudget() {
        let builder = PromptBuilder(editFormat: .diff, testCommand: "pytest", contextTokens: 1_000)
        let big = String(repeating: "line of code\n", count: 2_000)
        let contents = ["small.py": "x = 1\n", "huge.py": big, "README.md": "# About\n"]
        let context = PromptContext(
            locations: [SourceLocation(path: "small.py", line: 1), SourceLocation(path: "huge.py")],
            changes: WorkingChanges(files: []), repositoryFiles: ["a.py", "b.py", "huge.py", "small.py", "README.md"],
            read: { contents[$0] })
        let text = builder.firstMessage(issue: "make it work", digest: "FAILED test_x", context: context)
        XCTAssertTrue(text.contains("## Task\nmake it work"))
        XCTAssertTrue(text.contains("FAILED test_x"))
        XCTAssertTrue(text.contains("### small.py"))
        XCTAssertFalse(text.contains("### huge.py"), "a large file without a named line is not shown")
        XCTAssertFalse(text.contains("# About"), "prose no failure names is not shown")
        XCTAssertTrue(text.contains("## Repository map (5 files)"))
        XCTAssertTrue(text.contains("./ (5)"), text)
        XCTAssertLessThan(PromptBuilder.estimatedTokens(text), 1_000)
        XCTAssertTrue(builder.systemMessage.contains("```diff"))
        XCTAssertTrue(PromptBuilder(editFormat: .whole, testCommand: "t").systemMessage.contains("COMPLETE new content"))
        XCTAssertTrue(builder.systemMessage.contains(ReplyGrammar.instructions), "the reply grammar is asked for as it is parsed")
    }

    func testConversationOnlyAppendsSoThePrefixStaysCacheable() {
        var conversation = Conversation(system: "rules", budgetTokens: 25)
        conversation.start("first")
        let prefix = conversation.messages
        conversation.append(assistant: "reply 1")
        conversation.append(user: "feedback 1")
        XCTAssertEqual(Array(conversation.messages.prefix(2)), prefix)
        // Past the budget, the oldest rounds go, never the system message or the first message.
        for round in 2...6 {
            conversation.append(assistant: String(repeating: "r", count: 30) + "\(round)")
            conversation.append(user: "feedback \(round)")
        }
        XCTAssertEqual(Array(conversation.messages.prefix(2)), prefix)
        XCTAssertEqual(conversation.messages.last?.content, "feedback 6")
        XCTAssertLessThanOrEqual(conversation.estimatedTokens, 25)
    }

    func testFeedbackAfterEachKindOfRoundSaysWhatHappenedInTheModelsTerms() {
        let builder = PromptBuilder(editFormat: .diff, testCommand: "pytest")
        let file = [(path: "calc.py", content: "x = 1")]
        XCTAssertEqual(builder.unappliedFeedback(problem: "hunk 1 did not match", files: file),
                       "Your change could not be applied, so nothing of it was kept:\nhunk 1 did not match\n"
                       + "\n### calc.py (current content)\n```\nx = 1\n```\n\nTry again.")
        XCTAssertEqual(builder.noEditFeedback(),
                       "Your reply contained no edit I could use. Reply with unified diffs in ```diff fences.\n\nTry again.")
        XCTAssertTrue(PromptBuilder(editFormat: .whole, testCommand: "t").noEditFeedback()
            .contains("whole-file blocks: the path on a line, then the complete file in a fence."))
        XCTAssertEqual(builder.acceptedFeedback(failingBefore: 2, failingAfter: 0, allPassed: true, digest: "FAILED x", files: []),
                       "Your change was applied and committed: failing tests went from 2 to 0. All tests pass now.\n\nTry again.")
        XCTAssertEqual(builder.acceptedFeedback(failingBefore: 2, failingAfter: 1, allPassed: false, digest: "FAILED x", files: []),
                       "Your change was applied and committed: failing tests went from 2 to 1.\n"
                       + "\n## Failing tests now (`pytest`)\nFAILED x\n\nTry again.")
        XCTAssertEqual(builder.rolledBackFeedback(.noFewerFailures(before: 2, after: 2), digest: "FAILED x", files: []),
                       "Your change was applied and the tests ran, but it was rolled back because failing tests did not go down "
                       + "(2 before, 2 after).\n\n## Failing tests now (`pytest`)\nFAILED x\n\nTry again.")
    }

    func testARollbackNamesWhatBrokeBeforeWhatVanishedBeforeTheCount() {
        XCTAssertEqual(Rejection.broke(["t::a", "t::b"]).reason, "it broke tests that passed before: t::a, t::b")
        XCTAssertEqual(Rejection.lostTests(["t::c"]).reason,
                       "tests that failed before no longer ran (deleted, renamed or skipped): t::c")
        let many = (1...12).map { "t::\($0)" }
        XCTAssertEqual(Rejection.broke(many).reason.components(separatedBy: ", ").count, 10, "at most ten are named")
    }
}
