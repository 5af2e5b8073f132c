import AutofixTestReport
import AutofixTestSupport
import XCTest

/// The test command narrowed to the tests that failed, in each framework's own syntax, and the
/// commands it leaves whole because a narrowed one could run something else.
final class TestSelectionTests: XCTestCase {
    func testPytestGetsTheNodeIDsAfterItsFlags() {
        XCTAssertEqual(TestSelection.command("python3 -m pytest -v", selecting: ["tests/test_calc.py::test_mul", "t.py::test_p[1-2]"],
                                             framework: "pytest"),
                       "python3 -m pytest -v tests/test_calc.py::test_mul 't.py::test_p[1-2]'")
        XCTAssertEqual(TestSelection.command("pytest", selecting: ["a.py::T::test_x"], framework: "pytest"), "pytest a.py::T::test_x")
        XCTAssertEqual(TestSelection.command("python -m pytest -q -p no:cacheprovider --tb short", selecting: ["t.py::test_a"],
                                             framework: "pytest"),
                       "python -m pytest -q -p no:cacheprovider --tb short t.py::test_a")
        // Subtests run with their test, which is named once; a parameter with a space stays whole.
        XCTAssertEqual(TestSelection.command("pytest", selecting: ["t.py::T::test_b (n=1)", "t.py::T::test_b (n=2)", "t.py::test_p[a b]"],
                                             framework: "pytest"),
                       "pytest t.py::T::test_b 't.py::test_p[a b]'")
    }

    func testSwiftTestGetsOneAnchoredFilterPerTest() {
        XCTAssertEqual(TestSelection.command("swift test --parallel", selecting: ["CalcTests.testAdd"], framework: "xctest"),
                       "swift test --parallel --filter '(^|\\.)CalcTests/testAdd$'")
        // What `swift test` reports when both libraries ran: the XCTest ids still select.
        XCTAssertEqual(TestSelection.command("swift test", selecting: ["CalcTests.testAdd"], framework: "xctest+swift-testing"),
                       "swift test --filter '(^|\\.)CalcTests/testAdd$'")
    }

    func testGoTestRunsTheTopLevelNamesOfSubtestsAndPackages() {
        XCTAssertEqual(TestSelection.command("go test ./...", selecting: ["example.com/m/calc.TestAdd/negative",
                                                                         "example.com/m/calc.TestAdd/zero", "example.com/m/v2.TestMul"],
                                             framework: "go"),
                       "go test ./... -run '^(TestAdd|TestMul)$'")
    }

    func testCargoTestNamesTheExactPathWithoutItsTarget() {
        XCTAssertEqual(TestSelection.command("cargo test", selecting: ["unittests src/lib.rs (target/debug/deps/calc-1f)::tests::adds",
                                                                      "tests::muls"], framework: "cargo"),
                       "cargo test -- --exact tests::adds tests::muls")
    }

    func testJestGetsTheFullNamesAndTheirFilesAsLiteralPatterns() {
        XCTAssertEqual(TestSelection.command("npx jest --ci", selecting: ["src/calc.test.js › add › two (x+y)", "a.test.ts › b"],
                                             framework: "jest"),
                       #"npx jest --ci --testNamePattern '^(add two \(x\+y\)|b)$' '(^|/)src\/calc\.test\.js$' '(^|/)a\.test\.ts$'"#)
    }

    func testNodeGetsTheTopLevelNamesRightAfterTest() {
        XCTAssertEqual(TestSelection.command("node --test test/", selecting: ["adds", "group > inner", "group > other"],
                                             framework: "node"),
                       "node --test --test-name-pattern='^(adds|group)$' test/")
    }

    func testCommandsThatAlreadySelectOrAreNotOneProgramStayWhole() {
        let cases: [(String, String, String)] = [
            ("pytest -k add", "t.py::test_add", "pytest"),
            ("pytest tests/unit", "t.py::test_add", "pytest"),
            ("pytest -p", "t.py::test_add", "pytest"),
            ("pytest --lf", "t.py::test_add", "pytest"),
            ("pytest -q tests/unit", "t.py::test_add", "pytest"),
            ("pytest", "t.py", "pytest"),
            ("cd src && pytest", "t.py::test_add", "pytest"),
            ("pytest | tee log", "t.py::test_add", "pytest"),
            ("PYTHONPATH=$PWD pytest", "t.py::test_add", "pytest"),
            ("swift test --filter CalcTests", "CalcTests.testAdd", "xctest"),
            ("swift test", "Calc.Tests.testAdd", "xctest"),
            ("swift build && swift test", "CalcTests.testAdd", "xctest"),
            ("go test -run TestAdd ./...", "m.TestAdd", "go"),
            ("go test ./...", "m.helper", "go"),
            ("cargo test -- --nocapture", "tests::adds", "cargo"),
            ("cargo test", "doc-tests calc::src/lib.rs - add", "cargo"),
            ("make test", "t.py::test_add", "pytest"),
            ("npx jest -t adds", "calc.test.js › adds", "jest"),
            ("npx jest src", "calc.test.js › adds", "jest"),
            ("npx jest", "calc.test.js", "jest"),
            ("npm test", "calc.test.js › adds", "jest"),
            ("node --test --test-name-pattern=x", "adds", "node"),
            ("node calc.test.mjs", "adds", "node"),
            ("./run-tests", "three times four", "tap"),
        ]
        for (command, id, framework) in cases {
            XCTAssertNil(TestSelection.command(command, selecting: [id], framework: framework), command)
        }
        XCTAssertNil(TestSelection.command("pytest", selecting: [], framework: "pytest"))
    }

    /// The narrowed command, run by the shell as a test command is, runs those tests and no other.
    func testANarrowedPytestCommandRunsOnlyTheNamedTests() throws {
        let probe = try Shell.run(["python3", "-m", "pytest", "--version"])
        try XCTSkipUnless(probe.succeeded, "pytest is not installed")
        let repository = try TestRepository(prefix: "selection-pytest")
        try repository.write("pytest.ini", "[pytest]\naddopts = -p no:cacheprovider\n")
        try repository.write("calc.py", "def add(a, b):\n    return a - b\n")
        try repository.write("tests/test_calc.py", """
            import pytest
            from calc import add


            def test_add():
                assert add(2, 3) == 5


            @pytest.mark.parametrize("a", [1, 2])
            def test_add_zero(a):
                assert add(a, 0) == a


            def test_other():
                assert add(1, 1) == 0

            """)
        let command = try XCTUnwrap(TestSelection.command(
            "python3 -m pytest -v", selecting: ["tests/test_calc.py::test_add", "tests/test_calc.py::test_add_zero[2]"],
            framework: "pytest"))
        let output = try Shell.run(["/bin/sh", "-c", command], in: repository.url)
        let report = TestReportParser.parse(output: output.stdout + output.stderr, exitCode: output.status,
                                            repositoryRoot: repository.url)
        XCTAssertEqual(report.framework, "pytest")
        XCTAssertEqual(report.failingIDs, ["tests/test_calc.py::test_add"], output.stdout)
        XCTAssertEqual(report.passingIDs, ["tests/test_calc.py::test_add_zero[2]"], output.stdout)
    }

    /// Node runs the named top-level tests, their subtests with them, and skips the others.
    func testANarrowedNodeCommandRunsOnlyTheNamedTests() throws {
        let probe = try Shell.run(["node", "--version"])
        try XCTSkipUnless(probe.succeeded, "node is not installed")
        let repository = try TestRepository(prefix: "selection-node")
        try repository.write("calc.test.mjs", """
            import test from 'node:test';
            import assert from 'node:assert';
            test('adds (two)', () => { assert.strictEqual(1 + 1, 3); });
            test('muls', () => { assert.strictEqual(2 * 2, 5); });
            test('group', async (t) => { await t.test('inner', () => { assert.ok(false); }); });

            """)
        let command = try XCTUnwrap(TestSelection.command(
            "node --test", selecting: ["adds (two)", "group > inner"], framework: "node"))
        let output = try Shell.run(["/bin/sh", "-c", command], in: repository.url)
        let report = TestReportParser.parse(output: output.stdout + output.stderr, exitCode: output.status,
                                            repositoryRoot: repository.url)
        XCTAssertEqual(report.framework, "node", output.stdout)
        XCTAssertEqual(report.failingIDs, ["adds (two)", "group", "group > inner"], output.stdout)
        XCTAssertFalse(report.failingIDs.contains("muls"), output.stdout)
    }
}
