import AutofixTestReport
import XCTest

/// Hand-written TAP (after the TAP 13 specification) and JUnit XML (after surefire's schema).
final class TAPAndJUnitTests: XCTestCase {
    func testTAPDirectivesAndDiagnostics() {
        let report = Fixture.report("tap-failing.txt", exitCode: 1)
        XCTAssertEqual(report.framework, "tap")
        XCTAssertEqual(report.failingIDs, ["multiplies", "divides"])
        XCTAssertEqual(report.status("parses"), .skipped)
        XCTAssertEqual(report.status("rounds half up"), .skipped, "a failing TODO test is expected to fail")
        XCTAssertEqual(report.status("test 6"), .passed, "a result without description is named by number")
        let multiplies = report.result(for: "multiplies")
        XCTAssertEqual(multiplies?.message, "expected 12, got 7")
        XCTAssertEqual(multiplies?.locations, [SourceLocation(path: "t/calc.t", line: 14)])
        XCTAssertEqual(report.totalCount, 6)
    }

    func testTAPPassing() {
        let report = Fixture.report("tap-passing.txt", exitCode: 0)
        XCTAssertEqual(report.framework, "tap")
        XCTAssertTrue(report.allPassed)
        XCTAssertEqual(report.status("parses"), .skipped, "directives are case-insensitive")
    }

    func testTAPBailOutFailsTheRun() {
        let report = Fixture.report("tap-bailout.txt", exitCode: 1)
        XCTAssertEqual(report.abnormalEnd, "bailed out: database is not reachable")
        XCTAssertEqual(report.failingIDs, [TestReport.wholeRunID])
        XCTAssertEqual(report.failing.first?.message, "bailed out: database is not reachable")
    }

    func testTAPRunShortOfItsPlanIsInterrupted() {
        let report = Fixture.report("tap-interrupted.txt", exitCode: 0)
        XCTAssertEqual(report.abnormalEnd, "the plan announced 5 tests but 2 reported")
        XCTAssertFalse(report.allPassed, "a run that stopped early never passes, whatever its exit code")
    }

    func testTAPCrash() {
        let report = Fixture.report("tap-crash.txt", exitCode: 139)
        XCTAssertEqual(report.status("adds small numbers"), .passed)
        XCTAssertFalse(report.allPassed)
        XCTAssertEqual(report.failingIDs, [TestReport.wholeRunID])
    }

    func testJUnitFailuresErrorsAndSkips() {
        let report = TestReportParser.parse(output: "", exitCode: 1, junitXMLFiles: [Fixture.url("junit-surefire.xml")])
        XCTAssertEqual(report.framework, "junit")
        XCTAssertEqual(report.status("com.example.CalcTest.adds"), .passed)
        XCTAssertEqual(report.status("com.example.CalcTest.multiplies"), .failed)
        XCTAssertEqual(report.status("com.example.CalcTest.divides"), .errored)
        XCTAssertEqual(report.status("com.example.CalcTest.later"), .skipped)
        let divides = report.result(for: "com.example.CalcTest.divides")
        XCTAssertEqual(divides?.message, "/ by zero")
        XCTAssertEqual(divides?.locations, [SourceLocation(path: "Calc.java", line: 12), SourceLocation(path: "CalcTest.java", line: 24)])
    }

    func testJUnitPrintedOnStandardOutputIsRead() {
        let report = TestReportParser.parse(output: Fixture.text("junit-surefire.xml"), exitCode: 1)
        XCTAssertEqual(report.framework, "junit")
        XCTAssertEqual(report.failingCount, 2)
    }

    func testTruncatedJUnitFileFallsBackToTheConsoleAndSaysSo() {
        let report = TestReportParser.parse(
            output: Fixture.text("tap-failing.txt"), exitCode: 1, junitXMLFiles: [Fixture.url("junit-truncated.xml")])
        XCTAssertEqual(report.framework, "tap")
        XCTAssertEqual(report.failingIDs, ["multiplies", "divides"])
        XCTAssertTrue(report.note?.contains("junit-truncated.xml unreadable") == true, report.note ?? "no note")
    }

    func testMissingJUnitFileIsNotedNotFatal() {
        let missing = URL(fileURLWithPath: "/nonexistent/report.xml")
        let report = TestReportParser.parse(output: "", exitCode: 0, junitXMLFiles: [missing])
        XCTAssertEqual(report.framework, "exit-code")
        XCTAssertTrue(report.allPassed)
        XCTAssertTrue(report.note?.contains("report.xml unreadable") == true)
    }
}
