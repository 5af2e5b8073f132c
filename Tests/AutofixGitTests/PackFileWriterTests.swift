@testable import AutofixGit
import AutofixTestSupport
import CGit2
import XCTest

final class PackFileWriterTests: XCTestCase {
    override func setUp() {
        Hermetic.applyToCurrentProcess()
    }

    /// Objects built the way libgit2 names them, so the pack can be checked by git itself.
    private func object(_ data: [UInt8], type: git_object_t = GIT_OBJECT_BLOB) -> InMemoryObjectBackend.Object {
        var id = git_oid()
        data.withUnsafeBytes { _ = git_odb_hash(&id, $0.baseAddress, $0.count, type) }
        return InMemoryObjectBackend.Object(id: id, type: type, data: data)
    }

    func testGitVerifiesThePackAndReadsEveryObjectBack() throws {
        let repo = try TestRepository(bare: true)
        var generator = SeededGenerator(seed: 7)
        // Sizes around the header's 4-bit and 7-bit boundaries, an empty blob, a larger one.
        let sizes = [0, 1, 15, 16, 17, 127, 128, 2047, 2048, 2049, 70_000] + (0..<300).map { _ in Int.random(in: 0..<600, using: &generator) }
        var objects: [InMemoryObjectBackend.Object] = []
        var seen = Set<String>()
        for (position, size) in sizes.enumerated() {
            let bytes = (0..<size).map { _ in UInt8.random(in: 0...255, using: &generator) } + Array("#\(position)".utf8)
            let candidate = object(bytes)
            if seen.insert(ObjectID(candidate.id).hex).inserted { objects.append(candidate) }
        }
        let tree = "100644 a.txt\0".utf8.map { $0 } + withUnsafeBytes(of: objects[0].id.id) { Array($0) }
        objects.append(object(tree, type: GIT_OBJECT_TREE))

        let packDirectory = repo.url.appendingPathComponent("objects/pack")
        let checksum = try PackFileWriter(packDirectory: packDirectory).write(objects)

        let index = packDirectory.appendingPathComponent("pack-\(checksum).idx").path
        let verify = try Shell.run(["git", "verify-pack", "-v", index], in: repo.url)
        XCTAssertEqual(verify.status, 0, verify.stderr)
        XCTAssertTrue(verify.stdout.contains("non delta: \(objects.count) objects"), verify.stdout)
        let readBack = try catFileBatch(objects.map { ObjectID($0.id).hex }, in: repo.url)
        XCTAssertEqual(readBack.count, objects.count)
        for (object, (type, data)) in zip(objects, readBack) {
            XCTAssertEqual(type, object.type == GIT_OBJECT_TREE ? "tree" : "blob")
            XCTAssertEqual(data, object.data, "object \(ObjectID(object.id).hex) reads back different bytes")
        }
        let fsck = try Shell.run(["git", "fsck", "--strict", "--no-dangling"], in: repo.url)
        XCTAssertEqual(fsck.status, 0, fsck.stderr)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: packDirectory.path).filter { $0.hasPrefix("tmp_") }
        XCTAssertEqual(leftovers, [])
    }

    func testSHA1MatchesSha1sumAtEveryBlockBoundary() throws {
        let temp = try TemporaryDirectory()
        var generator = SeededGenerator(seed: 11)
        for length in [0, 1, 3, 55, 56, 57, 63, 64, 65, 119, 120, 128, 1000, 65_537] {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let file = temp.file("input-\(length)")
            try Data(bytes).write(to: file)
            let expected = try Shell.check(["sha1sum", file.path]).prefix(40)
            // Fed whole and in uneven pieces: the digest must not depend on how bytes arrive.
            var pieces = SHA1()
            var offset = 0
            while offset < bytes.count {
                let step = min(bytes.count - offset, Int.random(in: 1...100, using: &generator))
                pieces.update(Array(bytes[offset..<(offset + step)]))
                offset += step
            }
            XCTAssertEqual(hex(SHA1.digest(bytes)), String(expected), "length \(length)")
            XCTAssertEqual(hex(pieces.finish()), String(expected), "length \(length), in pieces")
        }
    }

    /// `git cat-file --batch` for `ids`, its binary output parsed into (type, contents) pairs.
    private func catFileBatch(_ ids: [String], in directory: URL) throws -> [(String, [UInt8])] {
        let temp = try TemporaryDirectory()
        try (ids.joined(separator: "\n") + "\n").write(to: temp.file("ids"), atomically: false, encoding: .utf8)
        try Shell.check(["sh", "-c", "git cat-file --batch < \"$1\" > \"$2\"", "sh", temp.file("ids").path, temp.file("out").path],
                        in: directory)
        let output = [UInt8](try Data(contentsOf: temp.file("out")))
        var results: [(String, [UInt8])] = []
        var position = 0
        while position < output.count {
            let newline = output[position...].firstIndex(of: 0x0A)!
            let header = String(decoding: output[position..<newline], as: UTF8.self).split(separator: " ")
            let size = Int(header[2])!
            results.append((String(header[1]), Array(output[(newline + 1)..<(newline + 1 + size)])))
            position = newline + 1 + size + 1
        }
        return results
    }

    private func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }
}
