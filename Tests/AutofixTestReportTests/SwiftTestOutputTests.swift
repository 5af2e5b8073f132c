import AutofixTestReport
import XCTest

/// Output captured from `swift test` (Swift 6.3.1, Linux) on a small package with passing,
/// failing, throwing, crashing and hanging tests.
final class SwiftTestOutputTests: XCTestCase {
    private let root = Fixture.swiftPackageRoot

    func testXCTestPassingRunAllPassesAndCountsTheSkip() {
        let report = Fixture.report("xctest-passing.txt", exitCode: 0, root: root)
        XCTAssertEqual(report.framework, "xctest")
        XCTAssertTrue(report.allPassed)
        XCTAssertEqual(report.status("AddTests.testAddsSmallNumbers"), .passed)
        XCTAssertEqual(report.status("AddTests.testSkipped"), .skipped)
        XCTAssertEqual(report.result(for: "AddTests.testSkipped")?.message, "not on this platform")
        XCTAssertEqual(report.totalCount, 3)
    }

    func testXCTestFailuresCarryMessageAndRepositoryLocation() {
        let report = Fixture.report("xctest-failing.txt", exitCode: 1, root: root)
        XCTAssertFalse(report.allPassed)
        XCTAssertEqual(report.failingIDs, ["MulTests.testMultiplies", "MulTests.testMultipliesByOne", "DivTests.testDividesByZero"])
        let multiplies = report.result(for: "MulTests.testMultiplies")
        XCTAssertEqual(multiplies?.status, .failed)
        XCTAssertEqual(multiplies?.message, "XCTAssertEqual failed: (\"7\") is not equal to (\"12\")")
        XCTAssertEqual(multiplies?.locations, [SourceLocation(path: "Tests/CalcTests/MulTests.swift", line: 6)])
        XCTAssertEqual(report.status("MulTests.testMultipliesByZero"), .passed)
        XCTAssertEqual(report.totalCount, 8)
    }

    func testParallelRunNamesTheSameTestsAsASerialOne() {
        let parallel = Fixture.report("xctest-parallel-failing.txt", exitCode: 1, root: root)
        let serial = Fixture.report("xctest-failing.txt", exitCode: 1, root: root)
        XCTAssertEqual(parallel.failingIDs, serial.failingIDs)
        XCTAssertEqual(parallel.totalCount, 8)
        XCTAssertEqual(parallel.status("AddTests.testAddsSmallNumbers"), .passed)
        XCTAssertEqual(parallel.result(for: "MulTests.testMultiplies")?.locations,
                       [SourceLocation(path: "Tests/CalcTests/MulTests.swift", line: 6)])
    }

    func testXCTestThrownErrorIsAnError() {
        let report = Fixture.report("xctest-failing.txt", exitCode: 1, root: root)
        let thrown = report.result(for: "DivTests.testDividesByZero")
        XCTAssertEqual(thrown?.status, .errored)
        XCTAssertEqual(thrown?.message, "threw error \"divisionByZero\"")
        XCTAssertEqual(thrown?.locations, [], "<EXPR>:0 is no place in the repository")
    }

    func testXCTestCrashBlamesTheRunningTestWithItsBacktrace() {
        let report = Fixture.report("xctest-crash.txt", exitCode: 1, root: root)
        XCTAssertEqual(report.status("CrashTests.testBefore"), .passed)
        let crashed = report.result(for: "CrashTests.testRootOfNegative")
        XCTAssertEqual(crashed?.status, .errored)
        XCTAssertTrue(crashed?.message?.contains("Precondition failed: negative input") == true, "\(crashed?.message ?? "nil")")
        XCTAssertEqual(crashed?.locations, [
            SourceLocation(path: "Tests/CalcTests/CrashTests.swift", line: 9),
            SourceLocation(path: "Sources/Calc/Calc.swift", line: 9),
        ])
        XCTAssertNotNil(report.abnormalEnd)
        XCTAssertFalse(report.allPassed)
    }

    func testXCTestInterruptedRunMarksTheHangingTestUnfinished() {
        let report = Fixture.report("xctest-interrupted-tty.txt", exitCode: 130, timedOut: true, root: root)
        XCTAssertEqual(report.framework, "xctest")
        XCTAssertEqual(report.status("SlowTests.testAQuick"), .passed)
        XCTAssertEqual(report.status("SlowTests.testBHangs"), .errored)
        XCTAssertEqual(report.result(for: "SlowTests.testBHangs")?.message, "did not finish before the time limit")
        XCTAssertEqual(report.failingIDs, ["SlowTests.testBHangs"])
    }

    func testKilledRunWhoseOutputWasStillBufferedFallsBackToTheExitCode() {
        // A killed xctest process never flushed its stdout: only the build lines remain.
        let report = Fixture.report("xctest-interrupted.txt", exitCode: 124, timedOut: true, root: root)
        XCTAssertEqual(report.framework, "exit-code")
        XCTAssertEqual(report.failingIDs, [TestReport.wholeRunID])
        XCTAssertEqual(report.failing.first?.message, "the test command did not finish before the time limit")
        XCTAssertTrue(report.note?.contains("judged by exit code") == true)
    }

    func testSwiftTestingPassingRun() {
        let report = Fixture.report("swift-testing-passing.txt", exitCode: 0, root: root)
        XCTAssertEqual(report.framework, "swift-testing")
        XCTAssertTrue(report.allPassed)
        XCTAssertEqual(Set(report.ids), ["freeFunctionPasses()", "addsSmallNumbers()", "addsZero(value:)", "disabled()"])
        XCTAssertEqual(report.status("disabled()"), .skipped)
        XCTAssertEqual(report.result(for: "disabled()")?.message, "not ready")
    }

    func testSwiftTestingIssuesGiveMessageAssertionAndLocation() {
        let report = Fixture.report("swift-testing-failing.txt", exitCode: 1, root: root)
        XCTAssertEqual(report.failingIDs, ["multiplies()", "multiplies by one", "doubles(value:)", "dividesByZero()", "requiresPositive()"])
        let named = report.result(for: "multiplies by one")
        XCTAssertEqual(named?.status, .failed)
        XCTAssertEqual(named?.message, "Expectation failed: (Calc.mul(7, 1) → 8) == 7\none is the identity")
        XCTAssertEqual(named?.assertion, "(Calc.mul(7, 1) → 8) == 7")
        XCTAssertEqual(named?.locations, [SourceLocation(path: "ExpectTests.swift", line: 12)])
        XCTAssertEqual(report.status("dividesByZero()"), .errored, "a caught error is an error, not a failed expectation")
        XCTAssertEqual(report.status("addsZero(value:)"), .passed)
        XCTAssertEqual(report.declaredTotal, 8)
    }

    func testSwiftTestingCrashBlamesTheTestOnTheCrashedThread() {
        let report = Fixture.report("swift-testing-crash.txt", exitCode: 1, root: root)
        let crashed = report.result(for: "rootOfNegative()")
        XCTAssertEqual(crashed?.status, .errored)
        XCTAssertTrue(crashed?.message?.contains("Precondition failed: negative input") == true)
        XCTAssertEqual(crashed?.locations.last, SourceLocation(path: "Sources/Calc/Calc.swift", line: 9))
        // The other test running in parallel did not finish either, but was not to blame.
        XCTAssertEqual(report.status("hangs()"), .errored)
        XCTAssertEqual(report.result(for: "hangs()")?.locations, [])
    }

    func testSwiftTestingInterruptedInATerminalIsReadThroughColourCodes() {
        let report = Fixture.report("swift-testing-interrupted-tty.txt", exitCode: 130, root: root)
        XCTAssertEqual(report.framework, "swift-testing")
        XCTAssertEqual(report.status("addsSmallNumbers()"), .passed)
        XCTAssertEqual(report.status("multiplies()"), .failed)
        XCTAssertEqual(report.status("hangs()"), .errored)
        XCTAssertTrue(report.result(for: "hangs()")?.message?.hasPrefix("did not finish") == true)
        XCTAssertNotNil(report.abnormalEnd, "exit status 130 is an interrupt")
        XCTAssertFalse(report.ids.contains { $0.contains("\u{1B}") })
    }

    func testDefaultSwiftTestRunHoldsBothLibraries() {
        let report = Fixture.report("swift-test-mixed-failing.txt", exitCode: 1, root: root)
        XCTAssertEqual(report.framework, "xctest+swift-testing")
        XCTAssertEqual(report.failingCount, 7)
        XCTAssertEqual(report.status("MulTests.testMultiplies"), .failed)
        XCTAssertEqual(report.status("multiplies()"), .failed)
        XCTAssertEqual(report.totalCount, 14)
    }

    func testBuildFailureIsJudgedByExitCodeWithCompilerLocations() {
        let report = Fixture.report("swift-build-error.txt", exitCode: 1, root: root)
        XCTAssertEqual(report.framework, "exit-code")
        XCTAssertEqual(report.failing.first?.message, "build error: cannot find 'c' in scope")
        XCTAssertEqual(report.failing.first?.locations, [
            SourceLocation(path: "Sources/Calc/Calc.swift", line: 2), SourceLocation(path: "Sources/Calc/Calc.swift", line: 3),
        ])
    }
}
