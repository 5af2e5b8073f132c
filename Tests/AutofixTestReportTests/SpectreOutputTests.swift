@testable import AutofixTestReport
import XCTest

/// Spectre's output, captured from PathKit 1.0.1's `swift test` (Spectre 0.10.1, Swift 6.3, in
/// the bubblewrap sandbox) with `lastComponentWithoutExtension` broken, then fixed; the other
/// three failures are PathKit's own on Linux. The sandbox path was replaced with /home/dev/PathKit.
final class SpectreOutputTests: XCTestCase {
    private let broken = "PathKit can return the last component without extension"

    func testFailuresAreNamedWithWhereAndWhy() {
        let report = Fixture.report("spectre-pathkit-failing.txt", exitCode: 1)
        XCTAssertEqual(report.framework, "spectre")
        XCTAssertEqual(report.failingIDs.count, 4, "\(report.failingIDs)")
        XCTAssertTrue(report.failingIDs.contains(broken))
        XCTAssertEqual(report.result(for: broken)?.message, "c.d is not equal to c")
        XCTAssertEqual(report.result(for: broken)?.locations, [SourceLocation(path: "PathKitSpec.swift", line: 213)])
        XCTAssertEqual(report.passingCount, 56)
        XCTAssertFalse(report.isExitCodeFallback)
    }

    func testFixingOneOfFourFailuresIsAnImprovement() {
        let before = Fixture.report("spectre-pathkit-failing.txt", exitCode: 1)
        let after = Fixture.report("spectre-pathkit-one-fixed.txt", exitCode: 1)
        XCTAssertEqual(after.failingIDs.count, 3)
        XCTAssertFalse(after.failingIDs.contains(broken))
        XCTAssertTrue(ReportComparison(before: before, after: after).isImprovement)
    }
}
