import AutofixTestSupport
import Foundation
import XCTest

/// `git autofix sandbox -- CMD` through the built binary: the command's status in a line, exit 1
/// for any failure of the command (4 is kept for the sandbox itself), and a relative command
/// naming the work tree's ignored venv.
final class SandboxCommandStatusTests: XCTestCase {
    func testCommandExitingFourIsAFailedCommandNotABrokenSandbox() throws {
        let repo = try TestRepository()
        try repo.write("README", "x\n")
        try repo.commitAll("initial")
        let output = try AutofixCLI.run(["sandbox", "--backend", "bwrap", "--", "exit 4"], in: repo.url)
        XCTAssertEqual(output.status, 1, output.stderr)
        XCTAssertTrue(output.stderr.contains("git autofix sandbox (bwrap): the command failed: exit 4"), output.stderr)
    }

    func testRelativeCommandRunsTheWorkTreesIgnoredVenv() throws {
        let repo = try TestRepository()
        try repo.write(".gitignore", ".venv/\n")
        try repo.commitAll("initial")
        try Shell.check(["/usr/bin/python3", "-m", "venv", "--without-pip", repo.url.appendingPathComponent(".venv").path])
        let sitePackages = try Shell.check([repo.url.appendingPathComponent(".venv/bin/python").path, "-c",
                                            "import sysconfig; print(sysconfig.get_paths()['purelib'])"])
            .trimmingCharacters(in: .whitespacesAndNewlines)
        // A stand-in for pytest: the tests cannot reach PyPI.
        let package = URL(fileURLWithPath: sitePackages).appendingPathComponent("pytest")
        try FileManager.default.createDirectory(at: package, withIntermediateDirectories: true)
        try Data("print('stand-in pytest ran')\n".utf8).write(to: package.appendingPathComponent("__main__.py"))
        try Data().write(to: package.appendingPathComponent("__init__.py"))

        let output = try AutofixCLI.run(["sandbox", "--backend", "bwrap", "--", ".venv/bin/python -m pytest -q"], in: repo.url)
        XCTAssertEqual(output.status, 0, output.stderr)
        XCTAssertTrue(output.stdout.contains("stand-in pytest ran"), output.stdout + output.stderr)
        XCTAssertTrue(output.stderr.contains("the command succeeded"), output.stderr)
    }
}
