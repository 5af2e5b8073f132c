internal import CSystem
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An open directory that every operation goes through by name, one component at a time, without
/// following symbolic links: a directory that sandboxed code could have changed can be read,
/// rewritten and removed without ever reaching outside it. Nothing here opens a path with a `/`.
public final class DirectoryHandle {
    public let fd: Int32
    /// For messages only.
    public let path: String

    private init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    deinit { close(fd) }

    /// Opens `path` itself (trusted: made by this process), refusing a symlink at its last component.
    public static func open(_ path: String) throws -> DirectoryHandle {
        let fd = Glibc.open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw SystemCallError("open", path: path) }
        return DirectoryHandle(fd: fd, path: path)
    }

    /// The real subdirectory `name`, or nil when there is none (a symlink, a file or nothing).
    public func subdirectory(_ name: String) -> DirectoryHandle? {
        let child = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        return child >= 0 ? DirectoryHandle(fd: child, path: path + "/" + name) : nil
    }

    /// What `name` is, without following it.
    public func status(_ name: String) -> stat? {
        var info = stat()
        return fstatat(fd, name, &info, AT_SYMLINK_NOFOLLOW) == 0 ? info : nil
    }

    /// The names in this directory, without `.` and `..`.
    public func names() throws -> [String] {
        let copy = dup(fd)
        guard copy >= 0, let stream = fdopendir(copy) else { throw SystemCallError("opendir", path: path) }
        defer { closedir(stream) }
        rewinddir(stream)
        var result: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            if name != "." && name != ".." { result.append(name) }
        }
        return result
    }

    /// A real subdirectory `name`, made when missing; whatever else stands there is removed first.
    public func makeSubdirectory(_ name: String, mode: Glibc.mode_t = 0o755) throws -> DirectoryHandle {
        if let existing = subdirectory(name) { return existing }
        if status(name) != nil { try remove(name) }
        guard mkdirat(fd, name, mode) == 0 else { throw SystemCallError("mkdir", path: path + "/" + name) }
        guard let made = subdirectory(name) else { throw SystemCallError("open", path: path + "/" + name) }
        return made
    }

    /// Removes `url` and everything below it, following no link inside it.
    public static func removeItem(at url: URL) throws {
        try open(url.deletingLastPathComponent().path).remove(url.lastPathComponent)
    }

    /// Removes `name` and, for a directory, everything below it. Symlinks are removed, never followed.
    public func remove(_ name: String) throws {
        if unlinkat(fd, name, 0) == 0 || errno == ENOENT { return }
        guard errno == EISDIR || errno == EPERM else { throw SystemCallError("unlink", path: path + "/" + name) }
        guard let child = subdirectory(name) else { throw SystemCallError("open", path: path + "/" + name) }
        // Tests may leave read-only directories behind (Go's module cache does).
        _ = fchmod(child.fd, 0o700)
        for entry in try child.names() { try child.remove(entry) }
        guard unlinkat(fd, name, AT_REMOVEDIR) == 0 || errno == ENOENT else {
            throw SystemCallError("rmdir", path: path + "/" + name)
        }
    }

    /// Writes `name` as a new file (a temporary file renamed over it), so whatever stood there
    /// before, a hard link or a symlink included, is replaced and never written through.
    public func replaceFile(_ name: String, mode: Glibc.mode_t, modified: timespec? = nil,
                            contents write: (Int32) throws -> Void) throws {
        let temporary = ".autofix-\(name.prefix(40))-\(UInt32.random(in: 0...UInt32.max))"
        let file = openat(fd, temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard file >= 0 else { throw SystemCallError("create", path: path + "/" + temporary) }
        do {
            defer { close(file) }
            try write(file)
            guard fchmod(file, mode & 0o777) == 0 else { throw SystemCallError("chmod", path: path + "/" + temporary) }
            if let modified {
                // UTIME_OMIT (a macro Swift does not import): leave the access time.
                var times = [timespec(tv_sec: 0, tv_nsec: (1 << 30) - 2), modified]
                _ = futimens(file, &times)
            }
        } catch {
            unlinkat(fd, temporary, 0)
            throw error
        }
        try rename(temporary, over: name)
    }

    /// A symlink `name` pointing at `target` (not checked, not followed), replacing what was there.
    public func replaceSymlink(_ name: String, target: String) throws {
        let temporary = ".autofix-link-\(UInt32.random(in: 0...UInt32.max))"
        guard symlinkat(target, fd, temporary) == 0 else { throw SystemCallError("symlink", path: path + "/" + temporary) }
        try rename(temporary, over: name)
    }

    /// The target of the symlink `name`.
    public func linkTarget(_ name: String) throws -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlinkat(fd, name, &buffer, buffer.count - 1)
        guard count >= 0 else { throw SystemCallError("readlink", path: path + "/" + name) }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Opens the regular file `name` for reading; nil for anything else (a symlink, a fifo, a device).
    public func openRegularFile(_ name: String) throws -> Int32 {
        let file = openat(fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard file >= 0 else { throw SystemCallError("open", path: path + "/" + name) }
        var info = stat()
        guard fstat(file, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            close(file)
            throw SystemCallError("open", path: path + "/" + name, code: EINVAL)
        }
        return file
    }

    /// Clears setuid and setgid bits below this directory (files only, never following a link).
    public func clearSetIDBits() throws {
        for name in try names() {
            guard let info = status(name) else { continue }
            switch info.st_mode & S_IFMT {
            case S_IFDIR:
                try subdirectory(name)?.clearSetIDBits()
            case S_IFREG where info.st_mode & (S_ISUID | S_ISGID) != 0:
                let file = try openRegularFile(name)
                defer { close(file) }
                guard fchmod(file, info.st_mode & 0o777) == 0 else { throw SystemCallError("chmod", path: path + "/" + name) }
            default:
                continue
            }
        }
    }

    private func rename(_ temporary: String, over name: String) throws {
        if renameat(fd, temporary, fd, name) == 0 { return }
        // A directory (or a non-empty one) stands where the file goes: it goes first.
        if errno == EISDIR || errno == ENOTEMPTY || errno == EEXIST {
            try remove(name)
            if renameat(fd, temporary, fd, name) == 0 { return }
        }
        let failure = SystemCallError("rename", path: path + "/" + name)
        unlinkat(fd, temporary, 0)
        throw failure
    }
}

/// Directories that only this user can enter.
public enum PrivateDirectory {
    /// `mkdtemp`: an unpredictable name, made exclusively, mode 0700.
    public static func make(under parent: URL, prefix: String) throws -> URL {
        var template = Array(parent.appendingPathComponent(prefix + "XXXXXXXX").path.utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        guard let made else { throw SystemCallError("mkdtemp", path: parent.path) }
        return URL(fileURLWithPath: String(cString: made), isDirectory: true)
    }
}

/// Copies all of `source` into `destination`, in the kernel where it can.
public func copyContents(of source: Int32, to destination: Int32, path: String) throws {
    while true {
        let copied = autofix_copy_file_range(source, destination, 1 << 30)
        if copied > 0 { continue }
        if copied == 0 { return }
        if errno == EINTR { continue }
        guard errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP else {
            throw SystemCallError("copy", path: path)
        }
        break
    }
    var buffer = [UInt8](repeating: 0, count: 1 << 20)
    while true {
        let count = try buffer.withUnsafeMutableBytes { try SystemCall.read(source, into: $0.baseAddress!, count: $0.count, path: path) }
        if count == 0 { return }
        try buffer.withUnsafeBytes { try SystemCall.writeAll(destination, UnsafeRawBufferPointer(rebasing: $0[0..<count]), path: path) }
    }
}

extension DirectoryHandle {
    /// Bytes allocated below this directory, counting what each entry occupies on disk and
    /// following no link.
    public func allocatedBytes() throws -> UInt64 {
        var total: UInt64 = 0
        for name in try names() {
            guard let info = status(name) else { continue }
            total += UInt64(max(info.st_blocks, 0)) * 512
            if info.st_mode & S_IFMT == S_IFDIR, let child = subdirectory(name) {
                total += try child.allocatedBytes()
            }
        }
        return total
    }
}
