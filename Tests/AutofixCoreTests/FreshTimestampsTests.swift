@testable import AutofixCore
import AutofixTestSupport
import XCTest

final class FreshTimestampsTests: XCTestCase {
    private func setModificationTime(_ url: URL, seconds: Int, nanoseconds: Int) {
        var times = [timespec(tv_sec: seconds, tv_nsec: nanoseconds), timespec(tv_sec: seconds, tv_nsec: nanoseconds)]
        XCTAssertEqual(utimensat(AT_FDCWD, url.path, &times, 0), 0)
    }

    private func modificationSecond(_ url: URL) -> Int {
        var info = stat()
        lstat(url.path, &info)
        return info.st_mtim.tv_sec
    }

    func testARewriteInTheSameSecondIsMovedPastIt() throws {
        let dir = try TemporaryDirectory()
        let file = dir.file("calc.py")
        try "return a - b\n".write(to: file, atomically: false, encoding: .utf8)
        setModificationTime(file, seconds: 1_800_000_000, nanoseconds: 100)
        let stamps = FreshTimestamps(paths: ["calc.py", "missing.py"], in: dir.url)
        // Same size, same second: what Python's bytecode cache cannot tell apart.
        try "return a + b\n".write(to: file, atomically: false, encoding: .utf8)
        setModificationTime(file, seconds: 1_800_000_000, nanoseconds: 900_000)
        stamps.bump()
        XCTAssertEqual(modificationSecond(file), 1_800_000_001)
    }

    func testAlreadyNewerFilesAreLeftAlone() throws {
        let dir = try TemporaryDirectory()
        let file = dir.file("a.txt")
        try "x".write(to: file, atomically: false, encoding: .utf8)
        setModificationTime(file, seconds: 1_800_000_000, nanoseconds: 0)
        let stamps = FreshTimestamps(paths: ["a.txt"], in: dir.url)
        setModificationTime(file, seconds: 1_800_000_005, nanoseconds: 0)
        stamps.bump()
        XCTAssertEqual(modificationSecond(file), 1_800_000_005)
    }
}
