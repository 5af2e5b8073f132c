@testable import AutofixCore
import XCTest

final class PromptAndLoopPartsTests: XCTestCase {
    func testCommitSubjectComesFromTheModelsSummaryLine() {
        XCTAssertEqual(RepairLoop.commitSubject("Summary: make add() add", round: 1), "make add() add")
        XCTAssertEqual(RepairLoop.commitSubject("**Fix the parser**", round: 2), "Fix the parser")
        XCTAssertEqual(RepairLoop.commitSubject(nil, round: 3), "autofix: round 3")
        XCTAssertEqual(RepairLoop.commitSubject("   ", round: 4), "autofix: round 4")
        let long = String(repeating: "x", count: 100)
        XCTAssertEqual(RepairLoop.commitSubject(long, round: 1).count, 72)
    }

    func testDeclineIsRecognisedWithItsReason() {
        XCTAssertEqual(RepairLoop.declineReason(in: "Hmm.\nCANNOT FIX: the test expects network access"), "the test expects network access")
        XCTAssertEqual(RepairLoop.declineReason(in: "cannot fix"), "no reason given")
        XCTAssertNil(RepairLoop.declineReason(in: "Summary: fixed it\n```diff\n```"))
    }

    func testRelatedFilesFollowImportsByModuleAndDirectoryName() {
        let files = ["calc.py", "test_calc.py", "README.md", "Sources/Greeter/Greeter.swift", "Sources/Other/Other.swift", "util.py"]
        let finder = RelatedFiles(repositoryFiles: files)
        XCTAssertEqual(finder.related(to: ["from calc import add\n"], excluding: ["test_calc.py"]), ["calc.py"])
        XCTAssertEqual(finder.related(to: ["import Greeter\nimport XCTest\n"], excluding: []), ["Sources/Greeter/Greeter.swift"])
        XCTAssertEqual(finder.related(to: ["nothing relevant"], excluding: []), [])
    }

    func testFirstMessageKeepsTheStablePartsAndRespectsTheBudget() {
        let builder = PromptBuilder(editFormat: .diff, testCommand: "pytest", contextTokens: 1_000)
        let big = String(repeating: "line of code\n", count: 2_000)
        let text = builder.firstMessage(issue: "make it work", repositoryMap: ["a.py", "b.py"],
                                        files: [("small.py", "x = 1\n"), ("huge.py", big)], digest: "FAILED test_x")
        XCTAssertTrue(text.contains("## Task\nmake it work"))
        XCTAssertTrue(text.contains("FAILED test_x"))
        XCTAssertTrue(text.contains("### small.py"))
        XCTAssertFalse(text.contains("### huge.py"), "a file over the budget is left out, not cut")
        XCTAssertTrue(text.contains("a.py\nb.py\n"))
        XCTAssertLessThan(PromptBuilder.estimatedTokens(text), 1_000)
        XCTAssertTrue(builder.systemMessage.contains("```diff"))
        XCTAssertTrue(PromptBuilder(editFormat: .whole, testCommand: "t").systemMessage.contains("COMPLETE new content"))
    }

    func testConversationOnlyAppendsSoThePrefixStaysCacheable() {
        var conversation = Conversation(system: "rules", maxCharacters: 100)
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
        XCTAssertLessThanOrEqual(conversation.messages.reduce(0) { $0 + $1.content.count }, 100)
    }
}
