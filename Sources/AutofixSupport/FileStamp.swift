import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What `lstat` says of a file, enough to tell that nobody wrote, replaced or re-linked it since:
/// a write moves the change time, which no unprivileged process can set back, and a replacement
/// has another inode. Codable, so a stamp can be kept in a host-owned file between runs.
public struct FileStamp: Equatable, Codable, Sendable {
    public var device: UInt64, inode: UInt64, size: Int64, mode: UInt32
    public var modifiedSeconds: Int, modifiedNanoseconds: Int
    public var changedSeconds: Int, changedNanoseconds: Int

    public init(_ info: stat) {
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
        size = Int64(info.st_size)
        mode = UInt32(info.st_mode)
        modifiedSeconds = info.st_mtim.tv_sec
        modifiedNanoseconds = info.st_mtim.tv_nsec
        changedSeconds = info.st_ctim.tv_sec
        changedNanoseconds = info.st_ctim.tv_nsec
    }
}
