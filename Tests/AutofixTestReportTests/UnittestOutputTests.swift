import AutofixTestReport
import AutofixTestSupport
import XCTest

/// Python's unittest runner, from output captured with Python 3.11.
final class UnittestOutputTests: XCTestCase {
    private let root = URL(fileURLWithPath: "/home/dev/project")

    private let plain = """
        FEs.
        ======================================================================
        ERROR: test_error (test_calc.CalcTests.test_error)
        ----------------------------------------------------------------------
        Traceback (most recent call last):
          File "/home/dev/project/test_calc.py", line 13, in test_error
            raise ValueError("boom")
        ValueError: boom

        ======================================================================
        FAIL: test_add (test_calc.CalcTests.test_add)
        ----------------------------------------------------------------------
        Traceback (most recent call last):
          File "/home/dev/project/test_calc.py", line 7, in test_add
            self.assertEqual(add(2, 3), 5)
        AssertionError: -1 != 5

        ----------------------------------------------------------------------
        Ran 4 tests in 0.001s

        FAILED (failures=1, errors=1, skipped=1)

        """

    func testDefaultOutputGivesFailuresErrorsMessagesAndLocations() {
        let report = TestReportParser.parse(output: plain, exitCode: 1, repositoryRoot: root)
        XCTAssertEqual(report.framework, "unittest")
        XCTAssertEqual(report.failingIDs, ["test_calc.CalcTests.test_add", "test_calc.CalcTests.test_error"])
        XCTAssertEqual(report.failingCount, 2)
        let add = report.cases.first { $0.id == "test_calc.CalcTests.test_add" }
        XCTAssertEqual(add?.status, .failed)
        XCTAssertEqual(add?.message, "AssertionError: -1 != 5")
        XCTAssertEqual(add?.locations, [SourceLocation(path: "test_calc.py", line: 7)])
        XCTAssertEqual(report.cases.first { $0.id == "test_calc.CalcTests.test_error" }?.status, .errored)
    }

    func testVerboseOutputListsPassingAndSkippedTests() {
        let verbose = """
            test_add (test_calc.CalcTests.test_add) ... FAIL
            test_error (test_calc.CalcTests.test_error) ... ERROR
            test_skip (test_calc.CalcTests.test_skip) ... skipped 'later'
            test_zero (test_calc.CalcTests.test_zero) ... ok

            """ + plain.split(separator: "\n", omittingEmptySubsequences: false).dropFirst().joined(separator: "\n")
        let report = TestReportParser.parse(output: verbose, exitCode: 1, repositoryRoot: root)
        XCTAssertEqual(report.passingIDs, ["test_calc.CalcTests.test_zero"])
        XCTAssertEqual(report.cases.first { $0.id == "test_calc.CalcTests.test_skip" }?.status, .skipped)
        XCTAssertEqual(report.failingCount, 2)
    }

    func testOlderPythonIdsWithoutTheMethodAreCompleted() {
        let old = "F\n======================================================================\nFAIL: test_add (test_calc.CalcTests)\n----------------------------------------------------------------------\nAssertionError: 1 != 2\n\n----------------------------------------------------------------------\nRan 1 test in 0.000s\n\nFAILED (failures=1)\n"
        XCTAssertEqual(TestReportParser.parse(output: old, exitCode: 1).failingIDs, ["test_calc.CalcTests.test_add"])
    }

    func testLiveUnittestRunFromFailureToFix() throws {
        let repository = try TestRepository(prefix: "live-unittest")
        try repository.write("calc.py", "def add(a, b):\n    return a - b\n")
        try repository.write("test_calc.py", """
            import unittest
            from calc import add


            class CalcTests(unittest.TestCase):
                def test_add(self):
                    self.assertEqual(add(2, 3), 5)

                def test_zero(self):
                    self.assertEqual(add(0, 0), 0)

            """)
        func run() throws -> TestReport {
            var environment = Hermetic.environment
            environment["PYTHONDONTWRITEBYTECODE"] = "1"
            let output = try Shell.run(["python3", "-m", "unittest", "-v"], in: repository.url, environment: environment)
            return TestReportParser.parse(output: output.stdout + output.stderr, exitCode: output.status, repositoryRoot: repository.url)
        }
        let before = try run()
        XCTAssertEqual(before.framework, "unittest")
        XCTAssertEqual(before.failingIDs, ["test_calc.CalcTests.test_add"])
        XCTAssertEqual(before.passingIDs, ["test_calc.CalcTests.test_zero"])
        try repository.write("calc.py", "def add(a, b):\n    return a + b\n")
        let after = try run()
        XCTAssertTrue(after.allPassed)
        XCTAssertTrue(ReportComparison(before: before, after: after).isImprovement)
    }
}
