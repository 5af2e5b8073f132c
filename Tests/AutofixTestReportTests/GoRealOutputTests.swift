import AutofixTestReport
import XCTest

/// Output captured from a real `go test` (go 1.19.8, Debian's golang-go) on a small module at
/// /home/dev/calc: the same failures as the samples in GoTestOutputTests, as the tool really
/// prints them.
final class GoRealOutputTests: XCTestCase {
    private let root = Fixture.goModuleRoot

    func testFailuresWithSubtestsInPlainVerboseAndJSONOutput() {
        for name in ["go119-failing.txt", "go119-failing-v.txt", "go119-json-failing.txt"] {
            let report = Fixture.report(name, exitCode: 1, root: root)
            XCTAssertEqual(report.failingIDs, ["example.com/calc.TestMul", "example.com/calc.TestTable", "example.com/calc.TestTable/one"], name)
            let mul = report.result(for: "example.com/calc.TestMul")
            XCTAssertEqual(mul?.message, "Mul(3, 4) = 7, want 12", name)
            XCTAssertEqual(mul?.locations, [SourceLocation(path: "calc_test.go", line: 13)], name)
            XCTAssertEqual(report.result(for: "example.com/calc.TestTable/one")?.message, "Mul(1, 1) = 2, want 1", name)
        }
        let verbose = Fixture.report("go119-failing-v.txt", exitCode: 1, root: root)
        XCTAssertEqual(verbose.status("example.com/calc.TestAdd"), .passed)
        XCTAssertEqual(verbose.status("example.com/calc.TestTable/zero"), .passed)
        XCTAssertEqual(verbose.status("example.com/calc.TestLater"), .skipped)
        XCTAssertEqual(verbose.status("example.com/calc/parse.TestParse"), .passed)
    }

    func testPanicBlamesTheTestAndItsFramesInTheRepository() {
        for name in ["go119-crash.txt", "go119-json-crash.txt"] {
            let report = Fixture.report(name, exitCode: 1, root: root)
            let panicked = report.result(for: "example.com/calc.TestIndex")
            XCTAssertEqual(panicked?.status, .errored, name)
            XCTAssertTrue(panicked?.message?.hasPrefix("panic: runtime error: index out of range [3] with length 1") == true,
                          "\(name): \(panicked?.message ?? "nil")")
            XCTAssertEqual(panicked?.locations.last, SourceLocation(path: "calc.go", line: 8), name)
            XCTAssertFalse(report.allPassed, name)
        }
    }

    func testTimeoutWithoutARunningTestsListBlamesTheTestInTheGoroutineDump() {
        // go 1.19 prints no "running tests:" list; the hung test is the one whose goroutine
        // stands in a repository file.
        let report = Fixture.report("go119-timeout.txt", exitCode: 1, root: root)
        XCTAssertEqual(report.abnormalEnd, "go test: test timed out after 2s")
        XCTAssertFalse(report.allPassed)
        XCTAssertEqual(report.result(for: "example.com/calc.TestMul")?.status, .failed)
        let hung = report.result(for: "example.com/calc.TestHangs")
        XCTAssertEqual(hung?.status, .errored)
        XCTAssertEqual(hung?.locations, [SourceLocation(path: "calc_test.go", line: 39)])
    }

    func testBuildFailurePointsAtTheCompilerMessage() {
        let report = Fixture.report("go119-build-error.txt", exitCode: 1, root: root)
        let package = report.result(for: "example.com/calc")
        XCTAssertEqual(package?.status, .errored)
        XCTAssertEqual(package?.locations, [SourceLocation(path: "calc.go", line: 10)])
    }
}
