import AutofixTestSupport
import Foundation
import XCTest
@testable import AutofixSandbox

/// The view the sandbox sees, brought back to the host's checkout after hostile tests changed it.
final class SandboxViewTests: XCTestCase {
    private var space: TemporaryDirectory!
    private var source: URL { space.file("work") }
    private var outside: URL { space.file("outside") }

    override func setUpWithError() throws {
        space = try TemporaryDirectory(prefix: "autofix-view")
        for directory in [source, outside, source.appendingPathComponent("lib")] {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        }
        try write("app.txt", "app\n")
        try write("lib/mod.txt", "mod\n")
        try "host\n".write(to: outside.appendingPathComponent("mod.txt"), atomically: true, encoding: .utf8)
        try "host\n".write(to: outside.appendingPathComponent("app.txt"), atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: source.appendingPathComponent("link").path, withDestinationPath: "app.txt")
    }

    private func write(_ path: String, _ text: String) throws {
        try text.write(to: source.appendingPathComponent(path), atomically: true, encoding: .utf8)
    }

    private func makeView() throws -> SandboxView {
        let view = try SandboxView(directory: space.file("sandbox"))
        try view.update(from: source)
        return view
    }

    private func viewFile(_ view: SandboxView, _ path: String) -> URL { view.directory.appendingPathComponent(path) }

    func testTheFirstUpdateCopiesEveryFileAndLink() throws {
        let view = try makeView()
        XCTAssertEqual(try TreeFingerprint.of(view.directory), try TreeFingerprint.of(source))
    }

    func testAnExistingDirectoryIsNeverReused() throws {
        try FileManager.default.createDirectory(at: space.file("taken"), withIntermediateDirectories: true)
        XCTAssertThrowsError(try SandboxView(directory: space.file("taken")))
    }

    func testSymlinksPlantedByTheTestsAreReplacedWithoutFollowingThem() throws {
        let view = try makeView()
        let files = FileManager.default
        try files.removeItem(at: viewFile(view, "app.txt"))
        try files.createSymbolicLink(at: viewFile(view, "app.txt"), withDestinationURL: outside.appendingPathComponent("app.txt"))
        try files.removeItem(at: viewFile(view, "lib"))
        try files.createSymbolicLink(at: viewFile(view, "lib"), withDestinationURL: outside)
        let hostBefore = try TreeFingerprint.of(outside)

        try view.update(from: source)
        XCTAssertEqual(try TreeFingerprint.of(view.directory), try TreeFingerprint.of(source))
        XCTAssertEqual(try TreeFingerprint.of(outside), hostBefore)
    }

    func testAHardLinkIsReplacedNotWrittenThrough() throws {
        let view = try makeView()
        let victim = space.file("victim.txt")
        try "victim\n".write(to: victim, atomically: true, encoding: .utf8)
        try FileManager.default.removeItem(at: viewFile(view, "app.txt"))
        XCTAssertEqual(link(victim.path, viewFile(view, "app.txt").path), 0)
        try write("app.txt", "changed\n")

        try view.update(from: source)
        XCTAssertEqual(try String(contentsOf: viewFile(view, "app.txt"), encoding: .utf8), "changed\n")
        XCTAssertEqual(try String(contentsOf: victim, encoding: .utf8), "victim\n")
    }

    func testWhatTheTestsAddedGoesExceptInCacheAreas() throws {
        let view = try makeView()
        let files = FileManager.default
        try "stray\n".write(to: viewFile(view, "stray.py"), atomically: true, encoding: .utf8)
        try files.createDirectory(at: viewFile(view, "lib/__pycache__"), withIntermediateDirectories: true)
        try "bytecode".write(to: viewFile(view, "lib/__pycache__/mod.pyc"), atomically: true, encoding: .utf8)
        try files.createDirectory(at: viewFile(view, ".build/debug"), withIntermediateDirectories: true)
        try files.createSymbolicLink(at: viewFile(view, ".build/escape"), withDestinationURL: outside)
        try files.createSymbolicLink(at: viewFile(view, "node_modules"), withDestinationURL: outside)

        let update = try view.update(from: source)
        XCTAssertEqual(update.removed, 1)
        XCTAssertFalse(files.fileExists(atPath: viewFile(view, "stray.py").path))
        XCTAssertTrue(files.fileExists(atPath: viewFile(view, "lib/__pycache__/mod.pyc").path))
        XCTAssertTrue(files.fileExists(atPath: viewFile(view, ".build/debug").path))

        try view.remove()
        XCTAssertFalse(files.fileExists(atPath: view.directory.path))
        XCTAssertEqual(try TreeFingerprint.of(outside).count, 2, "removal followed no link")
    }

    func testUnchangedFilesAreLeftAndRewrittenOnesLookNewer() throws {
        let view = try makeView()
        var before = stat()
        XCTAssertEqual(stat(viewFile(view, "app.txt").path, &before), 0)
        XCTAssertEqual(try view.update(from: source), SandboxView.Update(written: 0, unchanged: 3, removed: 0))

        try write("app.txt", "ppa\n")
        XCTAssertEqual(try view.update(from: source).written, 1)
        var after = stat()
        XCTAssertEqual(stat(viewFile(view, "app.txt").path, &after), 0)
        XCTAssertGreaterThan(after.st_mtim.tv_sec, before.st_mtim.tv_sec, "same size, same second: still newer for mtime caches")

        // The tests rewrote a file in place: the host's version goes back.
        try "tampered\n".write(to: viewFile(view, "lib/mod.txt"), atomically: false, encoding: .utf8)
        XCTAssertEqual(try view.update(from: source).written, 1)
        XCTAssertEqual(try String(contentsOf: viewFile(view, "lib/mod.txt"), encoding: .utf8), "mod\n")
    }

    private func setModificationSecond(_ url: URL, _ seconds: Int) {
        var times = [timespec(tv_sec: seconds, tv_nsec: 100), timespec(tv_sec: seconds, tv_nsec: 900_000)]
        XCTAssertEqual(utimensat(AT_FDCWD, url.path, &times, AT_SYMLINK_NOFOLLOW), 0)
    }

    private func modificationSecond(_ url: URL) -> Int {
        var info = stat()
        XCTAssertEqual(lstat(url.path, &info), 0)
        return info.st_mtim.tv_sec
    }

    func testARewriteWithinTheReplacedFilesSecondIsMovedPastIt() throws {
        let view = try makeView()
        // A second still to come: whatever the clock says now, the rewrite lands within it.
        let later = Int(Date().timeIntervalSince1970) + 1000
        setModificationSecond(viewFile(view, "app.txt"), later)
        try write("app.txt", "ppa\n")  // same size: what Python's bytecode cache cannot tell apart
        try view.update(from: source)
        XCTAssertEqual(modificationSecond(viewFile(view, "app.txt")), later + 1)
    }

    func testARewriteAfterTheReplacedFilesSecondKeepsTheTimeOfWriting() throws {
        let view = try makeView()
        setModificationSecond(viewFile(view, "app.txt"), 1_000_000_000)
        try write("app.txt", "ppa\n")
        let before = Int(Date().timeIntervalSince1970)
        try view.update(from: source)
        XCTAssertGreaterThanOrEqual(modificationSecond(viewFile(view, "app.txt")), before, "not forced to 1_000_000_001")
    }

    func testSetuidBitsAreCleared() throws {
        let view = try makeView()
        try FileManager.default.createDirectory(at: viewFile(view, ".build"), withIntermediateDirectories: true)
        try "#!/bin/sh\n".write(to: viewFile(view, ".build/tool"), atomically: false, encoding: .utf8)
        XCTAssertEqual(chmod(viewFile(view, ".build/tool").path, 0o4755), 0)
        try view.clearSetIDBits()
        var info = stat()
        XCTAssertEqual(stat(viewFile(view, ".build/tool").path, &info), 0)
        XCTAssertEqual(info.st_mode & 0o7777, 0o755)
    }
}
