import AutofixTestReport
import AutofixTestSupport
import XCTest

/// The digest keeps the lines that explain a failure and drops the ones that never do. Fixtures
/// captured from the real tools, the capture directory renamed to the one `Fixture` names and the
/// home directory to /home/dev:
/// - unittest-doctest-failing.txt: Python 3.11.7, `python3 -m unittest` on a test module whose
///   `load_tests` adds `doctest.DocTestSuite(calc)`, two failing `assertEqual`s on lists and a
///   failing doctest;
/// - swift-build-error-sandboxed.txt: Swift 6.3, `swift test --disable-swift-testing` under bwrap
///   (read-only root, HOME=/tmp/home on a tmpfs) in a package whose library does not compile;
/// - node-tap-missing-import.txt: node 20.20, `node --test | cat` in an ES module project whose
///   test file imports a module that does not exist.
final class DigestEvidenceTests: XCTestCase {
    private func pythonCheckout() throws -> TestRepository {
        let repository = try TestRepository(prefix: "digest-unittest")
        try repository.write("calc.py", "def pairs(values):\n    return []\n")
        try repository.write("test_calc.py", "import calc\n")
        return repository
    }

    func testUnittestKeepsTheAssertionErrorLineNotTheDiffUnderIt() throws {
        let output = Fixture.text("unittest-doctest-failing.txt")
        let report = TestReportParser.parse(output: output, exitCode: 1, repositoryRoot: Fixture.pythonProjectRoot)
        XCTAssertEqual(report.result(for: "test_calc.CalcTests.test_chunks")?.message,
                       "AssertionError: Lists differ: [[1, 2], [4]] != [[1, 2], [3, 4]]")
        let checkout = try pythonCheckout()
        let digest = FailureDigest.make(report: report, output: output, repositoryRoot: checkout.url)
        XCTAssertTrue(digest.text.contains("""
            FAIL test_calc.CalcTests.test_chunks
              AssertionError: Lists differ: [[1, 2], [4]] != [[1, 2], [3, 4]]
              at test_calc.py:9
            """), digest.text)
        XCTAssertFalse(digest.text.contains("+ [[1, 2], [3, 4]]"), digest.text)
        XCTAssertFalse(digest.text.contains("?    "), digest.text)
    }

    func testFailingDoctestShowsItsExampleExpectedAndGot() throws {
        let output = Fixture.text("unittest-doctest-failing.txt")
        let report = TestReportParser.parse(output: output, exitCode: 1, repositoryRoot: Fixture.pythonProjectRoot)
        XCTAssertEqual(report.failingIDs, ["test_calc.CalcTests.test_chunks", "test_calc.CalcTests.test_chunks_of_three", "calc.pairs"])
        let doctest = report.result(for: "calc.pairs")
        XCTAssertEqual(doctest?.message, """
            AssertionError: Failed doctest test for calc.pairs
            Failed example:
                pairs([1, 2, 3])
            Expected:
                [(1, 2), (2, 3)]
            Got:
                [[1, 2], [2, 3]]
            """)
        XCTAssertEqual(doctest?.locations.last, SourceLocation(path: "calc.py", line: 4), "the failing example's line")
        let checkout = try pythonCheckout()
        let digest = FailureDigest.make(report: report, output: output, repositoryRoot: checkout.url)
        XCTAssertTrue(digest.text.contains("  Expected:\n      [(1, 2), (2, 3)]\n  Got:\n      [[1, 2], [2, 3]]"), digest.text)
        XCTAssertTrue(digest.referencedLocations.contains(SourceLocation(path: "calc.py", line: 4)))
    }

    func testBuildLogLeavesOutProgressLinesAndSandboxHomeWarnings() throws {
        let checkout = try TestRepository(prefix: "digest-swift-build")
        try checkout.write("Package.swift", "// swift-tools-version:6.0\n")
        try checkout.write("Sources/Calc/Calc.swift", "public enum Calc {}\n")
        let output = Fixture.text("swift-build-error-sandboxed.txt")
        let report = TestReportParser.parse(output: output, exitCode: 1)
        let digest = FailureDigest.make(report: report, output: output, repositoryRoot: checkout.url)
        XCTAssertTrue(digest.text.contains("build error: cannot find 'c' in scope"), digest.text)
        XCTAssertTrue(digest.text.contains("Output (head and tail):"), "a build failure still shows its log")
        XCTAssertTrue(digest.text.contains("2 |     public static func add(_ a: Int, _ b: Int) -> Int { a + c }"), digest.text)
        XCTAssertEqual(digest.referencedLocations, [SourceLocation(path: "Sources/Calc/Calc.swift", line: 2)])
        for noise in ["Building for debugging...", "[0/13] Write sources", "[5/15] Compiling Calc", "not accessible or not writable"] {
            XCTAssertTrue(output.contains(noise), "the fixture holds \(noise)")
            XCTAssertFalse(digest.text.contains(noise), digest.text)
        }
    }

    private func nodeCheckout() throws -> TestRepository {
        let repository = try TestRepository(prefix: "digest-node")
        try repository.write("package.json", "{ \"type\": \"module\" }\n")
        try repository.write("calc.js", "export function add(a, b) { return a + b; }\n")
        try repository.write("test/calc.test.js", "import { mul } from '../mul.js';\n")
        return repository
    }

    func testNodeFileThatFailsToLoadKeepsItsErrorCode() {
        let report = Fixture.report("node-tap-missing-import.txt", exitCode: 1, root: Fixture.nodeProjectRoot)
        let file = report.result(for: "test/calc.test.js")
        XCTAssertEqual(file?.status, .errored)
        XCTAssertEqual(file?.message, """
            Error [ERR_MODULE_NOT_FOUND]: Cannot find module 'mul.js' imported from test/calc.test.js
            test failed
            """)
    }

    func testNodeIdsInTheDigestAreRelativeWhereverTheTestsRan() throws {
        // The loop parses the sandbox's output without knowing where the sandbox put the checkout.
        let output = Fixture.text("node-tap-missing-import.txt")
        let report = TestReportParser.parse(output: output, exitCode: 1)
        XCTAssertEqual(report.failingIDs, ["/home/dev/cap/node/test/calc.test.js"])
        let checkout = try nodeCheckout()
        let digest = FailureDigest.make(report: report, output: output, repositoryRoot: checkout.url)
        XCTAssertTrue(digest.text.contains("""
            ERROR test/calc.test.js
              Error [ERR_MODULE_NOT_FOUND]: Cannot find module 'mul.js' imported from test/calc.test.js
            """), digest.text)
        XCTAssertFalse(digest.text.contains("/home/dev/cap/node"), "nor in the log: \(digest.text)")
        XCTAssertEqual(digest.referencedFiles, ["test/calc.test.js"])
    }
}
