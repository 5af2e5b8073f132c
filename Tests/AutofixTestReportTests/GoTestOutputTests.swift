import AutofixTestReport
import XCTest

/// go is not installed here: these samples follow `go test` output as documented by
/// `go help test` / `go doc test2json` and as go 1.22 prints it.
final class GoTestOutputTests: XCTestCase {
    private let root = Fixture.goModuleRoot

    func testPassingPackagesWithoutVerboseOutput() {
        let report = Fixture.report("go-passing.txt", exitCode: 0, root: root)
        XCTAssertEqual(report.framework, "go")
        XCTAssertTrue(report.allPassed)
        XCTAssertFalse(report.listsPassingTests)
    }

    func testVerboseFailuresWithSubtestsAndPackages() {
        let report = Fixture.report("go-failing-v.txt", exitCode: 1, root: root)
        XCTAssertEqual(report.failingIDs, ["example.com/calc.TestMul", "example.com/calc.TestTable", "example.com/calc.TestTable/one"])
        XCTAssertEqual(report.status("example.com/calc.TestTable/zero"), .passed)
        XCTAssertEqual(report.status("example.com/calc.TestLater"), .skipped)
        XCTAssertEqual(report.status("example.com/calc/parse.TestParse"), .passed)
        let mul = report.result(for: "example.com/calc.TestMul")
        XCTAssertEqual(mul?.message, "Mul(3, 4) = 7, want 12")
        XCTAssertEqual(mul?.locations, [SourceLocation(path: "calc_test.go", line: 14)])
    }

    func testPlainFailuresNameTheSameTestsAsVerbose() {
        let plain = Fixture.report("go-failing.txt", exitCode: 1, root: root)
        let verbose = Fixture.report("go-failing-v.txt", exitCode: 1, root: root)
        XCTAssertEqual(plain.failingIDs, verbose.failingIDs)
        XCTAssertEqual(plain.result(for: "example.com/calc.TestTable/one")?.message, "Mul(1, 1) = 2, want 1")
        XCTAssertFalse(plain.listsPassingTests)
    }

    func testPanicIsAnErrorWithTheRepositoryFramesOfTheGoroutine() {
        let report = Fixture.report("go-crash.txt", exitCode: 1, root: root)
        let panicked = report.result(for: "example.com/calc.TestIndex")
        XCTAssertEqual(panicked?.status, .errored)
        XCTAssertTrue(panicked?.message?.hasPrefix("panic: runtime error: index out of range") == true)
        XCTAssertEqual(panicked?.locations, [
            SourceLocation(path: "calc_test.go", line: 40), SourceLocation(path: "calc.go", line: 12),
        ])
        XCTAssertEqual(report.status("example.com/calc.TestAdd"), .passed)
        XCTAssertNotNil(report.abnormalEnd)
    }

    func testGoTimeoutBlamesTheTestsItListsAsRunning() {
        let report = Fixture.report("go-timeout.txt", exitCode: 1, root: root)
        let hung = report.result(for: "example.com/calc.TestHangs")
        XCTAssertEqual(hung?.status, .errored)
        XCTAssertEqual(hung?.locations, [SourceLocation(path: "calc_test.go", line: 52)])
        XCTAssertEqual(report.abnormalEnd, "go test: test timed out after 2s")
    }

    func testInterruptedRunMarksTheRunningTest() {
        let report = Fixture.report("go-interrupted.txt", exitCode: nil, timedOut: true, root: root)
        XCTAssertEqual(report.status("TestAdd"), .passed)
        XCTAssertEqual(report.status("TestHangs"), .errored)
        XCTAssertFalse(report.allPassed)
    }

    func testBuildFailureFailsThePackageAtTheCompilerLocation() {
        let report = Fixture.report("go-build-error.txt", exitCode: 1, root: root)
        let package = report.result(for: "example.com/calc")
        XCTAssertEqual(package?.status, .errored)
        XCTAssertEqual(package?.isSynthetic, true)
        XCTAssertEqual(package?.locations, [SourceLocation(path: "calc.go", line: 5)])
    }

    func testJSONStreamAllForms() {
        let passing = Fixture.report("go-json-passing.txt", exitCode: 0, root: root)
        XCTAssertTrue(passing.allPassed)
        XCTAssertEqual(passing.passingIDs, ["example.com/calc.TestAdd"])

        let failing = Fixture.report("go-json-failing.txt", exitCode: 1, root: root)
        XCTAssertEqual(failing.failingIDs, ["example.com/calc.TestMul"])
        XCTAssertEqual(failing.result(for: "example.com/calc.TestMul")?.message, "Mul(3, 4) = 7, want 12")
        XCTAssertEqual(failing.status("example.com/calc.TestLater"), .skipped)

        let crash = Fixture.report("go-json-crash.txt", exitCode: 1, root: root)
        XCTAssertEqual(crash.status("example.com/calc.TestIndex"), .errored)
        XCTAssertEqual(crash.result(for: "example.com/calc.TestIndex")?.locations.last, SourceLocation(path: "calc.go", line: 12))

        let interrupted = Fixture.report("go-json-interrupted.txt", exitCode: nil, timedOut: true, root: root)
        XCTAssertEqual(interrupted.status("example.com/calc.TestHangs"), .errored)
        XCTAssertEqual(interrupted.status("example.com/calc.TestAdd"), .passed)
    }

    func testJSONAndPlainOutputGiveTheSameIDs() {
        let json = Fixture.report("go-json-failing.txt", exitCode: 1)
        let plain = Fixture.report("go-failing-v.txt", exitCode: 1)
        XCTAssertTrue(json.failingIDs.isSubset(of: plain.failingIDs))
        XCTAssertTrue(json.passingIDs.isSubset(of: plain.passingIDs))
    }
}
