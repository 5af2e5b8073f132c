import AutofixTestReport
import XCTest

final class ReportComparisonTests: XCTestCase {
    private func report(
        _ statuses: [(String, TestStatus)], framework: String = "xctest", exitCode: Int32? = nil,
        listsPassing: Bool = true, declaredTotal: Int? = nil, abnormalEnd: String? = nil
    ) -> TestReport {
        let failing = statuses.contains { $0.1 == .failed || $0.1 == .errored }
        return TestReport(
            framework: framework, cases: statuses.map { TestCaseResult(id: $0.0, status: $0.1) },
            exitCode: exitCode ?? (failing ? 1 : 0), abnormalEnd: abnormalEnd, listsPassingTests: listsPassing,
            declaredTotal: declaredTotal)
    }

    func testFixingOneOfTwoIsAnImprovement() {
        let before = report([("a", .failed), ("b", .failed), ("c", .passed)])
        let after = report([("a", .passed), ("b", .failed), ("c", .passed)])
        let comparison = ReportComparison(before: before, after: after)
        XCTAssertEqual(comparison.newlyPassing, ["a"])
        XCTAssertEqual(comparison.stillFailing, ["b"])
        XCTAssertEqual(comparison.newlyFailing, [])
        XCTAssertTrue(comparison.isImprovement)
    }

    func testBreakingAPassingTestIsNoImprovementEvenWithFewerFailures() {
        let before = report([("a", .failed), ("b", .failed), ("c", .passed)])
        let after = report([("a", .passed), ("b", .passed), ("c", .failed)])
        let comparison = ReportComparison(before: before, after: after)
        XCTAssertEqual(comparison.newlyFailing, ["c"])
        XCTAssertFalse(comparison.isImprovement)
        XCTAssertTrue(comparison.isRegression)
    }

    func testDeletingOrSkippingAFailingTestIsNotAFix() {
        let before = report([("a", .failed), ("b", .failed)])
        let deleted = ReportComparison(before: before, after: report([("a", .passed)]))
        XCTAssertEqual(deleted.missing, ["b"])
        XCTAssertFalse(deleted.isImprovement)
        let skipped = ReportComparison(before: before, after: report([("a", .passed), ("b", .skipped)]))
        XCTAssertEqual(skipped.missing, ["b"])
        XCTAssertFalse(skipped.isImprovement)
    }

    func testSameFailuresIsNoImprovement() {
        let before = report([("a", .failed)])
        let comparison = ReportComparison(before: before, after: before)
        XCTAssertEqual(comparison.stillFailing, ["a"])
        XCTAssertFalse(comparison.isImprovement)
        XCTAssertFalse(comparison.isRegression)
    }

    func testFormatsThatNameOnlyFailuresVouchForTestsTheyNoLongerName() {
        let before = report([("t.py::a", .failed), ("t.py::b", .failed)], framework: "pytest", listsPassing: false, declaredTotal: 5)
        let after = report([("t.py::b", .failed)], framework: "pytest", listsPassing: false, declaredTotal: 5)
        let comparison = ReportComparison(before: before, after: after)
        XCTAssertEqual(comparison.newlyPassing, ["t.py::a"])
        XCTAssertTrue(comparison.isImprovement)

        let fewerTests = report([("t.py::b", .failed)], framework: "pytest", listsPassing: false, declaredTotal: 4)
        XCTAssertFalse(ReportComparison(before: before, after: fewerTests).isImprovement, "a test went missing")
    }

    func testARunThatStoppedEarlyVouchesForNothing() {
        let before = report([("a", .failed), ("b", .failed)], listsPassing: false, declaredTotal: 3)
        let crashed = report([("b", .failed)], listsPassing: false, declaredTotal: 3, abnormalEnd: "the test process crashed")
        let comparison = ReportComparison(before: before, after: crashed)
        XCTAssertEqual(comparison.missing, ["a"])
        XCTAssertFalse(comparison.isImprovement)
    }

    func testExitCodeFallbackImprovesOnlyFromFailToPass() {
        let failing = TestReportParser.parse(output: "3 widgets wrong", exitCode: 1)
        let stillFailing = TestReportParser.parse(output: "1 widget wrong", exitCode: 1)
        let passing = TestReportParser.parse(output: "all widgets right", exitCode: 0)
        XCTAssertTrue(ReportComparison(before: failing, after: passing).isImprovement)
        XCTAssertEqual(ReportComparison(before: failing, after: passing).newlyPassing, [TestReport.wholeRunID])
        XCTAssertFalse(ReportComparison(before: failing, after: stillFailing).isImprovement,
                       "one stand-in test cannot show fewer failures")
        XCTAssertFalse(ReportComparison(before: passing, after: failing).isImprovement)
        XCTAssertEqual(ReportComparison(before: passing, after: failing).newlyFailing, [TestReport.wholeRunID])
    }

    func testFallbackAfterARealReportCannotVouchForItsTests() {
        let before = Fixture.report("xctest-failing.txt", exitCode: 1)
        let broken = Fixture.report("swift-build-error.txt", exitCode: 1)
        let comparison = ReportComparison(before: before, after: broken)
        XCTAssertEqual(comparison.newlyFailing, [TestReport.wholeRunID])
        XCTAssertEqual(Set(comparison.stillFailing), before.failingIDs)
        XCTAssertFalse(comparison.isImprovement)
    }

    func testFixingTheBuildSoEveryTestPassesIsAnImprovement() {
        let broken = Fixture.report("swift-build-error.txt", exitCode: 1)
        let fixed = Fixture.report("xctest-passing.txt", exitCode: 0)
        let comparison = ReportComparison(before: broken, after: fixed)
        XCTAssertEqual(comparison.newlyPassing, [TestReport.wholeRunID])
        XCTAssertTrue(comparison.isImprovement)
    }

    func testCrashedBinaryStandInIsResolvedByACompleteRun() {
        let crashed = Fixture.report("cargo-crash.txt", exitCode: 101)
        let fixed = TestReport(
            framework: "cargo",
            cases: [TestCaseResult(id: "tests/crash.rs::before_abort", status: .passed),
                    TestCaseResult(id: "tests/crash.rs::aborts", status: .passed)],
            exitCode: 0)
        let comparison = ReportComparison(before: crashed, after: fixed)
        XCTAssertEqual(comparison.newlyPassing, ["tests/crash.rs"])
        XCTAssertTrue(comparison.isImprovement)
    }

    func testRealRunsCrashFixed() {
        // Before: the crash; after: the tests that ran before it pass and the crash is gone.
        let before = Fixture.report("xctest-crash.txt", exitCode: 1)
        let after = TestReport(
            framework: "xctest",
            cases: ["CrashTests.testBefore", "CrashTests.testRootOfNegative", "CrashTests.testZAfter"]
                .map { TestCaseResult(id: $0, status: .passed) },
            exitCode: 0)
        XCTAssertTrue(ReportComparison(before: before, after: after).isImprovement)
    }
}

extension ReportComparisonTests {
    func testFixingACollectionErrorIsAnImprovementEvenWhenEveryTestIsNamed() {
        let broken = TestReportParser.parse(output: """
            ==================================== ERRORS ====================================
            ______________________ ERROR collecting tests/test_io.py _______________________
            tests/test_io.py:1: in <module>
                import missing
            E   ModuleNotFoundError: No module named 'missing'
            =========================== short test summary info ============================
            PASSED tests/test_calc.py::test_add
            ERROR tests/test_io.py
            ========================== 1 passed, 1 error in 0.12s ==========================
            """, exitCode: 2)
        XCTAssertEqual(broken.framework, "pytest")
        XCTAssertEqual(broken.result(for: "tests/test_io.py")?.status, .errored)
        XCTAssertEqual(broken.result(for: "tests/test_io.py")?.message, "ModuleNotFoundError: No module named 'missing'")
        let fixed = TestReportParser.parse(output: """
            =========================== short test summary info ============================
            PASSED tests/test_calc.py::test_add
            PASSED tests/test_io.py::test_reads
            ============================== 2 passed in 0.10s ===============================
            """, exitCode: 0)
        XCTAssertTrue(ReportComparison(before: broken, after: fixed).isImprovement)
    }
}

extension ReportComparisonTests {
    func testFixingACrashMayRevealAFailureBehindIt() {
        let crashed = Fixture.report("xctest-crash.txt", exitCode: 1)
        let after = TestReport(
            framework: "xctest",
            cases: [TestCaseResult(id: "CrashTests.testBefore", status: .passed),
                    TestCaseResult(id: "CrashTests.testRootOfNegative", status: .passed),
                    TestCaseResult(id: "CrashTests.testZAfter", status: .failed)],
            exitCode: 1)
        let comparison = ReportComparison(before: crashed, after: after)
        XCTAssertEqual(comparison.revealed, ["CrashTests.testZAfter"])
        XCTAssertEqual(comparison.newlyFailing, [])
        XCTAssertEqual(comparison.newlyPassing, ["CrashTests.testRootOfNegative"])
        XCTAssertTrue(comparison.isImprovement)
    }

    func testANewFailingTestAfterACompleteRunIsNewlyFailing() {
        let before = report([("a", .failed), ("b", .passed)])
        let after = report([("a", .passed), ("b", .passed), ("c", .failed)])
        let comparison = ReportComparison(before: before, after: after)
        XCTAssertEqual(comparison.revealed, [])
        XCTAssertEqual(comparison.newlyFailing, ["c"])
        XCTAssertFalse(comparison.isImprovement)
    }
}

/// A run whose build or collection failed ran no test: every test counts as failing, and a
/// change after which the tests run and fewer fail is progress, whatever fails then.
extension ReportComparisonTests {
    func testFixingACollectionErrorIsProgressEvenWhenSomeTestsStillFail() {
        let broken = Fixture.report("pytest9-collection-error-q.txt", exitCode: 2)
        let collected = Fixture.report("pytest9-collected-failing-q.txt", exitCode: 1)
        let comparison = ReportComparison(before: broken, after: collected)
        XCTAssertEqual(comparison.newlyFailing, [], "nothing ran before, so nothing broke")
        XCTAssertEqual(Set(comparison.revealed), ["test_calc.py::test_add", "test_calc.py::test_add_negative"])
        XCTAssertEqual(comparison.beforeFailingCount, 3, "all three tests counted failing")
        XCTAssertTrue(comparison.isImprovement)
    }

    func testFixingTheBuildWithSomeTestsPassingIsProgress() {
        let broken = Fixture.report("swift-build-error.txt", exitCode: 1)
        let building = Fixture.report("xctest-failing.txt", exitCode: 1)
        XCTAssertTrue(broken.stoppedBeforeTests)
        XCTAssertFalse(building.passingIDs.isEmpty)
        let comparison = ReportComparison(before: broken, after: building)
        XCTAssertEqual(comparison.newlyFailing, [])
        XCTAssertTrue(comparison.isImprovement)
    }

    func testFixingTheBuildWhenEveryTestThenFailsIsNotProgress() {
        let broken = Fixture.report("swift-build-error.txt", exitCode: 1)
        let allFail = report([("a", .failed), ("b", .failed)])
        XCTAssertFalse(ReportComparison(before: broken, after: allFail).isImprovement)
    }

    func testAPackageThatDidNotBuildRevealsOnlyItsOwnTests() {
        let before = TestReport(framework: "go", cases: [
            TestCaseResult(id: "example.com/calc", status: .errored, isSynthetic: true),
            TestCaseResult(id: "example.com/util.TestTrim", status: .failed),
        ], exitCode: 1, listsPassingTests: false)
        let after = TestReport(framework: "go", cases: [
            TestCaseResult(id: "example.com/calc.TestAdd", status: .failed),
            TestCaseResult(id: "example.com/strings.TestJoin", status: .failed),
        ], exitCode: 1, listsPassingTests: false)
        let comparison = ReportComparison(before: before, after: after)
        XCTAssertEqual(comparison.revealed, ["example.com/calc.TestAdd"])
        XCTAssertEqual(comparison.newlyFailing, ["example.com/strings.TestJoin"], "a package that built before may have passed")
    }
}
