import AutofixPatch
import AutofixTestSupport
import Foundation
import XCTest

/// Ways to cut a reply into stream deltas.
enum Chunking: CustomStringConvertible {
    case whole
    case characters
    case random(seed: UInt64, maxSize: Int)

    var description: String {
        switch self {
        case .whole: return "whole"
        case .characters: return "1 character"
        case let .random(seed, maxSize): return "random 1...\(maxSize) (seed \(seed))"
        }
    }

    func pieces(_ text: String) -> [String] {
        switch self {
        case .whole:
            return [text]
        case .characters:
            return text.unicodeScalars.map { String($0) }
        case let .random(seed, maxSize):
            var generator = SeededGenerator(seed: seed)
            let scalars = Array(text.unicodeScalars)
            var pieces: [String] = []
            var index = 0
            while index < scalars.count {
                let size = Int.random(in: 1...maxSize, using: &generator)
                let end = min(index + size, scalars.count)
                var piece = String.UnicodeScalarView()
                piece.append(contentsOf: scalars[index..<end])
                pieces.append(String(piece))
                index = end
            }
            return pieces
        }
    }
}

/// Feeds `text` in the given pieces and collects every edit, checking that each is emitted once.
func parse(_ text: String, format: EditFormat = .diff, chunking: Chunking = .whole) -> (edits: [ParsedEdit], parser: StreamingDiffParser) {
    let parser = StreamingDiffParser(format: format)
    var edits: [ParsedEdit] = []
    for piece in chunking.pieces(text) {
        edits += parser.feed(piece)
    }
    edits += parser.finish()
    return (edits, parser)
}

func patches(_ edits: [ParsedEdit], file: StaticString = #filePath, line: UInt = #line) -> [FilePatch] {
    edits.compactMap { edit in
        switch edit {
        case let .patch(patch): return patch
        case let .rejected(path, reason):
            XCTFail("unexpected rejection of \(path ?? "?"): \(reason)", file: file, line: line)
            return nil
        }
    }
}

/// Writes `files` (path -> content) under a fresh temp directory.
func makeTree(_ files: [String: String], prefix: String = "autofix-patch") throws -> TemporaryDirectory {
    let directory = try TemporaryDirectory(prefix: prefix)
    for (path, content) in files {
        let url = directory.file(path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(content.utf8).write(to: url)
    }
    return directory
}

func readFile(_ directory: TemporaryDirectory, _ path: String) throws -> String {
    String(decoding: try Data(contentsOf: directory.file(path)), as: UTF8.self)
}

func fileMode(_ url: URL) -> mode_t {
    var info = stat()
    stat(url.path, &info)
    return info.st_mode & 0o7777
}
