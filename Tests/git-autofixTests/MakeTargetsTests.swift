import AutofixTestSupport
import Foundation
import XCTest

/// The two commands README's first section gives: `make test` is the README's test command and
/// what CI runs; `make demo` leaves nothing behind when it cannot go on. (A whole demo needs the
/// local model; it is not run here.)
final class MakeTargetsTests: XCTestCase {
    override func setUpWithError() throws {
        try XCTSkipUnless(try Shell.run(["sh", "-c", "command -v make"]).succeeded, "make is not installed")
    }

    private func text(_ relative: String) throws -> String {
        try String(contentsOf: SourceTree.root.appendingPathComponent(relative), encoding: .utf8)
    }

    func testMakeTestRunsTheReadmesTestCommandAndCIRunsMakeTest() throws {
        let dryRun = try Shell.run(["make", "-s", "-n", "-C", SourceTree.root.path, "test"])
        XCTAssertEqual(dryRun.status, 0, dryRun.stderr)
        XCTAssertEqual(dryRun.stdout, "swift test --disable-swift-testing\n")

        let readme = try text("README.md")
        XCTAssertTrue(readme.contains("Run the tests (`make test` runs `swift test --disable-swift-testing`):\n\n    make test\n"))
        let setUp = try XCTUnwrap(readme.components(separatedBy: "\n## ").dropFirst().first)
        XCTAssertTrue(setUp.hasPrefix("Set up\n"), setUp)
        XCTAssertTrue(setUp.contains("    make demo "), "the first section gives both commands")
        XCTAssertTrue(setUp.contains("    make test "), "the first section gives both commands")

        let ci = try text(".ci/run").split(separator: "\n").map(String.init)
        let tests = try XCTUnwrap(ci.firstIndex(of: "make test"), "CI runs the tests through make")
        let install = try XCTUnwrap(ci.firstIndex { $0.hasPrefix("apt-get install") })
        XCTAssertLessThan(install, tests, "the system packages come first")
        XCTAssertTrue(ci[install...tests].joined().contains(" make "), "CI installs make before it needs it")
    }

    func testADemoThatCannotStartLeavesNoTempDirAndStartsNoModel() throws {
        let temporary = try TemporaryDirectory(prefix: "autofix-demo-tmp")
        let cache = try TemporaryDirectory(prefix: "autofix-demo-cache")
        var environment = Hermetic.environment
        environment["TMPDIR"] = temporary.path
        environment["XDG_CACHE_HOME"] = cache.path
        let missing = temporary.file("no-such-git-autofix").path
        let output = try Shell.run(["make", "-s", "-C", SourceTree.root.path, "demo", "BINARY=\(missing)"], environment: environment)

        XCTAssertNotEqual(output.status, 0)
        XCTAssertTrue(output.stderr.contains("\(missing) is not an executable git-autofix"), output.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: temporary.path), [])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: cache.path), [], "the model was not prepared")
    }
}
