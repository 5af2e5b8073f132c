import AutofixSupport
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Enforces the disk limit of one test run on the directories the sandbox may write, together:
/// what the run adds to what they held when it started, so a warm build directory kept from
/// earlier runs does not count against it. Checking the
/// filesystem's free space is one system call, so it runs often; only when the filesystem has
/// lost more than the room left under the limit is the directory itself measured (a walk that
/// follows no link), at most once a second. Unchecked Sendable: `check()` runs only on the
/// supervising thread, and `exceeded` is read after that thread handed back its result.
final class DiskWatch: @unchecked Sendable {
    private let directories: [String]
    private let limit: UInt64
    private let heldAtStart: UInt64
    private let freeAtStart: [UInt64]
    private var lastMeasured = Date.distantPast
    private(set) var exceeded = false

    init?(directories: [String], limit: UInt64?) {
        let free = directories.compactMap(Self.freeBytes)
        guard let limit, free.count == directories.count, !directories.isEmpty else { return nil }
        self.directories = directories
        self.limit = limit
        heldAtStart = Self.held(in: directories)
        freeAtStart = free
    }

    /// True once the directories hold more than the limit beyond what they held at the start.
    func check() -> Bool {
        guard !exceeded else { return exceeded }
        // Directories on one filesystem count its loss once each: measuring early is harmless.
        var grown: UInt64 = 0
        for (directory, before) in zip(directories, freeAtStart) {
            guard let free = Self.freeBytes(directory) else { return exceeded }
            grown += before > free ? before - free : 0
        }
        guard grown > limit, Date().timeIntervalSince(lastMeasured) >= 1 else { return false }
        lastMeasured = Date()
        if Self.held(in: directories) > heldAtStart + limit { exceeded = true }
        return exceeded
    }

    /// The last look, once the process has ended: a writer that passed the limit and exited
    /// between two looks is caught all the same.
    func checkAtEnd() -> Bool {
        lastMeasured = .distantPast
        return check()
    }

    private static func held(in directories: [String]) -> UInt64 {
        directories.reduce(0) { $0 + ((try? bytes(in: DirectoryHandle.open($1))) ?? 0) }
    }

    private static func freeBytes(_ path: String) -> UInt64? {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return nil }
        return UInt64(info.f_bavail) * UInt64(info.f_frsize)
    }

    static func bytes(in directory: DirectoryHandle) throws -> UInt64 {
        try directory.allocatedBytes()
    }
}
