import AutofixTestReport
import AutofixTestSupport
import XCTest

/// The whole story on real processes: run the tests in a real repository, read the report, fix
/// the code, run again, and check that the comparison accepts the fix.
final class LiveRunTests: XCTestCase {
    private func run(_ command: [String], in repository: TestRepository) throws -> TestReport {
        let output = try Shell.run(command, in: repository.url)
        return TestReportParser.parse(output: output.stdout + output.stderr, exitCode: output.status, repositoryRoot: repository.url)
    }

    func testShellTAPRunnerFromFailureToFix() throws {
        let repository = try TestRepository(prefix: "live-tap")
        try repository.write("lib/calc.sh", "mul() { echo $(( $1 + $2 )); }\n")
        try repository.write("t/calc.t", """
            #!/usr/bin/env bash
            . lib/calc.sh
            echo "TAP version 13"
            echo "1..2"
            check() {
              if [ "$2" = "$3" ]; then echo "ok $1 - $4"; else
                echo "not ok $1 - $4"; echo "  ---"; echo "  message: 'got $2, want $3'"; echo "  at: lib/calc.sh line 1"; echo "  ..."; fi
            }
            check 1 "$(mul 2 2)" 4 "two times two"
            check 2 "$(mul 3 4)" 12 "three times four"
            exit 0

            """, executable: true)
        let before = try run(["bash", "t/calc.t"], in: repository)
        XCTAssertEqual(before.framework, "tap")
        XCTAssertEqual(before.failingIDs, ["three times four"])
        XCTAssertFalse(before.allPassed)
        let digest = FailureDigest.make(report: before, output: "", repositoryRoot: repository.url)
        XCTAssertEqual(digest.referencedFiles, ["lib/calc.sh"])
        XCTAssertTrue(digest.text.contains("got 7, want 12"), digest.text)

        try repository.write("lib/calc.sh", "mul() { echo $(( $1 * $2 )); }\n")
        let after = try run(["bash", "t/calc.t"], in: repository)
        XCTAssertTrue(after.allPassed)
        let comparison = ReportComparison(before: before, after: after)
        XCTAssertEqual(comparison.newlyPassing, ["three times four"])
        XCTAssertTrue(comparison.isImprovement)
    }

    func testPytestFromFailureToFix() throws {
        let probe = try Shell.run(["python3", "-m", "pytest", "--version"])
        try XCTSkipUnless(probe.succeeded, "pytest is not installed")
        let repository = try TestRepository(prefix: "live-pytest")
        try repository.write("calc/__init__.py", "def mul(a, b):\n    return a + b\n")
        try repository.write("tests/test_calc.py", """
            from calc import mul


            def test_mul_small():
                assert mul(2, 2) == 4


            def test_mul():
                assert mul(3, 4) == 12

            """)
        var environment = Hermetic.environment
        environment["PYTHONDONTWRITEBYTECODE"] = "1"
        let command = ["python3", "-m", "pytest", "-p", "no:cacheprovider", "-q", "tests"]
        func runPytest() throws -> TestReport {
            let output = try Shell.run(command, in: repository.url, environment: environment)
            return TestReportParser.parse(output: output.stdout + output.stderr, exitCode: output.status, repositoryRoot: repository.url)
        }
        let before = try runPytest()
        XCTAssertEqual(before.framework, "pytest")
        XCTAssertEqual(before.failingIDs, ["tests/test_calc.py::test_mul"])
        XCTAssertEqual(before.result(for: "tests/test_calc.py::test_mul")?.assertion, "assert mul(3, 4) == 12")

        try repository.write("calc/__init__.py", "def mul(a, b):\n    return a * b\n")
        let after = try runPytest()
        XCTAssertTrue(after.allPassed)
        XCTAssertTrue(ReportComparison(before: before, after: after).isImprovement,
                      "pytest -q names no passing test, so a complete run vouches for the fixed one")
    }

    func testNodeTestRunnerFromFailureToFix() throws {
        let probe = try Shell.run(["node", "--version"])
        try XCTSkipUnless(probe.succeeded, "node is not installed")
        let repository = try TestRepository(prefix: "live-node")
        try repository.write("calc.js", "exports.mul = (a, b) => a + b;\n")
        try repository.write("test/calc.test.js", """
            const test = require('node:test');
            const assert = require('node:assert');
            const { mul } = require('../calc');
            test('mul small', () => assert.strictEqual(mul(2, 2), 4));
            test('mul', () => assert.strictEqual(mul(3, 4), 12));

            """)
        let command = ["node", "--test", "--test-reporter=tap", "test/"]
        let before = try run(command, in: repository)
        XCTAssertEqual(before.framework, "node")
        XCTAssertEqual(before.failingIDs, ["mul"])
        XCTAssertEqual(before.result(for: "mul")?.locations.first?.path, "test/calc.test.js")

        try repository.write("calc.js", "exports.mul = (a, b) => a * b;\n")
        let after = try run(command, in: repository)
        XCTAssertTrue(after.allPassed)
        XCTAssertTrue(ReportComparison(before: before, after: after).isImprovement)
    }
}
