import AutofixGit
import AutofixSandbox
import AutofixSupport
import Foundation

/// Test results remembered by tree, under the repository's common git directory
/// (`autofix/results/`), so that a run, doctor, fixup and the pre-push hook of any worktree find
/// what another already ran. One file per key, written whole or not at all; only the newest
/// `limit` are kept. A file that cannot be read or decoded, or that holds another key, counts as
/// no result.
public struct TestResultStore: Sendable {
    public let directory: URL
    public let limit: Int
    /// Output kept per result, head and tail, as a sandboxed run keeps each stream.
    public let outputBytes: Int

    public static let defaultLimit = 200

    public init(directory: URL, limit: Int = TestResultStore.defaultLimit, outputBytes: Int = SandboxLimits.defaultOutputBytes) {
        self.directory = directory
        self.limit = limit
        self.outputBytes = outputBytes
    }

    public init(repository: Repository) {
        self.init(directory: repository.commonDirectory.appendingPathComponent("autofix/results", isDirectory: true))
    }

    public func result(for key: TestResultKey) -> StoredTestResult? {
        let file = self.file(for: key)
        guard let size = (try? FileManager.default.attributesOfItem(atPath: file.path))?[.size] as? Int,
              size <= 4 * outputBytes + 65536,
              let data = try? Data(contentsOf: file),
              let result = try? RecordJSON.decoder().decode(StoredTestResult.self, from: data),
              result.key == key
        else { return nil }
        return result
    }

    public func record(_ result: StoredTestResult) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let kept = StoredTestResult(key: result.key, exitCode: result.exitCode, timedOut: result.timedOut, seconds: result.seconds,
                                    limitNote: result.limitNote, at: result.at, by: result.by, root: result.root,
                                    output: Self.headAndTail(result.output, bytes: outputBytes))
        // Bookkeeping that can be run again: no fsync.
        try AtomicFileWriter.write(RecordJSON.encoder().encode(kept), to: file(for: result.key), mode: 0o644, durability: .unsynced)
        prune()
    }

    /// Removes all but the `limit` newest results.
    private func prune() {
        let manager = FileManager.default
        guard let names = try? manager.contentsOfDirectory(atPath: directory.path) else { return }
        let files = names.filter { $0.hasSuffix(".json") }.map { directory.appendingPathComponent($0) }
        guard files.count > limit else { return }
        let dated = files.map { file in
            (file, ((try? manager.attributesOfItem(atPath: file.path))?[.modificationDate] as? Date) ?? .distantPast)
        }
        for (file, _) in dated.sorted(by: { $0.1 > $1.1 }).dropFirst(limit) {
            try? manager.removeItem(at: file)
        }
    }

    /// `<tree>-<digest of command and environment>.json`: one file per key, found without a scan.
    func file(for key: TestResultKey) -> URL {
        let tree = key.tree.allSatisfy(\.isHexDigit) ? key.tree : TextDigest.hex(key.tree)
        let rest = TextDigest.hex(key.command + "\u{0}" + key.environment).prefix(16)
        return directory.appendingPathComponent("\(tree)-\(rest).json")
    }

    static func headAndTail(_ text: String, bytes: Int) -> String {
        let utf8 = Array(text.utf8)
        guard utf8.count > bytes else { return text }
        let half = bytes / 2
        return String(decoding: utf8.prefix(half), as: UTF8.self)
            + "\n… (\(utf8.count - 2 * half) bytes of output left out) …\n"
            + String(decoding: utf8.suffix(half), as: UTF8.self)
    }
}
