import AutofixTestSupport
import XCTest

final class VersionTests: XCTestCase {
    func testVersionFlagPrintsTheVersion() throws {
        let dir = try TemporaryDirectory()
        let output = try AutofixCLI.run(["--version"], in: dir.url)
        XCTAssertEqual(output.status, 0, output.stderr)
        XCTAssertTrue(output.stdout.hasPrefix("0."), output.stdout)
    }
}
