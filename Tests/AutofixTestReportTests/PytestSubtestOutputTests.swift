import AutofixTestReport
import XCTest

/// Output captured from pytest 9.2 on a small project whose tests use subtests: the `subtests`
/// fixture in test_parse.py and unittest's `subTest` in test_units.py, failing (one subtest of
/// each) and then fixed; and the -q counts of a run that names only its failures.
final class PytestSubtestOutputTests: XCTestCase {
    private let failingSubtests: Set<String> = [
        "test_parse.py::test_parse_numbers [parse] (text='-4')",
        "test_parse.py::test_parse_numbers",
        "test_units.py::TestParity::test_even (n=4)",
    ]

    func testAUnittestSubtestFailureThatOnlyASubfailedLineReportsIsATestOfItsOwn() {
        let report = Fixture.report("pytest9-subtests-unittest-failing-q.txt", exitCode: 1)
        XCTAssertEqual(report.framework, "pytest")
        XCTAssertEqual(report.failingIDs, ["test_units.py::TestParity::test_even (n=4)"])
        let failure = report.failing.first
        XCTAssertEqual(failure?.message, "AssertionError: False is not true")
        XCTAssertEqual(failure?.locations.map(\.path), ["test_units.py"])
        XCTAssertEqual(failure?.locations.map(\.line), [10])
    }

    func testQuietAndVerboseFormsNameTheSameFailingSubtests() {
        for name in ["pytest9-subtests-failing-q.txt", "pytest9-subtests-failing-v.txt"] {
            let report = Fixture.report(name, exitCode: 1)
            XCTAssertEqual(report.framework, "pytest", name)
            XCTAssertEqual(report.failingIDs, failingSubtests, name)
            XCTAssertEqual(report.result(for: "test_parse.py::test_parse_numbers [parse] (text='-4')")?.message,
                           "AssertionError: assert 0 == -4\n+  where 0 = parse('-4')", name)
            XCTAssertEqual(report.passingCount, 3, "\(name): pytest counted 3 passed tests")
        }
        let verbose = Fixture.report("pytest9-subtests-failing-v.txt", exitCode: 1)
        XCTAssertEqual(verbose.status("test_parse.py::test_parse_numbers [parse] (text='1')"), .passed)
    }

    func testFixingTheSubtestsIsAnImprovement() {
        for (failingName, passingName) in [("pytest9-subtests-failing-q.txt", "pytest9-subtests-passing-q.txt"),
                                           ("pytest9-subtests-unittest-failing-q.txt", "pytest9-subtests-unittest-passing-q.txt")] {
            let before = Fixture.report(failingName, exitCode: 1)
            let after = Fixture.report(passingName, exitCode: 0)
            XCTAssertTrue(after.allPassed, passingName)
            let comparison = ReportComparison(before: before, after: after)
            XCTAssertEqual(Set(comparison.newlyPassing), before.failingIDs, failingName)
            XCTAssertEqual(comparison.missing, [], "subtests that passed are counted, so no test vanished")
            XCTAssertTrue(comparison.isImprovement, failingName)
        }
    }

    func testQuietFormCountsThePassingTestsItDoesNotName() {
        XCTAssertEqual(Fixture.report("pytest-passing-q.txt", exitCode: 0).passingCount, 2)
        XCTAssertEqual(Fixture.report("pytest-failing-q.txt", exitCode: 1).passingCount, 2)
        XCTAssertEqual(Fixture.report("pytest9-subtests-passing-q.txt", exitCode: 0).passingCount, 4,
                       "4 passed; the 9 subtests are counted apart")
    }

    func testACollectionErrorMeansNoTestRan() {
        let broken = Fixture.report("pytest9-collection-error-q.txt", exitCode: 2)
        XCTAssertTrue(broken.stoppedBeforeTests)
        XCTAssertEqual(broken.failingIDs, ["test_calc.py"])
        XCTAssertFalse(Fixture.report("pytest9-collected-failing-q.txt", exitCode: 1).stoppedBeforeTests)
    }

    func testATestStillRunningWhenTheTimeLimitHitIsNamed() {
        let cut = TestReportParser.parse(output: """
            ============================= test session starts ==============================
            collecting ... collected 3 items

            test_calc.py::test_add PASSED                                            [ 33%]
            test_calc.py::test_slow\u{20}
            """, exitCode: nil, timedOut: true)
        XCTAssertEqual(cut.unfinishedTests, ["test_calc.py::test_slow"])
        XCTAssertEqual(cut.status("test_calc.py::test_slow"), .errored)
    }
}
