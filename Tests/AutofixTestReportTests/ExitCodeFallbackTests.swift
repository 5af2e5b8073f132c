import AutofixTestReport
import XCTest

final class ExitCodeFallbackTests: XCTestCase {
    private let unknownOutput = "checking widgets\nwidget 3 is wrong\n"

    func testUnknownOutputWithCleanExitPasses() {
        let report = TestReportParser.parse(output: unknownOutput, exitCode: 0)
        XCTAssertEqual(report.framework, "exit-code")
        XCTAssertTrue(report.allPassed)
        XCTAssertEqual(report.passingIDs, [TestReport.wholeRunID])
        XCTAssertEqual(report.note, "no known test output format; judged by exit code 0")
    }

    func testUnknownOutputWithFailingExitIsOneFailingStandIn() {
        let report = TestReportParser.parse(output: unknownOutput, exitCode: 2)
        XCTAssertEqual(report.failingCount, 1)
        XCTAssertEqual(report.failing.first?.id, TestReport.wholeRunID)
        XCTAssertEqual(report.failing.first?.isSynthetic, true)
        XCTAssertEqual(report.failing.first?.message, "the test command exited with status 2")
        XCTAssertEqual(report.note, "no known test output format; judged by exit code 2")
    }

    func testTimeoutFailsEvenWithACleanExit() {
        let report = TestReportParser.parse(output: unknownOutput, exitCode: 0, timedOut: true)
        XCTAssertFalse(report.allPassed)
        XCTAssertEqual(report.failing.first?.message, "the test command did not finish before the time limit")
    }

    func testSignalExitStatusIsACrash() {
        let report = TestReportParser.parse(output: unknownOutput, exitCode: 139)
        XCTAssertEqual(report.abnormalEnd, "the test command ended by SIGSEGV (exit status 139)")
        XCTAssertFalse(report.allPassed)
    }

    func testRecognisedRunThatExitsNonZeroWithoutFailuresStillFails() {
        // e.g. a coverage threshold or a linter run after the tests.
        let report = Fixture.report("xctest-passing.txt", exitCode: 1)
        XCTAssertFalse(report.allPassed)
        XCTAssertEqual(report.failingIDs, [TestReport.wholeRunID])
        XCTAssertEqual(report.failing.first?.message, "the test command exited with status 1 but no test reported a failure")
    }

    func testEmptyOutputAndUnknownExit() {
        let report = TestReportParser.parse(output: "", exitCode: nil)
        XCTAssertEqual(report.framework, "exit-code")
        XCTAssertFalse(report.allPassed, "an unknown exit status proves nothing")
        XCTAssertEqual(report.note, "no known test output format; judged by exit code unknown")
    }
}

extension ExitCodeFallbackTests {
    func testTestsNamedAfterCrashesDoNotMakeARunAbnormal() {
        let output = """
            tests/test_signals.py::test_handles_KeyboardInterrupt PASSED             [ 50%]
            tests/test_signals.py::test_reports_Segmentation_fault_text PASSED      [100%]
            =========================== short test summary info ============================
            PASSED tests/test_signals.py::test_handles_KeyboardInterrupt
            PASSED tests/test_signals.py::test_reports_Segmentation_fault_text
            ============================== 2 passed in 0.01s ===============================
            log: child said "Segmentation fault" and "KeyboardInterrupt" in its output, on purpose
            Aborted transaction 12 was rolled back as expected
            Segmentation fault handler installed
            """
        let report = TestReportParser.parse(output: output, exitCode: 0)
        XCTAssertNil(report.abnormalEnd)
        XCTAssertTrue(report.allPassed)
    }

    func testShellReportOfASegfaultOrAbortIsACrash() {
        let segfault = TestReportParser.parse(output: "running checks\nbash: line 1:  4242 Segmentation fault      ./checks\n", exitCode: 1)
        XCTAssertEqual(segfault.abnormalEnd, "the test process crashed (segmentation fault)")
        let abort = TestReportParser.parse(output: "running checks\nAborted (core dumped)\n", exitCode: 1)
        XCTAssertEqual(abort.abnormalEnd, "the test process crashed (aborted)")
    }
}
