import AutofixTestReport
import XCTest

/// The acceptance rule compares ids across runs, so separate runs of the same tests must give the
/// same ids: the fixtures below come from separate real runs with different timings and addresses.
final class StableIdentityTests: XCTestCase {
    func testSeparateXCTestRunsGiveTheSameIDs() {
        let first = Fixture.report("xctest-failing.txt", exitCode: 1)
        let second = Fixture.report("swift-test-mixed-failing.txt", exitCode: 1)
        let mul = ["MulTests.testMultiplies", "MulTests.testMultipliesByOne", "MulTests.testMultipliesByZero"]
        for id in mul {
            XCTAssertEqual(first.result(for: id)?.status, second.result(for: id)?.status, id)
        }
    }

    func testSeparateSwiftTestingRunsGiveTheSameIDs() {
        let plain = Fixture.report("swift-testing-failing.txt", exitCode: 1)
        let terminal = Fixture.report("swift-testing-interrupted-tty.txt", exitCode: 1)
        XCTAssertEqual(plain.failingIDs, terminal.failingIDs.subtracting(["hangs()"]))
    }

    func testSeparatePytestRunsGiveTheSameIDsDespiteObjectAddresses() {
        let runs = ["pytest-failing.txt", "pytest-failing-q.txt", "pytest-failing-rA.txt", "pytest-failing-v.txt"]
            .map { Fixture.report($0, exitCode: 1) }
        for run in runs.dropFirst() { XCTAssertEqual(run.failingIDs, runs[0].failingIDs) }
        // The runs printed different addresses ("<test_calc.TestGroup object at 0x7f…>").
        XCTAssertNotEqual(Fixture.text("pytest-failing.txt").contains("0x7fa785812450"),
                          Fixture.text("pytest-failing-rA.txt").contains("0x7fa785812450"))
    }

    func testTimingsAddressesAndSeedsAreNotPartOfAnID() {
        let output = """
            TAP version 13
            1..3
            ok 1 - renders <Widget at 0x7ffee4b1c2a0> (12 ms)
            ok 2 - shuffles with seed=48213
            not ok 3 - loads (0.25s)
            """
        let report = TestReportParser.parse(output: output, exitCode: 1)
        XCTAssertEqual(report.ids, ["renders <Widget at 0x?>", "shuffles with seed=?", "loads"])
    }

    func testDocTestLineNumbersAreNotPartOfAnID() {
        let output = """
                Doc-tests calc

            running 1 test
            test src/lib.rs - add (line 3) ... ok

            test result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.20s
            """
        let report = TestReportParser.parse(output: output, exitCode: 0)
        XCTAssertEqual(report.ids, ["doc-tests calc::src/lib.rs - add"])
    }
}
