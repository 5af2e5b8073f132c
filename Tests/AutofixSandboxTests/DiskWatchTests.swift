import AutofixTestSupport
import XCTest
@testable import AutofixSandbox

/// The disk limit's watch measures the directories at most once a second; the look after the
/// process has ended is not held back by that, so a writer that passed the limit and exited
/// between two looks is still named.
final class DiskWatchTests: XCTestCase {
    func testTheLookAtTheEndMeasuresEvenRightAfterAnotherLook() throws {
        let watched = try TemporaryDirectory(prefix: "autofix-disk-watched")
        let elsewhere = try TemporaryDirectory(prefix: "autofix-disk-elsewhere")
        let limit: UInt64 = 8 << 20
        let watch = try XCTUnwrap(DiskWatch(directories: [watched.path], limit: limit))

        // Space lost on the filesystem by someone else makes the watch measure, and find nothing.
        try write(12 << 20, to: elsewhere.file("other"))
        XCTAssertFalse(watch.check())
        // Then the tests write past the limit, within the second of that look.
        try write(12 << 20, to: watched.file("big"))
        XCTAssertFalse(watch.check(), "looks are at most once a second")
        XCTAssertTrue(watch.checkAtEnd())
        XCTAssertTrue(watch.exceeded)
    }

    private func write(_ bytes: Int, to url: URL) throws {
        try Data(repeating: 1, count: bytes).write(to: url)
        let handle = try FileHandle(forWritingTo: url)
        try handle.synchronize()
        try handle.close()
    }
}
