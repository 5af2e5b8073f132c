import AutofixSupport
import AutofixBenchSupport
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The shape of a generated repository, scaled from its number of tracked files.
struct SyntheticRepositoryShape {
    let trackedFiles: Int

    static let filesPerDirectory = 100
    static let largeFileBytes = 1 << 20

    /// One in a thousand tracked files is large (at least one).
    func isLarge(_ file: Int) -> Bool {
        trackedFiles < 1000 ? file == trackedFiles - 1 : file % 1000 == 999
    }

    /// 1% of the tracked files are edited after the commit (at least one), never the large ones.
    func isModified(_ file: Int) -> Bool {
        trackedFiles < 100 ? file == 0 : file % 100 == 50
    }

    /// One in a thousand tracked files is deleted after the commit (at least one).
    func isDeleted(_ file: Int) -> Bool {
        trackedFiles < 1000 ? file == 1 : file % 1000 == 123
    }

    var modifiedCount: Int { (0..<trackedFiles).filter(isModified).count }
    var deletedCount: Int { (0..<trackedFiles).filter(isDeleted).count }
    /// Untracked files scattered through the tracked directories, plus `notes/` with three more.
    var scatteredUntrackedCount: Int { max(2, trackedFiles / 1000) }
    var untrackedCount: Int { scatteredUntrackedCount + 3 }
    /// Files under the ignored `build/` directory, which a snapshot must never descend into.
    var ignoredBuildFiles: Int { max(10, trackedFiles / 10) }

    /// A few directories deep: src/p<i>/m<j>/d<k>/f<n>.swift, a hundred files per directory.
    func directory(ofFile file: Int) -> String {
        let leaf = file / SyntheticRepositoryShape.filesPerDirectory
        return "src/p\(leaf / 100)/m\((leaf / 10) % 10)/d\(leaf % 10)"
    }

    func path(ofFile file: Int) -> String {
        "\(directory(ofFile: file))/f\(file % SyntheticRepositoryShape.filesPerDirectory).swift"
    }
}

/// A git repository generated on disk for benchmarks: committed, then given the local changes
/// of `SyntheticRepositoryShape` (edits, deletions, untracked and ignored files), with its index
/// refreshed so no entry is racily clean.
final class SyntheticRepository {
    let shape: SyntheticRepositoryShape
    let url: URL
    /// Removes the repository when the value is released, unless it is kept for inspection.
    private let ownedDirectory: TemporaryDirectory?
    private let environment: [String: String]

    init(trackedFiles: Int, environment: [String: String], keep: Bool = false) throws {
        shape = SyntheticRepositoryShape(trackedFiles: trackedFiles)
        if keep {
            url = FileManager.default.temporaryDirectory
                .appendingPathComponent("autofix-bench-repo-\(trackedFiles)-\(UUID().uuidString.prefix(8))")
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            ownedDirectory = nil
        } else {
            ownedDirectory = try TemporaryDirectory(prefix: "autofix-bench-repo")
            url = ownedDirectory!.url
        }
        self.environment = environment
        try git("init", "-q")
        try git("symbolic-ref", "HEAD", "refs/heads/main")
        try writeCommittedFilesAndImportThem()
        // Files written in the same second as the index are racily clean and get re-hashed by
        // every tool; a real working tree is older than its index, so wait for the next second.
        Thread.sleep(forTimeInterval: 1.05 - Date().timeIntervalSince1970.truncatingRemainder(dividingBy: 1))
        try makeLocalChanges()
        // `git status` rewrites an index whose entries were racily clean, so the index is newer
        // than every unchanged file, as in a repository the user has been working in.
        try git("status", "--porcelain", "-uno")
    }

    @discardableResult
    func git(_ arguments: String..., input: URL? = nil) throws -> String {
        try BenchProcess(arguments: ["git"] + arguments, directory: url, environment: environment, input: input)
            .check().stdout
    }

    /// Writes the files and, in the same pass, a `git fast-import` stream that commits them:
    /// one pack instead of a loose object per file, like a real clone, and several times faster
    /// to build than `git add -A` on a slow disk. `read-tree` and `update-index --refresh` then
    /// give the index its stat data and cache-tree, as after `git commit`.
    private func writeCommittedFilesAndImportThem() throws {
        let streamFile = url.appendingPathComponent(".git/bench-import")
        guard FileManager.default.createFile(atPath: streamFile.path, contents: nil),
              let stream = FileHandle(forWritingAtPath: streamFile.path) else {
            throw BenchError("could not write \(streamFile.path)")
        }
        defer { try? FileManager.default.removeItem(at: streamFile) }
        var pending = Data()
        func emit(_ data: Data) {
            pending.append(data)
            if pending.count >= 1 << 20 {
                stream.write(pending)
                pending.removeAll(keepingCapacity: true)
            }
        }
        let message = "synthetic repository with \(shape.trackedFiles) files\n"
        emit(Data("commit refs/heads/main\ncommitter Autofix Bench <bench@example.invalid> 1767323045 +0000\ndata \(message.utf8.count)\n\(message)".utf8))
        func add(_ path: String, _ contents: Data, createDirectories: Bool = true) throws {
            try write(path, contents, createDirectories: createDirectories)
            emit(Data("M 100644 inline \(path)\ndata \(contents.count)\n".utf8))
            emit(contents)
            emit(Data("\n".utf8))
        }
        try add(".gitignore", Data("build/\n*.log\n.env\n".utf8))
        try add("README.md", Data("A synthetic repository for git autofix benchmarks.\n".utf8))
        var createdDirectories = Set<String>()
        for file in 0..<shape.trackedFiles {
            let directory = shape.directory(ofFile: file)
            if createdDirectories.insert(directory).inserted {
                try FileManager.default.createDirectory(at: url.appendingPathComponent(directory), withIntermediateDirectories: true)
            }
            let contents = shape.isLarge(file) ? Self.largeContents(seed: file) : Self.sourceContents(file)
            try add(shape.path(ofFile: file), contents, createDirectories: false)
        }
        emit(Data("done\n".utf8))
        stream.write(pending)
        try stream.close()
        try git("fast-import", "--quiet", "--done", input: streamFile)
        try git("read-tree", "HEAD")
        try git("update-index", "-q", "--refresh")
    }

    private func makeLocalChanges() throws {
        for file in 0..<shape.trackedFiles where shape.isDeleted(file) {
            try FileManager.default.removeItem(at: url.appendingPathComponent(shape.path(ofFile: file)))
        }
        try editAgain(generation: 0)
        let stride = max(1, shape.trackedFiles / shape.scatteredUntrackedCount)
        for untracked in 0..<shape.scatteredUntrackedCount {
            let directory = shape.directory(ofFile: min(untracked * stride, shape.trackedFiles - 1))
            try write("\(directory)/debug\(untracked).log", Data("ignored log \(untracked)\n".utf8))
        }
        for note in 0..<3 {
            try write("notes/note\(note).md", Data("note \(note)\n".utf8))
        }
        try write(".env", Data("SECRET=never-in-a-snapshot\n".utf8))
        for object in 0..<shape.ignoredBuildFiles {
            try write("build/obj\(object / 1000)/o\(object).o", Data("object \(object)\n".utf8),
                      createDirectories: object % 1000 == 0)
        }
    }

    /// Gives the edited and untracked files new contents, as a user's next edits would, so a
    /// snapshot has new blobs to hash and store instead of finding them stored by the last run.
    func editAgain(generation: Int) throws {
        for file in 0..<shape.trackedFiles where shape.isModified(file) {
            var contents = Self.sourceContents(file)
            contents.append(Data("let edited\(file) = \(generation)\n".utf8))
            try write(shape.path(ofFile: file), contents, createDirectories: false)
        }
        let stride = max(1, shape.trackedFiles / shape.scatteredUntrackedCount)
        for untracked in 0..<shape.scatteredUntrackedCount {
            let directory = shape.directory(ofFile: min(untracked * stride, shape.trackedFiles - 1))
            try write("\(directory)/new\(untracked).swift", Data("let new\(untracked) = \(generation)\n".utf8))
        }
    }

    private func write(_ relative: String, _ contents: Data, createDirectories: Bool = true) throws {
        let file = url.appendingPathComponent(relative)
        if createDirectories {
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        }
        // Plain open/write/close: Foundation's createFile writes atomically with an fsync per
        // file, which makes generating 100k files take minutes for no benefit here.
        let descriptor = open(file.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard descriptor >= 0 else { throw SystemCallError("open", path: file.path) }
        defer { close(descriptor) }
        try SystemCall.writeAll(descriptor, contents, path: file.path)
    }

    /// A small source file, 10 to 29 lines, different for every index.
    static func sourceContents(_ file: Int) -> Data {
        var text = "// generated file \(file)\n"
        for line in 0..<(10 + file % 20) {
            text += "let value\(file)_\(line) = \(file &* 31 &+ line)\n"
        }
        return Data(text.utf8)
    }

    /// A large file of pseudo-random printable bytes (so it does not compress to nothing).
    static func largeContents(seed: Int) -> Data {
        var state = UInt64(truncatingIfNeeded: seed) &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        var bytes = [UInt8](repeating: 0, count: SyntheticRepositoryShape.largeFileBytes)
        for index in bytes.indices {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            bytes[index] = index % 80 == 79 ? 10 : UInt8(32 + (state >> 33) % 95)
        }
        return Data(bytes)
    }
}
