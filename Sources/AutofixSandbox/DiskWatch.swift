import AutofixSupport
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Enforces the disk limit of one test run on the directory the sandbox may write. Checking the
/// filesystem's free space is one system call, so it runs often; only when the filesystem has
/// lost more than the room left under the limit is the directory itself measured (a walk that
/// follows no link), at most once a second. Unchecked Sendable: `check()` runs only on the
/// supervising thread, and `exceeded` is read after that thread handed back its result.
final class DiskWatch: @unchecked Sendable {
    private let directory: String
    private let limit: UInt64
    private let heldAtStart: UInt64
    private let freeAtStart: UInt64
    private var lastMeasured = Date.distantPast
    private(set) var exceeded = false

    init?(directory: String, limit: UInt64?) {
        guard let limit, let free = Self.freeBytes(directory) else { return nil }
        self.directory = directory
        self.limit = limit
        heldAtStart = (try? Self.bytes(in: DirectoryHandle.open(directory))) ?? 0
        freeAtStart = free
    }

    /// True once the directory holds more than the limit.
    func check() -> Bool {
        guard !exceeded, let free = Self.freeBytes(directory) else { return exceeded }
        let grown = freeAtStart > free ? freeAtStart - free : 0
        guard heldAtStart + grown > limit, Date().timeIntervalSince(lastMeasured) >= 1 else { return false }
        lastMeasured = Date()
        if let held = try? Self.bytes(in: DirectoryHandle.open(directory)), held > limit { exceeded = true }
        return exceeded
    }

    private static func freeBytes(_ path: String) -> UInt64? {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return nil }
        return UInt64(info.f_bavail) * UInt64(info.f_frsize)
    }

    /// Bytes allocated below `directory`, counting what each entry occupies on disk.
    static func bytes(in directory: DirectoryHandle) throws -> UInt64 {
        var total: UInt64 = 0
        for name in try directory.names() {
            guard let info = directory.status(name) else { continue }
            total += UInt64(max(info.st_blocks, 0)) * 512
            if info.st_mode & S_IFMT == S_IFDIR, let child = directory.subdirectory(name) {
                total += try bytes(in: child)
            }
        }
        return total
    }
}
