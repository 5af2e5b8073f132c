import AutofixSupport
import AutofixTestSupport
import Foundation
import XCTest

final class SystemCallTests: XCTestCase {
    func testAnAtomicWriteReplacesTheFileWithTheModeAskedAndLeavesNoTemporaryFile() throws {
        let directory = try TemporaryDirectory()
        let file = directory.file("status.json")
        try Data("old".utf8).write(to: file)

        try AtomicFileWriter.write(Array("new".utf8), to: file, mode: 0o640, durability: .synced)

        XCTAssertEqual(try String(contentsOf: file, encoding: .utf8), "new")
        let attributes = try FileManager.default.attributesOfItem(atPath: file.path)
        XCTAssertEqual((attributes[.posixPermissions] as? NSNumber)?.intValue, 0o640)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["status.json"])
    }

    func testAnAtomicWriteIntoAMissingDirectoryNamesTheCallAndTheDirectory() throws {
        let directory = try TemporaryDirectory()
        let missing = directory.file("gone")

        XCTAssertThrowsError(try AtomicFileWriter.write(Array("x".utf8), to: missing.appendingPathComponent("f"),
                                                        mode: 0o644, durability: .unsynced)) { error in
            let failure = error as? SystemCallError
            XCTAssertEqual(failure?.code, ENOENT)
            XCTAssertEqual(failure?.path, missing.path)
            XCTAssertEqual(failure?.message, "create a temporary file in \(missing.path): No such file or directory")
        }
    }

    func testAFailedRenameRemovesTheTemporaryFileAndLeavesWhatStoodThere() throws {
        let directory = try TemporaryDirectory()
        let occupied = directory.file("occupied")
        try FileManager.default.createDirectory(at: occupied.appendingPathComponent("inside"), withIntermediateDirectories: true)

        XCTAssertThrowsError(try AtomicFileWriter.write(Array("x".utf8), to: occupied, mode: 0o644, durability: .unsynced)) { error in
            XCTAssertEqual((error as? SystemCallError)?.call, "rename")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["occupied"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: occupied.path), ["inside"])
    }

    func testWritingToADescriptorOpenForReadingReportsWriteAndThePath() throws {
        let directory = try TemporaryDirectory()
        let file = directory.file("read-only")
        try Data().write(to: file)
        let fd = open(file.path, O_RDONLY | O_CLOEXEC)
        XCTAssertGreaterThanOrEqual(fd, 0)
        defer { close(fd) }

        XCTAssertThrowsError(try SystemCall.writeAll(fd, Array("data".utf8), path: file.path)) { error in
            XCTAssertEqual(error as? SystemCallError, SystemCallError("write", path: file.path, code: EBADF))
        }
    }
}
