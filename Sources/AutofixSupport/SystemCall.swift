import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A failed system call: which call, on what, and errno. Copied the moment the call fails.
public struct SystemCallError: AutofixError, Equatable {
    public let call: String
    public let path: String
    public let code: Int32

    public init(_ call: String, path: String, code: Int32 = errno) {
        self.call = call
        self.path = path
        self.code = code
    }

    /// errno's text, e.g. "No space left on device".
    public var reason: String { String(cString: strerror(code)) }
    public var message: String { "\(call) \(path): \(reason)" }
    public var hint: String? {
        code == ENOSPC ? "free some disk space in the temporary directory (TMPDIR)" : nil
    }
    public var category: ExitCategory { .sandbox }
}

/// Every system call whose failure matters goes through here, as in swift-nio's System.swift:
/// an interrupted call is retried, and a failure becomes a `SystemCallError` before anything
/// else can overwrite errno.
public enum SystemCall {
    /// Runs `body` until it is not interrupted; -1 becomes a thrown error naming `call` and `path`.
    @discardableResult
    public static func retrying<Result: BinaryInteger>(_ call: String, path: String, _ body: () -> Result) throws -> Result {
        while true {
            let result = body()
            if result != -1 { return result }
            if errno == EINTR { continue }
            throw SystemCallError(call, path: path)
        }
    }

    /// Like `retrying`, for calls that return an error number instead of setting errno
    /// (posix_spawn and its file actions).
    public static func checkingReturnedError(_ call: String, path: String, _ body: () -> Int32) throws {
        while true {
            let result = body()
            if result == 0 { return }
            if result == EINTR { continue }
            throw SystemCallError(call, path: path, code: result)
        }
    }

    /// Writes all of `bytes` to `fd`, however many writes that takes.
    public static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws {
        guard let base = bytes.baseAddress else { return }
        var offset = 0
        while offset < bytes.count {
            let written = try retrying("write", path: path) { write(fd, base + offset, bytes.count - offset) }
            // A zero-byte write of a non-empty buffer would loop forever; the disk is as good as full.
            guard written > 0 else { throw SystemCallError("write", path: path, code: ENOSPC) }
            offset += written
        }
    }

    public static func writeAll(_ fd: Int32, _ data: some ContiguousBytes, path: String) throws {
        try data.withUnsafeBytes { try writeAll(fd, $0, path: path) }
    }

    /// Reads up to `count` bytes into `buffer`; 0 at the end of the file.
    public static func read(_ fd: Int32, into buffer: UnsafeMutableRawPointer, count: Int, path: String) throws -> Int {
        try retrying("read", path: path) { Glibc.read(fd, buffer, count) }
    }
}

/// A file written whole or not at all: a temporary file in the same directory, renamed over the
/// destination, so a reader never sees half a file and a failure leaves the old content in place.
public enum AtomicFileWriter {
    /// Whether the contents must be on disk before the rename makes them visible.
    public enum Durability: Sendable {
        /// fsync the file before the rename: something durable (a ref) will point at it.
        case synced
        /// No fsync: the file is scratch, or a crash losing it is harmless.
        case unsynced
    }

    /// Writes `data` to `url` with permission bits `mode`. The temporary file is named
    /// `<temporaryPrefix>XXXXXX` (made with mkstemp) in the destination's directory.
    public static func write(_ data: some ContiguousBytes, to url: URL, mode: mode_t, durability: Durability,
                             temporaryPrefix: String? = nil) throws {
        let directory = url.deletingLastPathComponent()
        let prefix = temporaryPrefix ?? ".\(url.lastPathComponent).autofix-"
        let temporary = try writeTemporary(data, in: directory, prefix: prefix, mode: mode, durability: durability)
        do {
            try SystemCall.retrying("rename", path: url.path) { rename(temporary.path, url.path) }
        } catch {
            unlink(temporary.path)
            throw error
        }
    }

    /// A new file in `directory` holding `data`, closed, for the caller to rename into place.
    public static func writeTemporary(_ data: some ContiguousBytes, in directory: URL, prefix: String, mode: mode_t,
                                      durability: Durability) throws -> URL {
        var template = Array(directory.appendingPathComponent(prefix + "XXXXXX").path.utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw SystemCallError("create a temporary file in", path: directory.path) }
        let temporary = URL(fileURLWithPath: template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
        do {
            try fill(fd, with: data, path: temporary.path, mode: mode, durability: durability)
        } catch {
            close(fd)
            unlink(temporary.path)
            throw error
        }
        // close can report a write that failed late (a full disk on NFS).
        guard close(fd) == 0 else {
            let failure = SystemCallError("close", path: temporary.path)
            unlink(temporary.path)
            throw failure
        }
        return temporary
    }

    private static func fill(_ fd: Int32, with data: some ContiguousBytes, path: String, mode: mode_t,
                             durability: Durability) throws {
        try SystemCall.writeAll(fd, data, path: path)
        try SystemCall.retrying("chmod", path: path) { fchmod(fd, mode) }
        if durability == .synced { try SystemCall.retrying("fsync", path: path) { fsync(fd) } }
    }
}
