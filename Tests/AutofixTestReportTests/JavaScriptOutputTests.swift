import AutofixTestReport
import XCTest

/// node's test runner output captured from node 20 (TAP when not on a terminal, and the spec
/// reporter); jest is not installed here, so its samples follow jest 29's default reporter.
final class JavaScriptOutputTests: XCTestCase {
    private let root = Fixture.nodeProjectRoot

    func testNodeTAPAndSpecReportersAgree() {
        let tap = Fixture.report("node-tap-failing.txt", exitCode: 1, root: root)
        let spec = Fixture.report("node-spec-failing.txt", exitCode: 1, root: root)
        XCTAssertEqual(tap.framework, "node")
        XCTAssertEqual(spec.framework, "node")
        XCTAssertEqual(tap.failingIDs, ["multiplies", "parses", "group > inside fails"])
        XCTAssertEqual(spec.failingIDs, tap.failingIDs, "the suite's own line is not a test")
        XCTAssertEqual(spec.passingIDs, tap.passingIDs)
        XCTAssertEqual(tap.status("later"), .skipped)
        XCTAssertEqual(tap.totalCount, 6)
        XCTAssertEqual(spec.totalCount, 6)
    }

    func testNodeFailureDetails() {
        let tap = Fixture.report("node-tap-failing.txt", exitCode: 1, root: root)
        let multiplies = tap.result(for: "multiplies")
        XCTAssertEqual(multiplies?.message, "Expected values to be strictly equal:\n7 !== 12")
        XCTAssertEqual(multiplies?.assertion, "expected 12, actual 7 (strictEqual)")
        XCTAssertEqual(multiplies?.locations, [SourceLocation(path: "test/calc.test.js", line: 10)])
        let spec = Fixture.report("node-spec-failing.txt", exitCode: 1, root: root)
        XCTAssertEqual(spec.result(for: "parses")?.locations, [
            SourceLocation(path: "test/calc.test.js", line: 14), SourceLocation(path: "calc.js", line: 3),
        ])
        XCTAssertTrue(spec.result(for: "multiplies")?.message?.hasPrefix("AssertionError [ERR_ASSERTION]") == true)
    }

    func testNodePassingRuns() {
        for name in ["node-tap-passing.txt", "node-spec-passing.txt"] {
            let report = Fixture.report(name, exitCode: 0, root: root)
            XCTAssertTrue(report.allPassed, name)
            XCTAssertEqual(report.passingIDs, ["adds small numbers"], name)
            XCTAssertEqual(report.status("later"), .skipped, name)
        }
    }

    func testNodeAbortFailsTheFileAsAStandIn() {
        for name in ["node-tap-crash.txt", "node-spec-crash.txt"] {
            let report = Fixture.report(name, exitCode: 1, root: root)
            let file = report.result(for: "test/crash.test.js")
            XCTAssertEqual(file?.status, .errored, name)
            XCTAssertEqual(file?.isSynthetic, true, name)
            XCTAssertTrue(file?.locations.contains(SourceLocation(path: "test/crash.test.js", line: 9)) == true, name)
            XCTAssertNotNil(report.abnormalEnd, name)
        }
    }

    func testNodeInterruptedRuns() {
        let tap = Fixture.report("node-tap-interrupted.txt", exitCode: 130, root: root)
        XCTAssertEqual(tap.status("quick"), .passed)
        XCTAssertFalse(tap.allPassed)
        XCTAssertEqual(tap.abnormalEnd, "the output ended before the TAP plan line")
        let spec = Fixture.report("node-spec-interrupted.txt", exitCode: 124, timedOut: true, root: root)
        XCTAssertEqual(spec.status("quick"), .passed)
        XCTAssertEqual(spec.failingIDs, [TestReport.wholeRunID])
    }

    func testJestDefaultReporterNamesFailuresWithTheirFile() {
        let report = Fixture.report("jest-failing.txt", exitCode: 1)
        XCTAssertEqual(report.framework, "jest")
        XCTAssertEqual(report.failingIDs, ["src/mul.test.js › mul › multiplies", "src/mul.test.js › mul › parses a ratio"])
        let multiplies = report.result(for: "src/mul.test.js › mul › multiplies")
        XCTAssertEqual(multiplies?.message, "expect(received).toBe(expected) // Object.is equality\nExpected: 12\nReceived: 7")
        XCTAssertEqual(multiplies?.assertion, "expect(mul(3, 4)).toBe(12);")
        XCTAssertEqual(multiplies?.locations, [SourceLocation(path: "src/mul.test.js", line: 5)])
        XCTAssertEqual(report.result(for: "src/mul.test.js › mul › parses a ratio")?.locations, [
            SourceLocation(path: "src/mul.test.js", line: 13), SourceLocation(path: "src/calc.js", line: 2),
        ])
        XCTAssertEqual(report.totalCount, 6)
        XCTAssertFalse(report.listsPassingTests)
    }

    func testJestVerboseListsEveryTestUnderTheSameIDs() {
        let verbose = Fixture.report("jest-failing-verbose.txt", exitCode: 1)
        let plain = Fixture.report("jest-failing.txt", exitCode: 1)
        XCTAssertEqual(verbose.failingIDs, plain.failingIDs)
        XCTAssertTrue(verbose.listsPassingTests)
        XCTAssertEqual(verbose.status("src/add.test.js › add › adds small numbers"), .passed)
        XCTAssertEqual(verbose.status("src/mul.test.js › mul › later"), .skipped)
    }

    func testJestPassingRun() {
        let report = Fixture.report("jest-passing.txt", exitCode: 0)
        XCTAssertTrue(report.allPassed)
        XCTAssertEqual(report.totalCount, 5)
    }

    func testJestSuiteThatFailsToLoadIsAnError() {
        let report = Fixture.report("jest-suite-error.txt", exitCode: 1)
        let suite = report.result(for: "src/broken.test.js")
        XCTAssertEqual(suite?.status, .errored)
        XCTAssertEqual(suite?.message, "Cannot find module './missing' from 'src/broken.test.js'")
        XCTAssertEqual(suite?.locations, [SourceLocation(path: "src/broken.test.js", line: 1)], "jest-resolve frames are the framework's")
    }

    func testJestWorkerCrash() {
        let report = Fixture.report("jest-crash.txt", exitCode: 1)
        XCTAssertEqual(report.status("src/native.test.js"), .errored)
        XCTAssertEqual(report.abnormalEnd, "a jest worker crashed")
    }

    func testJestInterruptedWhileAFileRuns() {
        let report = Fixture.report("jest-interrupted.txt", exitCode: 130)
        XCTAssertEqual(report.status("src/slow.test.js"), .errored)
        XCTAssertFalse(report.allPassed)
    }
}

final class JestDetectionTests: XCTestCase {
    func testAShellScriptPrintingFAILIsNotMistakenForJest() {
        let output = "PASS greeting: hello\nFAIL greeting: expected 'Hello, Ada!' got 'Hello!'\n"
        let report = TestReportParser.parse(output: output, exitCode: 1)
        XCTAssertNotEqual(report.framework, "jest")
        XCTAssertFalse(report.allPassed)
    }
}
