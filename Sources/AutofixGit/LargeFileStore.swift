internal import CGit2
import AutofixSupport
import Foundation

/// A file of the work tree the snapshot stored that is large enough to tell the user about:
/// it now takes room in `.git` until the run is dropped and `git gc` runs.
public struct LargeFile: Sendable, Equatable {
    public let path: String
    /// Its size on disk.
    public let bytes: Int64

    public init(path: String, bytes: Int64) {
        self.path = path
        self.bytes = bytes
    }

    /// Files larger than this are reported (`Snapshot.largeFiles`).
    public static let warningBytes: Int64 = 50 << 20

    /// A line for the user: what was stored and how to keep it out next time.
    public var warning: String {
        let mebibytes = String(format: "%.1f", Double(bytes) / Double(1 << 20))
        return "stored \(path) (\(mebibytes) MiB) in the snapshot: it stays in .git until the run is dropped and `git gc` runs; add it to .gitignore or .git/info/exclude to leave it out"
    }
}

/// Records large files in the private index without reading them into memory.
///
/// libgit2 streams a file into the object database when no filter applies to it, but reads it
/// whole (and builds a filtered copy) as soon as one does, and the crlf filter applies to every
/// file under `* text=auto` or `core.autocrlf`: a 2 GB file then costs more than 2 GB of memory.
/// Yet the crlf filter leaves most large files as they are: a file without a carriage return,
/// and, for `text=auto`, any file with a NUL byte (binary). For those this streams the bytes
/// themselves, checking on the way that the filter would have left them alone, and gives the
/// file back to libgit2 when it would not (what git itself does: it too reads a file whole to
/// convert it).
struct LargeFileStore {
    /// Smaller files take libgit2's path: its whole-file read is bounded by this, and the
    /// in-memory object store keeps objects below it anyway.
    static let threshold = Int64(InMemoryObjectBackend.largeObjectBytes)

    let repository: Repository
    let index: PrivateIndex
    let workdir: URL

    /// Stores `path` (a regular file of at least `threshold` bytes) and records it in the index.
    /// Returns false, having changed nothing, when libgit2 must store it instead.
    func add(_ path: String) throws -> Bool {
        var filters: OpaquePointer?
        try check(git_filter_list_load(&filters, repository.pointer, nil, path, GIT_FILTER_TO_ODB, GIT_FILTER_DEFAULT.rawValue),
                  "loading the filters for \(path)")
        // No filter: libgit2 streams the file itself.
        guard let filters else { return false }
        defer { git_filter_list_free(filters) }
        // The built-in filters are crlf and ident; external drivers were refused before this.
        guard git_filter_list_contains(filters, "crlf") == 1, git_filter_list_contains(filters, "ident") == 0 else { return false }
        let policy = try CRLFPolicy(repository: repository, path: path)

        let descriptor = open(workdir.path + "/" + path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return false }
        guard let mode = try indexMode(path, info) else { return false }

        var odb: OpaquePointer?
        try check(git_repository_odb(&odb, repository.pointer), "opening the object database")
        defer { git_odb_free(odb) }
        var stream: UnsafeMutablePointer<git_odb_stream>?
        try check(git_odb_open_wstream(&stream, odb, git_object_size_t(info.st_size), GIT_OBJECT_BLOB), "storing \(path)")
        // Freed without finalising, a stream leaves nothing behind.
        defer { git_odb_stream_free(stream) }

        var sawCarriageReturn = false
        var sawNUL = false
        var total: Int64 = 0
        let chunk = 1 << 20
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: chunk, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count: Int
            do {
                count = try SystemCall.read(descriptor, into: buffer, count: chunk, path: path)
            } catch let failure as SystemCallError {
                throw GitError(.other, "could not read \(path): \(failure.reason)",
                               hint: "check that the file is readable, then run git autofix again")
            }
            if count == 0 { break }
            total += Int64(count)
            if !sawCarriageReturn { sawCarriageReturn = memchr(buffer, 0x0D, count) != nil }
            if !sawNUL { sawNUL = memchr(buffer, 0, count) != nil }
            try check(git_odb_stream_write(stream, buffer.assumingMemoryBound(to: CChar.self), count), "storing \(path)")
        }
        guard total == Int64(info.st_size) else {
            throw GitError(.modified, "\(path) changed while it was being recorded",
                           hint: "wait until nothing writes to it, then run git autofix again")
        }
        let unchanged = total == 0
            || (!sawCarriageReturn && !policy.safeCRLF)
            || (sawNUL && policy.isAuto)
        guard unchanged else { return false }

        var id = git_oid()
        try check(git_odb_stream_finalize_write(&id, stream), "storing \(path)")
        var entry = git_index_entry()
        entry.ctime = git_index_time(seconds: Int32(truncatingIfNeeded: info.st_ctim.tv_sec), nanoseconds: UInt32(truncatingIfNeeded: info.st_ctim.tv_nsec))
        entry.mtime = git_index_time(seconds: Int32(truncatingIfNeeded: info.st_mtim.tv_sec), nanoseconds: UInt32(truncatingIfNeeded: info.st_mtim.tv_nsec))
        entry.dev = UInt32(truncatingIfNeeded: info.st_dev)
        entry.ino = UInt32(truncatingIfNeeded: info.st_ino)
        entry.mode = mode
        entry.uid = info.st_uid
        entry.gid = info.st_gid
        entry.file_size = UInt32(truncatingIfNeeded: info.st_size)
        entry.id = id
        try path.withCString { name in
            entry.path = name
            _ = try check(git_index_add(index.pointer, &entry), "recording \(path)")
        }
        return true
    }

    /// The mode libgit2 would record (`index_merge_mode`), or nil where it keeps a symbolic
    /// link's mode for a regular file (core.symlinks off), which is left to libgit2.
    private func indexMode(_ path: String, _ info: stat) throws -> UInt32? {
        let existing = git_index_get_bypath(index.pointer, path, 0)?.pointee.mode
        if existing == 0o120000 { return nil }
        if try repository.configBool("core.filemode") == false {
            return existing.flatMap { $0 & 0o170000 == 0o100000 ? $0 : nil } ?? 0o100644
        }
        return info.st_mode & 0o100 != 0 ? 0o100755 : 0o100644
    }
}

/// What libgit2's crlf filter (crlf.c, `convert_attrs`) decides for one path, as far as it
/// matters for leaving bytes alone.
private struct CRLFPolicy {
    /// `text=auto`, or no text attribute under `core.autocrlf`: binary files are left alone.
    let isAuto: Bool
    /// `core.safecrlf` set: the filter may refuse a file, which only libgit2 can say.
    let safeCRLF: Bool

    init(repository: Repository, path: String) throws {
        func attribute(_ name: String) throws -> (set: Bool?, value: String?) {
            var value: UnsafePointer<CChar>?
            try check(git_attr_get(&value, repository.pointer, UInt32(GIT_ATTR_CHECK_FILE_THEN_INDEX), path, name),
                      "reading the \(name) attribute of \(path)")
            switch git_attr_value(value) {
            case GIT_ATTR_VALUE_TRUE: return (true, nil)
            case GIT_ATTR_VALUE_FALSE: return (false, nil)
            case GIT_ATTR_VALUE_STRING: return (nil, value.map { String(cString: $0) })
            default: return (nil, nil)
            }
        }
        enum Action { case text, binary, auto, undefined }
        func action(_ attribute: (set: Bool?, value: String?)) -> Action {
            if let set = attribute.set { return set ? .text : .binary }
            switch attribute.value {
            case "input": return .text
            case "auto": return .auto
            default: return .undefined
            }
        }
        var decided = action(try attribute("text"))
        if decided == .undefined { decided = action(try attribute("crlf")) }
        if decided == .undefined, let eol = try attribute("eol").value, eol == "lf" || eol == "crlf" { decided = .text }
        if decided == .undefined {
            let autocrlf = try repository.configString("core.autocrlf")?.lowercased()
            if autocrlf == "input" { decided = .auto } else if try repository.configBool("core.autocrlf") == true { decided = .auto }
        }
        isAuto = decided == .auto
        // "warn" only warns, but anything but false is left to libgit2 to judge.
        safeCRLF = try repository.configString("core.safecrlf").map { repository.parseBool($0) != false } ?? false
    }
}
