import AutofixPatch
import AutofixTestSupport
import Foundation
import XCTest

/// For random files and random edits, the diff git produces parses to the same patches whatever
/// the chunking of the stream, and applying them reproduces the target tree byte for byte.
final class GitDiffPropertyTests: XCTestCase {
    override class func setUp() {
        super.setUp()
        Hermetic.applyToCurrentProcess()
    }

    // Cases run in batches, each case in its own directory of one repository, so a few git
    // processes serve many cases; a failure still names its case.
    func testGitDiffOfRandomEditsAppliesExactlyWhateverTheChunking() throws {
        var generator = SeededGenerator(seed: 0xA11CE)
        var checkedFiles = 0
        var allDiffs = ""
        for batch in 0..<4 {
            let changes = (0..<50).map { _ in RandomChange.make(using: &generator) }
            let before = merged(changes.map(\.before), batch: batch)
            let after = merged(changes.map(\.after), batch: batch)
            let repository = try TestRepository(prefix: "autofix-prop")
            for (path, content) in before { try repository.writeData(path, Data(content.utf8)) }
            try repository.commitAll("before")
            for path in before.keys where after[path] == nil { try repository.remove(path) }
            for (path, content) in after { try repository.writeData(path, Data(content.utf8)) }
            try repository.git("add", "-A")
            let diff = try repository.git("diff", "--cached")
            allDiffs += diff

            let expected = try checkChunkings(diff, seed: UInt64(batch), context: "batch \(batch)")
            let checkout = try makeTree(before)
            let applier = PatchApplier(root: checkout.url, policy: PathPolicy(root: checkout.url))
            for patch in expected {
                XCTAssertNoThrow(try applier.apply(patch), "batch \(batch): \(patch.displayPath)")
            }
            try compareByCase(try contents(of: checkout), after, diff: diff)
            checkedFiles += after.count
        }
        XCTAssertGreaterThan(checkedFiles, 300)
        // The random cases must reach the tricky parts of the format, or the property proves little.
        for feature in ["\n--- select", "\\ No newline at end of file", "\r\n", "new file mode", "deleted file mode", "with space.txt", "\"a/case-"] {
            XCTAssertTrue(allDiffs.contains(feature), "no generated diff contains \(feature.debugDescription)")
        }
    }

    func testNoIndexDiffOfTwoTreesRebuildsTheSecondTree() throws {
        var generator = SeededGenerator(seed: 0xB0B)
        for batch in 0..<2 {
            let changes = (0..<50).map { _ in RandomChange.make(using: &generator) }
            let before = merged(changes.map(\.before), batch: batch)
            let after = merged(changes.map(\.after), batch: batch)
            let work = try TemporaryDirectory(prefix: "autofix-noindex")
            for (path, content) in before { try write(content, to: work.file("old/" + path)) }
            for (path, content) in after { try write(content, to: work.file("new/" + path)) }
            let output = try Shell.run(["git", "diff", "--no-index", "old", "new"], in: work.url)
            XCTAssertEqual(output.status, 1, output.stderr)
            let diff = output.stdout
            let expected = try checkChunkings(diff, seed: UInt64(batch) + 100, context: "no-index batch \(batch)")

            // The diff renames old/<path> to new/<path>; unchanged files stay under old/.
            let checkout = try TemporaryDirectory(prefix: "autofix-noindex-apply")
            for (path, content) in before { try write(content, to: checkout.file("old/" + path)) }
            let applier = PatchApplier(root: checkout.url, policy: PathPolicy(root: checkout.url))
            for patch in expected {
                XCTAssertNoThrow(try applier.apply(patch), "no-index batch \(batch): \(patch.displayPath)")
            }
            var target: [String: String] = [:]
            for (path, content) in after {
                target[before[path] == content ? "old/" + path : "new/" + path] = content
            }
            XCTAssertEqual(try contents(of: checkout), target, "no-index batch \(batch)\n\(diff)")
        }
    }

    private func merged(_ trees: [[String: String]], batch: Int) -> [String: String] {
        var result: [String: String] = [:]
        for (index, tree) in trees.enumerated() {
            for (path, content) in tree { result["case-\(batch)-\(index)/" + path] = content }
        }
        return result
    }

    private func compareByCase(_ actual: [String: String], _ expected: [String: String], diff: String,
                               file: StaticString = #filePath, line: UInt = #line) throws {
        let cases = Set((Array(actual.keys) + Array(expected.keys)).map { String($0.prefix(while: { $0 != "/" })) })
        for name in cases.sorted() {
            let mine = actual.filter { $0.key.hasPrefix(name + "/") }
            let wanted = expected.filter { $0.key.hasPrefix(name + "/") }
            if mine != wanted {
                let section = diff.components(separatedBy: "diff --git ").filter { $0.contains(name + "/") }.joined(separator: "diff --git ")
                XCTFail("\(name): tree differs\nexpected: \(wanted)\nactual: \(mine)\ndiff:\n\(section)", file: file, line: line)
            }
        }
    }

    /// Parses `diff` whole, one character at a time and in random pieces; all must agree.
    private func checkChunkings(_ diff: String, seed: UInt64, context: String) throws -> [FilePatch] {
        let expected = patches(parse(diff).edits)
        XCTAssertFalse(expected.isEmpty, context)
        let chunkings: [Chunking] = [
            .characters,
            .random(seed: seed, maxSize: 7),
            .random(seed: seed + 1000, maxSize: 300),
        ]
        for chunking in chunkings {
            let chunked = patches(parse(diff, chunking: chunking).edits)
            XCTAssertEqual(chunked.count, expected.count, "\(chunking), \(context)")
            for (left, right) in zip(chunked, expected) where left != right {
                XCTFail("\(chunking), \(context): \(left.displayPath) parsed differently")
            }
        }
        return expected
    }

    private func write(_ content: String, to url: URL) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(content.utf8).write(to: url)
    }

    private func contents(of directory: TemporaryDirectory) throws -> [String: String] {
        var result: [String: String] = [:]
        let enumerator = FileManager.default.enumerator(at: directory.url, includingPropertiesForKeys: [.isRegularFileKey])
        let base = directory.url.resolvingSymlinksInPath().path + "/"
        while let url = enumerator?.nextObject() as? URL {
            guard (try url.resourceValues(forKeys: [.isRegularFileKey])).isRegularFile == true else { continue }
            let full = url.resolvingSymlinksInPath().path
            result[String(full.dropFirst(base.count))] = String(decoding: try Data(contentsOf: url), as: UTF8.self)
        }
        return result
    }
}

/// A random set of files before and after an edit: modified, created, deleted and untouched files
/// with code-like lines, duplicates, blank lines, trailing spaces, tabs, `-- ` comments (which
/// become `--- ` lines in a diff), non-ASCII text, CRLF files and missing final newlines.
struct RandomChange {
    var before: [String: String] = [:]
    var after: [String: String] = [:]

    static let vocabulary = [
        "func run() {", "}", "    return value", "    let x = compute(1)", "\tcount += 1",
        "", "", "// comment", "-- select * from t", "    if ready {", "        start()", "    }",
        "import Foundation", "value = value * 2  ", "x++", "    print(\"héllo 🌍\")", "case .done:",
        "#define LIMIT 10", "  - item", "+ plus", "return nil", "    guard let y else { return }",
        "```", "```swift", "diff --git a/x b/x", "@@ not a hunk @@",
    ]

    static func make(using generator: inout SeededGenerator) -> RandomChange {
        var change = RandomChange()
        let fileCount = Int.random(in: 1...4, using: &generator)
        let paths = ["src/main.swift", "lib/util.c", "README.md", "a/b/c.txt", "notes with space.txt", "docs/ünï.txt"]
            .shuffled(using: &generator)
        for path in paths.prefix(fileCount) {
            let crlf = Int.random(in: 0..<8, using: &generator) == 0
            let roll = Int.random(in: 0..<10, using: &generator)
            let original = randomLines(count: Int.random(in: 0...40, using: &generator), using: &generator)
            let originalText = render(original, crlf: crlf, finalNewline: Int.random(in: 0..<6, using: &generator) != 0)
            switch roll {
            case 0:
                // created
                let lines = randomLines(count: Int.random(in: 0...15, using: &generator), using: &generator)
                change.after[path] = render(lines, crlf: crlf, finalNewline: Int.random(in: 0..<5, using: &generator) != 0)
            case 1:
                // deleted
                change.before[path] = originalText
            case 2:
                // untouched
                change.before[path] = originalText
                change.after[path] = originalText
            default:
                change.before[path] = originalText
                var lines = original
                for _ in 0..<Int.random(in: 1...4, using: &generator) {
                    mutate(&lines, using: &generator)
                }
                let finalNewline = Int.random(in: 0..<8, using: &generator) == 0
                    ? !originalText.hasSuffix("\n") : (originalText.hasSuffix("\n") || originalText.isEmpty)
                change.after[path] = render(lines, crlf: crlf, finalNewline: finalNewline)
            }
        }
        if change.before == change.after {
            change.after["added.txt"] = "one\ntwo\n"
        }
        return change
    }

    static func randomLines(count: Int, using generator: inout SeededGenerator) -> [String] {
        (0..<count).map { _ in
            let line = vocabulary.randomElement(using: &generator)!
            return Int.random(in: 0..<4, using: &generator) == 0 ? line + " \(Int.random(in: 0..<50, using: &generator))" : line
        }
    }

    static func mutate(_ lines: inout [String], using generator: inout SeededGenerator) {
        let position = Int.random(in: 0...lines.count, using: &generator)
        switch Int.random(in: 0..<3, using: &generator) {
        case 0:
            lines.insert(contentsOf: randomLines(count: Int.random(in: 1...5, using: &generator), using: &generator), at: position)
        case 1 where !lines.isEmpty:
            let start = min(position, lines.count - 1)
            let end = min(lines.count, start + Int.random(in: 1...4, using: &generator))
            lines.removeSubrange(start..<end)
        default:
            guard !lines.isEmpty else { return }
            let start = min(position, lines.count - 1)
            let end = min(lines.count, start + Int.random(in: 1...3, using: &generator))
            lines.replaceSubrange(start..<end, with: randomLines(count: Int.random(in: 1...3, using: &generator), using: &generator))
        }
    }

    static func render(_ lines: [String], crlf: Bool, finalNewline: Bool) -> String {
        guard !lines.isEmpty else { return "" }
        let ending = crlf ? "\r\n" : "\n"
        return lines.joined(separator: ending) + (finalNewline ? ending : "")
    }
}
