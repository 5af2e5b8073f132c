import AutofixTestReport
import XCTest

/// Output captured from cargo 1.95 on a small crate.
final class CargoTestOutputTests: XCTestCase {
    private let root = Fixture.rustCrateRoot

    func testPassingRun() {
        let report = Fixture.report("cargo-passing.txt", exitCode: 0, root: root)
        XCTAssertEqual(report.framework, "cargo")
        XCTAssertTrue(report.allPassed)
        XCTAssertEqual(report.passingIDs, ["src/lib.rs::tests::adds"])
    }

    func testFailuresCarryThePanicMessageAndLocation() {
        let report = Fixture.report("cargo-failing.txt", exitCode: 101, root: root)
        XCTAssertEqual(report.failingIDs, [
            "src/lib.rs::tests::divides_by_zero", "src/lib.rs::tests::multiplies",
            "src/lib.rs::tests::multiplies_by_one", "src/lib.rs::tests::returns_error",
        ])
        let multiplies = report.result(for: "src/lib.rs::tests::multiplies")
        XCTAssertEqual(multiplies?.message, "assertion `left == right` failed\n  left: 7\n right: 12")
        XCTAssertEqual(multiplies?.locations, [SourceLocation(path: "src/lib.rs", line: 24)])
        XCTAssertEqual(report.result(for: "src/lib.rs::tests::divides_by_zero")?.locations, [SourceLocation(path: "src/lib.rs", line: 10)])
        XCTAssertEqual(report.result(for: "src/lib.rs::tests::returns_error")?.message, "Error: \"could not parse x\"")
        XCTAssertEqual(report.status("src/lib.rs::tests::panics_on_zero"), .passed, "should_panic suffix is not part of the id")
        XCTAssertEqual(report.status("src/lib.rs::tests::ignored"), .skipped)
        XCTAssertEqual(report.totalCount, 7)
    }

    func testCrashedTestBinaryStandsForItsTests() {
        let report = Fixture.report("cargo-crash.txt", exitCode: 101, root: root)
        let binary = report.result(for: "tests/crash.rs")
        XCTAssertEqual(binary?.status, .errored)
        XCTAssertEqual(binary?.isSynthetic, true)
        XCTAssertTrue(binary?.message?.contains("SIGABRT") == true)
        XCTAssertNotNil(report.abnormalEnd)
    }

    func testInterruptedRunFailsAsAWhole() {
        let report = Fixture.report("cargo-interrupted.txt", exitCode: 124, timedOut: true, root: root)
        XCTAssertEqual(report.status("tests/slow.rs::quick"), .passed)
        XCTAssertEqual(report.failingIDs, [TestReport.wholeRunID])
        XCTAssertEqual(report.totalCount, 2)
    }

    func testCompileErrorIsJudgedByExitCodeWithTheRustcLocation() {
        let report = Fixture.report("cargo-build-error.txt", exitCode: 101, root: root)
        XCTAssertEqual(report.framework, "exit-code")
        XCTAssertEqual(report.failing.first?.message, "build error: cannot find value `c` in this scope")
        XCTAssertEqual(report.failing.first?.locations, [SourceLocation(path: "src/lib.rs", line: 2)])
    }
}
