import AutofixTestReport
import AutofixTestSupport
import XCTest

final class FailureDigestTests: XCTestCase {
    /// A checkout of the captured Swift package at a different place, as the sandbox would have it.
    private func swiftCheckout() throws -> TestRepository {
        let repository = try TestRepository(prefix: "digest-swift")
        try repository.write("Package.swift", "// swift-tools-version:6.0\n")
        try repository.write("Sources/Calc/Calc.swift", "public enum Calc {}\n")
        try repository.write("Tests/CalcTests/MulTests.swift", "import XCTest\n")
        try repository.write("Tests/CalcTests/ExpectTests.swift", "import Testing\n")
        try repository.write("Tests/CalcTests/CrashTests.swift", "import XCTest\n")
        return repository
    }

    private func pythonCheckout() throws -> TestRepository {
        let repository = try TestRepository(prefix: "digest-python")
        try repository.write("calc/__init__.py", "def add(a, b):\n    return a + b\n")
        try repository.write("tests/test_calc.py", "from calc import add\n")
        return repository
    }

    func testDigestNamesEachFailureWithMessageAndRepositoryFrames() throws {
        let checkout = try pythonCheckout()
        let output = Fixture.text("pytest-failing.txt")
        let report = TestReportParser.parse(output: output, exitCode: 1)
        let digest = FailureDigest.make(report: report, output: output, repositoryRoot: checkout.url)
        XCTAssertTrue(digest.text.hasPrefix("7 of 10 tests failing (pytest).\n"), digest.text)
        XCTAssertTrue(digest.text.contains("""
            FAIL tests/test_calc.py::test_parse_ratio
              ZeroDivisionError: division by zero
              assertion: assert parse_ratio("1/0") == 0
              at tests/test_calc.py:20, calc/__init__.py:11
            """), digest.text)
        XCTAssertTrue(digest.text.contains("ERROR tests/test_calc.py::test_with_database"))
        XCTAssertFalse(digest.text.contains("site-packages"))
        XCTAssertEqual(digest.referencedFiles, ["tests/test_calc.py", "calc/__init__.py"])
    }

    /// A memory or process limit shows in the output as a kill, if at all: the model is told.
    func testALimitTheSandboxStoppedTheTestsAtReachesTheModel() throws {
        let output = Fixture.text("pytest-failing.txt")
        let report = TestReportParser.parse(output: output, exitCode: 1)
        let digest = FailureDigest.make(report: report, output: output, repositoryRoot: nil,
                                        stoppedBy: "the tests hit the memory limit")
        XCTAssertTrue(digest.text.hasPrefix("7 of 10 tests failing (pytest). The sandbox stopped it: the tests hit the memory limit.\n"),
                      digest.text)
    }

    func testSameFailureInParametrizedTestsIsShownOnce() throws {
        let checkout = try pythonCheckout()
        let output = Fixture.text("pytest-failing-q.txt")
        let report = TestReportParser.parse(output: output, exitCode: 1)
        let text = FailureDigest.make(report: report, output: output, repositoryRoot: checkout.url).text
        XCTAssertTrue(text.contains("FAIL tests/test_calc.py::test_mul_by_one[1] (same failure in 2 more: tests/test_calc.py::test_mul_by_one[2], tests/test_calc.py::test_mul_by_one[3])"), text)
        XCTAssertEqual(text.components(separatedBy: "assert mul(value, 1) == value").count - 1, 1)
    }

    func testPathsFromAnotherCheckoutAreMappedByTheirTail() throws {
        let checkout = try swiftCheckout()
        let output = Fixture.text("swift-test-mixed-failing.txt")
        // Parsed without a root, as the paths point into the capture directory.
        let report = TestReportParser.parse(output: output, exitCode: 1)
        let digest = FailureDigest.make(report: report, output: output, repositoryRoot: checkout.url)
        XCTAssertTrue(digest.text.contains("at Tests/CalcTests/MulTests.swift:6"), digest.text)
        XCTAssertTrue(digest.text.contains("at Tests/CalcTests/ExpectTests.swift:12"), "a bare file name is found in the repository")
        XCTAssertEqual(digest.referencedFiles, ["Tests/CalcTests/ExpectTests.swift", "Tests/CalcTests/MulTests.swift"])
    }

    func testOnlyFilesThatExistInTheRepositoryAreReferenced() throws {
        let checkout = try swiftCheckout()
        try checkout.remove("Sources/Calc/Calc.swift")
        let output = Fixture.text("xctest-crash.txt")
        let report = TestReportParser.parse(output: output, exitCode: 1)
        let digest = FailureDigest.make(report: report, output: output, repositoryRoot: checkout.url)
        XCTAssertEqual(digest.referencedFiles, ["Tests/CalcTests/CrashTests.swift"])
        XCTAssertTrue(digest.text.contains("ERROR CrashTests.testRootOfNegative"))
        XCTAssertTrue(digest.text.contains("The run ended abnormally"), digest.text)
    }

    func testCrashExplainedByItsBacktraceNeedsNoLog() throws {
        let checkout = try swiftCheckout()
        let output = Fixture.text("xctest-crash.txt")
        let report = TestReportParser.parse(output: output, exitCode: 1)
        let digest = FailureDigest.make(report: report, output: output, repositoryRoot: checkout.url, tokenBudget: 600)
        XCTAssertTrue(digest.text.contains("Precondition failed: negative input"))
        XCTAssertTrue(digest.text.contains("at Tests/CalcTests/CrashTests.swift:9, Sources/Calc/Calc.swift:9"), digest.text)
        XCTAssertFalse(digest.text.contains("Output (head and tail)"), "the register dump says nothing the frames do not")
    }

    func testCrashThatNamesNoTestKeepsTheLogHeadAndTail() throws {
        let output = Fixture.text("cargo-crash.txt") + String(repeating: "noise from the crashed binary\n", count: 400)
            + "the last words of the crashed binary\n"
        let report = TestReportParser.parse(output: output, exitCode: 101)
        let digest = FailureDigest.make(report: report, output: output, repositoryRoot: nil, tokenBudget: 400)
        XCTAssertTrue(digest.text.contains("ERROR tests/crash.rs"), digest.text)
        XCTAssertTrue(digest.text.contains("Output (head and tail):"))
        XCTAssertTrue(digest.text.contains("Running tests/crash.rs"), "head kept")
        XCTAssertTrue(digest.text.contains("the last words of the crashed binary"), "tail kept")
        XCTAssertTrue(digest.text.contains("lines omitted"))
        XCTAssertLessThanOrEqual(FailureDigest.estimatedTokens(digest.text), 400)
    }

    func testFallbackDigestKeepsHeadAndTailOfALongLogWithinBudget() {
        var lines = ["FIRST LINE: starting the checks"]
        for index in 0..<5000 { lines.append("checking widget \(index) of 5000 … fine") }
        lines.append("LAST LINE: widget 4242 is wrong")
        let output = lines.joined(separator: "\n")
        let report = TestReportParser.parse(output: output, exitCode: 1)
        let digest = FailureDigest.make(report: report, output: output, repositoryRoot: nil, tokenBudget: 500)
        XCTAssertTrue(digest.text.hasPrefix("The test command failed."), digest.text)
        XCTAssertTrue(digest.text.contains("judged by exit code 1"))
        XCTAssertTrue(digest.text.contains("FIRST LINE"))
        XCTAssertTrue(digest.text.contains("LAST LINE: widget 4242 is wrong"))
        XCTAssertTrue(digest.text.contains("lines omitted"))
        XCTAssertLessThanOrEqual(FailureDigest.estimatedTokens(digest.text), 500)
    }

    func testManyFailuresAreCutAtTheBudgetAndCounted() {
        var output = "TAP version 13\n1..300\n"
        for index in 1...300 {
            output += "not ok \(index) - widget \(index) renders\n  ---\n  message: 'widget \(index) has \(index) corners, wanted 4 sides of \(String(repeating: "x", count: 40))'\n  at: src/widget\(index).c line \(index)\n  ...\n"
        }
        let report = TestReportParser.parse(output: output, exitCode: 1)
        XCTAssertEqual(report.failingCount, 300)
        let digest = FailureDigest.make(report: report, output: output, repositoryRoot: nil, tokenBudget: 400)
        XCTAssertLessThanOrEqual(FailureDigest.estimatedTokens(digest.text), 400)
        XCTAssertTrue(digest.text.contains("FAIL widget 1 renders"))
        XCTAssertTrue(digest.text.contains("more failing tests not shown"), digest.text)
        XCTAssertFalse(digest.text.contains("Output (head and tail)"), "the report explains the failures")
    }

    func testDigestIsDeterministic() throws {
        let checkout = try pythonCheckout()
        let output = Fixture.text("pytest-failing-rA.txt")
        let report = TestReportParser.parse(output: output, exitCode: 1)
        let first = FailureDigest.make(report: report, output: output, repositoryRoot: checkout.url)
        let second = FailureDigest.make(report: report, output: output, repositoryRoot: checkout.url)
        XCTAssertEqual(first.text, second.text)
        XCTAssertEqual(first.referencedFiles, second.referencedFiles)
    }

    func testAllPassingDigestSaysSo() {
        let output = Fixture.text("cargo-passing.txt")
        let report = TestReportParser.parse(output: output, exitCode: 0)
        let digest = FailureDigest.make(report: report, output: output, repositoryRoot: nil)
        XCTAssertEqual(digest.text, "0 of 1 test failing (cargo).\n")
        XCTAssertEqual(digest.referencedFiles, [])
    }
}

extension FailureDigestTests {
    func testFilesOutsideTheRepositoryAreNeverReferenced() throws {
        let outside = try TemporaryDirectory(prefix: "digest-outside")
        try "SECRET=1\n".write(to: outside.file("secret.py"), atomically: true, encoding: .utf8)
        let checkout = try TestRepository(prefix: "digest-escape")
        try checkout.write("tests/test_calc.py", "def test_x(): pass\n")
        try FileManager.default.createSymbolicLink(atPath: checkout.url.appendingPathComponent("tests/linked.py").path,
                                                   withDestinationPath: outside.file("secret.py").path)
        let report = TestReport(
            framework: "pytest",
            cases: [TestCaseResult(id: "tests/test_calc.py::test_x", status: .failed, message: "boom", locations: [
                SourceLocation(path: "../\(outside.url.lastPathComponent)/secret.py", line: 1),
                SourceLocation(path: "tests/linked.py", line: 1),
                SourceLocation(path: ".git/config", line: 1),
                SourceLocation(path: "tests/test_calc.py", line: 1),
            ])],
            exitCode: 1)
        let digest = FailureDigest.make(report: report, output: "", repositoryRoot: checkout.url)
        XCTAssertEqual(digest.referencedFiles, ["tests/test_calc.py"])
        XCTAssertFalse(digest.text.contains("secret"))
    }
}
