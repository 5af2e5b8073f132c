import Foundation

/// A real git repository in a temp dir, driven with the git CLI in the hermetic environment.
public final class TestRepository {
    public let directory: TemporaryDirectory
    public var url: URL { directory.url }
    public var path: String { directory.path }

    public func file(_ relative: String) -> URL { url.appendingPathComponent(relative) }

    /// Creates `git init` in a fresh temp dir (branch `main`).
    public init(prefix: String = "autofix-repo", bare: Bool = false) throws {
        directory = try TemporaryDirectory(prefix: prefix)
        try git(bare ? ["init", "-q", "--bare"] : ["init", "-q"])
    }

    /// Runs git in the repository and returns its stdout; throws with stderr when git fails.
    @discardableResult
    public func git(_ arguments: [String], input: String? = nil) throws -> String {
        try Shell.check(["git"] + arguments, in: url, input: input)
    }

    @discardableResult
    public func git(_ arguments: String...) throws -> String { try git(arguments) }

    /// Writes `contents` to `relative`, creating parent directories.
    public func write(_ relative: String, _ contents: String, executable: Bool = false) throws {
        try writeData(relative, Data(contents.utf8), executable: executable)
    }

    public func writeData(_ relative: String, _ data: Data, executable: Bool = false) throws {
        let file = url.appendingPathComponent(relative)
        try FileManager.default.createDirectory(
            at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.write(to: file)
        if executable {
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: file.path)
        }
    }

    public func read(_ relative: String) throws -> String {
        try String(contentsOf: url.appendingPathComponent(relative), encoding: .utf8)
    }

    public func remove(_ relative: String) throws {
        try FileManager.default.removeItem(at: url.appendingPathComponent(relative))
    }

    /// `git add -A && git commit` with the hermetic fixed date; returns the new commit id.
    @discardableResult
    public func commitAll(_ message: String = "commit") throws -> String {
        try git("add", "-A")
        try git("commit", "-q", "--allow-empty", "-m", message)
        return try git("rev-parse", "HEAD").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    public func revParse(_ revision: String) throws -> String {
        try git("rev-parse", revision).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A fingerprint of every file under the repository (worktree and `.git`, including the
    /// index and HEAD) by path, type, mode and content, to prove that a command changed nothing.
    public func fingerprint(includingGitDir: Bool = true, excluding: [String] = []) throws -> [String: String] {
        try TreeFingerprint.of(url, skipping: includingGitDir ? excluding : excluding + [".git"])
    }
}

/// Fingerprints a directory tree: path -> "type mode sha-like digest".
public enum TreeFingerprint {
    public static func of(_ root: URL, skipping: [String] = []) throws -> [String: String] {
        var result: [String: String] = [:]
        let manager = FileManager.default
        func walk(_ relative: String) throws {
            let full = relative.isEmpty ? root.path : root.path + "/" + relative
            let names = try manager.contentsOfDirectory(atPath: full).sorted()
            for name in names {
                let child = relative.isEmpty ? name : relative + "/" + name
                if skipping.contains(where: { child == $0 || child.hasPrefix($0 + "/") }) { continue }
                var info = stat()
                guard lstat(root.path + "/" + child, &info) == 0 else { continue }
                let mode = String(info.st_mode, radix: 8)
                switch info.st_mode & S_IFMT {
                case S_IFDIR:
                    result[child + "/"] = "dir \(mode)"
                    try walk(child)
                case S_IFLNK:
                    let target = (try? manager.destinationOfSymbolicLink(atPath: root.path + "/" + child)) ?? "?"
                    result[child] = "link \(target)"
                default:
                    let data = (try? Data(contentsOf: URL(fileURLWithPath: root.path + "/" + child))) ?? Data()
                    result[child] = "file \(mode) \(data.count) \(digest(data))"
                }
            }
        }
        try walk("")
        return result
    }

    /// FNV-1a 64: enough to detect any change in a test, no crypto dependency needed.
    public static func digest(_ data: Data) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in data {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return String(hash, radix: 16)
    }
}
