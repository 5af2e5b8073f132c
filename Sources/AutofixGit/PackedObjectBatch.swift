internal import CGit2
import Foundation

/// Collects the objects written through one repository handle in memory and then stores them in
/// the repository: as one pack file when there are many, as loose objects when there are few.
/// On a snapshot of a large work tree, creating a file per new blob and tree is most of the cost
/// (for git as for libgit2: inode allocation on ext4); a pack is two files whatever the count.
///
/// Every later write through the handle goes to memory too, so the handle must be one opened
/// for the batch alone. Objects not stored vanish with the handle, which is what a snapshot
/// that fails half-way wants: nothing is left behind.
final class PackedObjectBatch {
    /// Fewer objects than this are stored loose: a pack per small snapshot would only make
    /// `git gc --auto` repack sooner. git draws the same line for the packs it receives
    /// (`transfer.unpackLimit`, 100 objects).
    static let minimumPackedObjects = 100

    private let memory: InMemoryObjectBackend

    init(attachingTo handle: Repository, memoryBudget: Int = InMemoryObjectBackend.defaultMemoryBudget) throws {
        memory = try InMemoryObjectBackend.attach(to: handle, memoryBudget: memoryBudget)
    }

    /// The objects collected so far.
    var count: Int { memory.objects.count }

    /// Stores the collected objects in `repository`, which must be another handle than the one
    /// the batch is attached to. Returns whether they went into a pack.
    @discardableResult
    func store(in repository: Repository) throws -> Bool {
        let objects = memory.objects
        if objects.count >= PackedObjectBatch.minimumPackedObjects {
            try PackFileWriter(packDirectory: repository.objectDirectory.appendingPathComponent("pack")).write(objects)
            return true
        }
        var odb: OpaquePointer?
        try check(git_repository_odb(&odb, repository.pointer), "opening the object database")
        defer { git_odb_free(odb) }
        for object in objects {
            var id = git_oid()
            try object.data.withUnsafeBytes { bytes in
                _ = try check(git_odb_write(&id, odb, bytes.baseAddress, bytes.count, object.type), "storing an object")
            }
        }
        return false
    }
}

extension Repository {
    /// Where objects are stored: GIT_OBJECT_DIRECTORY when set (libgit2 honours it when opening
    /// from the environment), else `objects` in the common directory.
    var objectDirectory: URL {
        if let override = ProcessInfo.processInfo.environment["GIT_OBJECT_DIRECTORY"], !override.isEmpty {
            return URL(fileURLWithPath: override, isDirectory: true)
        }
        return commonDirectory.appendingPathComponent("objects", isDirectory: true)
    }
}
