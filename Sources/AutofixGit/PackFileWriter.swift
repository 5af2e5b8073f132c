internal import CZlib
import AutofixSupport
import Foundation

/// Writes objects as one pack (version 2) and its index (version 2) into a pack directory, in
/// the format git documents in gitformat-pack(5). Objects are stored whole, without deltas:
/// they are new content that `git gc` will delta against history when it repacks anyway, and
/// a delta search costs more than the files it saves (libgit2's pack builder tries ten
/// candidates per object).
struct PackFileWriter {
    /// zlib level 1, git's default for loose objects (`core.looseCompression`): these objects
    /// are written once per run, and `git gc` recompresses what it keeps.
    static let compressionLevel: Int32 = 1

    let packDirectory: URL

    private struct Entry {
        let name: [UInt8]
        let crc: UInt32
        let offset: UInt64
    }

    /// Writes `objects` (each once) as `pack-<checksum>.pack` and `.idx`, the index last, so a
    /// reader never finds an index without its pack. Returns the checksum in hex.
    @discardableResult
    func write(_ objects: [InMemoryObjectBackend.Object]) throws -> String {
        var pack: [UInt8] = Array("PACK".utf8)
        pack.appendBigEndian(UInt32(2))
        pack.appendBigEndian(UInt32(objects.count))
        var entries: [Entry] = []
        entries.reserveCapacity(objects.count)
        for object in objects {
            let start = pack.count
            appendHeader(type: object.type.rawValue, size: object.data.count, to: &pack)
            try deflate(object.data, appendingTo: &pack)
            let crc = pack.withUnsafeBytes { bytes in
                UInt32(crc32_z(0, bytes.baseAddress!.assumingMemoryBound(to: Bytef.self) + start, bytes.count - start))
            }
            entries.append(Entry(name: withUnsafeBytes(of: object.id.id) { Array($0) }, crc: crc, offset: UInt64(start)))
        }
        let checksum = SHA1.digest(pack)
        pack += checksum
        let index = makeIndex(entries, packChecksum: checksum)

        let name = "pack-" + checksum.map { String(format: "%02x", $0) }.joined()
        try FileManager.default.createDirectory(at: packDirectory, withIntermediateDirectories: true)
        let packFile = try writeTemporary(pack, prefix: "tmp_pack_")
        let indexFile: URL
        do {
            indexFile = try writeTemporary(index, prefix: "tmp_idx_")
        } catch {
            unlink(packFile.path)
            throw error
        }
        let packDestination = packDirectory.appendingPathComponent(name + ".pack")
        try moveIntoPlace(packFile, to: packDestination, orRemove: indexFile)
        try moveIntoPlace(indexFile, to: packDirectory.appendingPathComponent(name + ".idx"), orRemove: packDestination)
        return String(name.dropFirst("pack-".count))
    }

    /// Type in bits 4-6 of the first byte, the size in the low four bits and then seven bits per
    /// byte, least significant first, the high bit saying another byte follows.
    private func appendHeader(type: Int32, size: Int, to pack: inout [UInt8]) {
        var remaining = size >> 4
        var byte = UInt8(truncatingIfNeeded: (Int(type) << 4) | (size & 0x0F))
        while remaining > 0 {
            pack.append(byte | 0x80)
            byte = UInt8(truncatingIfNeeded: remaining & 0x7F)
            remaining >>= 7
        }
        pack.append(byte)
    }

    private func deflate(_ data: [UInt8], appendingTo pack: inout [UInt8]) throws {
        let start = pack.count
        var capacity = compressBound(uLong(data.count))
        pack.append(contentsOf: repeatElement(0, count: Int(capacity)))
        let result = pack.withUnsafeMutableBytes { output in
            data.withUnsafeBytes { input in
                compress2(output.baseAddress!.assumingMemoryBound(to: Bytef.self) + start, &capacity,
                          input.baseAddress?.assumingMemoryBound(to: Bytef.self) ?? UnsafePointer(bitPattern: 1)!,
                          uLong(input.count), PackFileWriter.compressionLevel)
            }
        }
        guard result == Z_OK else {
            throw GitError(.other, "could not compress an object for the pack (zlib error \(result))")
        }
        pack.removeLast(pack.count - start - Int(capacity))
    }

    /// Sorted names with a fan-out table over their first byte, then each object's CRC-32 and
    /// offset (offsets past 2 GiB go to a table of 8-byte ones), the pack's checksum, and the
    /// index's own.
    private func makeIndex(_ entries: [Entry], packChecksum: [UInt8]) -> [UInt8] {
        let sorted = entries.sorted { $0.name.lexicographicallyPrecedes($1.name) }
        var index: [UInt8] = [0xFF, 0x74, 0x4F, 0x63]
        index.appendBigEndian(UInt32(2))
        var fanout = [UInt32](repeating: 0, count: 256)
        for entry in sorted { fanout[Int(entry.name[0])] += 1 }
        var total: UInt32 = 0
        for bucket in 0..<256 {
            total += fanout[bucket]
            index.appendBigEndian(total)
        }
        for entry in sorted { index += entry.name }
        for entry in sorted { index.appendBigEndian(entry.crc) }
        var largeOffsets: [UInt64] = []
        for entry in sorted {
            if entry.offset < 0x8000_0000 {
                index.appendBigEndian(UInt32(entry.offset))
            } else {
                index.appendBigEndian(0x8000_0000 | UInt32(largeOffsets.count))
                largeOffsets.append(entry.offset)
            }
        }
        for offset in largeOffsets { index.appendBigEndian(offset) }
        index += packChecksum
        index += SHA1.digest(index)
        return index
    }

    /// A new read-only file in the pack directory, named the way git names its temporary pack
    /// files, so `git gc` cleans up one left by a crash. git syncs pack files by default
    /// (core.fsync): the run ref will point into this pack, so it must be on disk before the ref is.
    private func writeTemporary(_ bytes: [UInt8], prefix: String) throws -> URL {
        do {
            return try AtomicFileWriter.writeTemporary(bytes, in: packDirectory, prefix: prefix, mode: 0o444, durability: .synced)
        } catch let failure as SystemCallError {
            throw Self.gitError(failure)
        }
    }

    /// On failure, removes the temporary file and `other` (the pack's partner) too.
    private func moveIntoPlace(_ temporary: URL, to destination: URL, orRemove other: URL) throws {
        do {
            try SystemCall.retrying("rename", path: destination.path) { rename(temporary.path, destination.path) }
        } catch let failure as SystemCallError {
            unlink(temporary.path)
            unlink(other.path)
            throw Self.gitError(failure)
        }
    }

    private static func gitError(_ failure: SystemCallError) -> GitError {
        GitError(.other, "could not write \(failure.path) (\(failure.call)): \(failure.reason)",
                 hint: "check that the repository's object directory is writable and the disk is not full")
    }
}

private extension Array where Element == UInt8 {
    mutating func appendBigEndian<Value: FixedWidthInteger>(_ value: Value) {
        Swift.withUnsafeBytes(of: value.bigEndian) { append(contentsOf: $0) }
    }
}
