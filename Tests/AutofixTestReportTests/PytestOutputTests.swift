import AutofixTestReport
import XCTest

/// Output captured from pytest 9 on a small project, in its default, -q, -v and -rA forms.
final class PytestOutputTests: XCTestCase {
    private let root = Fixture.pythonProjectRoot
    private let failing: Set<String> = [
        "tests/test_calc.py::test_mul", "tests/test_calc.py::test_mul_by_one[1]",
        "tests/test_calc.py::test_mul_by_one[2]", "tests/test_calc.py::test_mul_by_one[3]",
        "tests/test_calc.py::test_parse_ratio", "tests/test_calc.py::TestGroup::test_inside_class_fails",
        "tests/test_calc.py::test_with_database",
    ]

    func testPassingRunInDefaultAndQuietForm() {
        for name in ["pytest-passing.txt", "pytest-passing-q.txt"] {
            let report = Fixture.report(name, exitCode: 0, root: root)
            XCTAssertEqual(report.framework, "pytest", name)
            XCTAssertTrue(report.allPassed, name)
            XCTAssertEqual(report.totalCount, 3, name)
            XCTAssertFalse(report.listsPassingTests, "\(name) names no passing test")
        }
    }

    func testEveryFormNamesTheSameFailingTests() {
        for name in ["pytest-failing.txt", "pytest-failing-q.txt", "pytest-failing-v.txt", "pytest-failing-rA.txt"] {
            let report = Fixture.report(name, exitCode: 1, root: root)
            XCTAssertEqual(report.failingIDs, failing, name)
            XCTAssertEqual(report.totalCount, 10, name)
        }
    }

    func testVerboseAndReportAllFormsNamePassingTests() {
        for name in ["pytest-failing-v.txt", "pytest-failing-rA.txt"] {
            let report = Fixture.report(name, exitCode: 1, root: root)
            XCTAssertTrue(report.listsPassingTests, name)
            XCTAssertEqual(report.passingIDs, ["tests/test_calc.py::test_add", "tests/test_calc.py::TestGroup::test_inside_class"], name)
        }
        XCTAssertEqual(Fixture.report("pytest-failing-v.txt", exitCode: 1).status("tests/test_calc.py::test_later"), .skipped)
    }

    func testFailureSectionGivesMessageAssertionAndTracebackLocations() {
        let report = Fixture.report("pytest-failing.txt", exitCode: 1, root: root)
        let ratio = report.result(for: "tests/test_calc.py::test_parse_ratio")
        XCTAssertEqual(ratio?.message, "ZeroDivisionError: division by zero")
        XCTAssertEqual(ratio?.assertion, "assert parse_ratio(\"1/0\") == 0")
        XCTAssertEqual(ratio?.locations, [
            SourceLocation(path: "tests/test_calc.py", line: 20), SourceLocation(path: "calc/__init__.py", line: 11),
        ])
        let inClass = report.result(for: "tests/test_calc.py::TestGroup::test_inside_class_fails")
        XCTAssertEqual(inClass?.message?.components(separatedBy: "\n").first, "AssertionError: one plus one")
    }

    func testFixtureErrorIsAnError() {
        let report = Fixture.report("pytest-failing-q.txt", exitCode: 1, root: root)
        let setup = report.result(for: "tests/test_calc.py::test_with_database")
        XCTAssertEqual(setup?.status, .errored)
        XCTAssertEqual(setup?.message, "RuntimeError: database is not reachable")
        XCTAssertEqual(setup?.locations, [SourceLocation(path: "tests/test_calc.py", line: 25)])
    }

    func testSegfaultBlamesTheTestInTheFaultHandlerStack() {
        let report = Fixture.report("pytest-crash.txt", exitCode: 139, root: root)
        let crashed = report.result(for: "tests/test_crash.py::test_segfault")
        XCTAssertEqual(crashed?.status, .errored)
        XCTAssertEqual(crashed?.locations, [SourceLocation(path: "tests/test_crash.py", line: 12)])
        XCTAssertEqual(report.abnormalEnd, "Fatal Python error: Segmentation fault")
        XCTAssertFalse(report.allPassed)
        XCTAssertEqual(report.totalCount, 3)
    }

    func testKeyboardInterruptFailsTheWholeRunAtTheInterruptedLine() {
        let report = Fixture.report("pytest-interrupted.txt", exitCode: 2, root: root)
        XCTAssertEqual(report.abnormalEnd, "interrupted (KeyboardInterrupt)")
        let whole = report.result(for: TestReport.wholeRunID)
        XCTAssertEqual(whole?.status, .errored)
        XCTAssertEqual(whole?.isSynthetic, true)
        XCTAssertEqual(whole?.locations, [SourceLocation(path: "tests/test_slow.py", line: 11)])
    }

    func testJUnitXMLFileIsTrustedOverTheConsole() {
        let report = TestReportParser.parse(
            output: Fixture.text("pytest-failing-q.txt"), exitCode: 1, junitXMLFiles: [Fixture.url("pytest-junit.xml")],
            repositoryRoot: root)
        XCTAssertEqual(report.framework, "junit")
        XCTAssertEqual(report.totalCount, 10)
        XCTAssertEqual(report.failingCount, 7)
        XCTAssertEqual(report.status("tests.test_calc.test_add"), .passed)
        XCTAssertEqual(report.status("tests.test_calc.test_with_database"), .errored)
        XCTAssertEqual(report.status("tests.test_calc.test_later"), .skipped)
        XCTAssertEqual(report.result(for: "tests.test_calc.test_parse_ratio")?.locations, [
            SourceLocation(path: "tests/test_calc.py", line: 20), SourceLocation(path: "calc/__init__.py", line: 11),
        ])
    }

    func testParallelWorkersWithVerboseOutput() {
        let output = """
            ============================= test session starts ==============================
            created: 2/2 workers
            2 workers [3 items]

            [gw0] [ 33%] PASSED tests/test_calc.py::test_add
            [gw1] [ 66%] FAILED tests/test_calc.py::test_mul
            [gw0] [100%] SKIPPED tests/test_calc.py::test_later
            =================================== FAILURES ===================================
            ___________________________________ test_mul ___________________________________
            [gw1] linux -- Python 3.11.7 /usr/bin/python3

                def test_mul():
            >       assert mul(3, 4) == 12
            E       assert 7 == 12

            tests/test_calc.py:11: AssertionError
            =========================== short test summary info ============================
            FAILED tests/test_calc.py::test_mul - assert 7 == 12
            ==================== 1 failed, 1 passed, 1 skipped in 0.61s ====================
            """
        let report = TestReportParser.parse(output: output, exitCode: 1)
        XCTAssertEqual(report.framework, "pytest")
        XCTAssertEqual(report.failingIDs, ["tests/test_calc.py::test_mul"])
        XCTAssertEqual(report.passingIDs, ["tests/test_calc.py::test_add"])
        XCTAssertEqual(report.status("tests/test_calc.py::test_later"), .skipped)
        XCTAssertEqual(report.result(for: "tests/test_calc.py::test_mul")?.locations, [SourceLocation(path: "tests/test_calc.py", line: 11)])
        XCTAssertEqual(report.totalCount, 3)
    }
}
