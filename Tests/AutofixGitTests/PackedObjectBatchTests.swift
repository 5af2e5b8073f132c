@testable import AutofixGit
import AutofixTestSupport
import CGit2
import XCTest

final class PackedObjectBatchTests: XCTestCase {
    override func setUp() {
        Hermetic.applyToCurrentProcess()
    }

    private func write(_ text: String, through handle: Repository) throws -> String {
        var odb: OpaquePointer?
        XCTAssertEqual(git_repository_odb(&odb, handle.pointer), 0)
        defer { git_odb_free(odb) }
        var id = git_oid()
        let bytes = Array(text.utf8)
        XCTAssertEqual(bytes.withUnsafeBytes { git_odb_write(&id, odb, $0.baseAddress, $0.count, GIT_OBJECT_BLOB) }, 0)
        return ObjectID(id).hex
    }

    private func looseObjectExists(_ repo: TestRepository, _ id: String) -> Bool {
        FileManager.default.fileExists(atPath: repo.file(".git/objects/\(id.prefix(2))/\(id.dropFirst(2))").path)
    }

    func testObjectsPastTheMemoryBudgetGoLooseAndTheRestIntoOnePack() throws {
        let repo = try TestRepository()
        let repository = try Repository.discover(from: repo.url)
        let handle = try repository.reopened()
        // 150 blobs of about 40 bytes against a 4000-byte budget: about 100 stay in memory.
        let batch = try PackedObjectBatch(attachingTo: handle, memoryBudget: 4000)
        let ids = try (0..<150).map { try write("blob number \($0) with some padding text\n", through: handle) }
        let held = batch.count
        XCTAssertGreaterThanOrEqual(held, PackedObjectBatch.minimumPackedObjects)
        XCTAssertLessThan(held, ids.count)
        let loose = ids.filter { looseObjectExists(repo, $0) }
        XCTAssertEqual(loose.count, ids.count - held, "every object is either held or already on disk")
        XCTAssertEqual(loose, Array(ids.suffix(loose.count)), "the budget runs out once, then everything goes loose")

        XCTAssertTrue(try batch.store(in: repository))
        let contents = try Shell.check(["sh", "-c", "for id in \(ids.joined(separator: " ")); do git cat-file blob $id; done"], in: repo.url)
        XCTAssertEqual(contents, (0..<150).map { "blob number \($0) with some padding text\n" }.joined())
        let verify = try Shell.check(["sh", "-c", "git verify-pack -v .git/objects/pack/*.idx"], in: repo.url)
        XCTAssertTrue(verify.contains("non delta: \(held) objects"), verify)
    }

    func testFewObjectsAreStoredLooseAndNothingIsWrittenBeforeStore() throws {
        let repo = try TestRepository()
        let repository = try Repository.discover(from: repo.url)
        let handle = try repository.reopened()
        let batch = try PackedObjectBatch(attachingTo: handle)
        let ids = try (0..<5).map { try write("small \($0)\n", through: handle) }
        XCTAssertEqual(ids.filter { looseObjectExists(repo, $0) }, [], "held in memory until stored")
        XCTAssertFalse(try batch.store(in: repository))
        XCTAssertEqual(ids.filter { looseObjectExists(repo, $0) }, ids)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: repo.file(".git/objects/pack").path), [])
    }
}
