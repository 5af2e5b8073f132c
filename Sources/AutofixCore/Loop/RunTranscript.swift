import Foundation

/// The run's record on disk: `<git common dir>/autofix/runs/<run-id>/` holds `transcript.jsonl`
/// (one JSON object per line: the header, each round, the outcome) and the test output of every
/// round. It never holds the API key: nothing that reaches it carries one.
public final class RunTranscript {
    public let directory: URL
    private let handle: FileHandle?
    private let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return encoder
    }()

    public init(directory: URL) throws {
        self.directory = directory
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let file = directory.appendingPathComponent("transcript.jsonl")
        if !FileManager.default.fileExists(atPath: file.path) {
            _ = FileManager.default.createFile(atPath: file.path, contents: nil)
        }
        handle = try FileHandle(forWritingTo: file)
        handle?.seekToEndOfFile()
    }

    deinit { try? handle?.close() }

    public func record<T: Encodable>(_ kind: String, _ value: T) {
        guard let data = try? encoder.encode(TranscriptLine(kind: kind, value: value)) else { return }
        handle?.write(data + Data("\n".utf8))
    }

    public func saveTestOutput(_ output: String, round: Int) {
        let name = round == 0 ? "baseline-tests.log" : "round-\(round)-tests.log"
        try? AtomicFileWriter.write(Array(output.utf8), to: directory.appendingPathComponent(name), mode: 0o644, durability: .unsynced)
    }
}

private struct TranscriptLine<Value: Encodable>: Encodable {
    let kind: String
    let value: Value
}

/// One round as the transcript keeps it.
struct RoundTranscript: Encodable {
    struct PatchRecord: Encodable {
        let path: String?
        let result: String
        let detail: String?
    }

    let round: Int
    let promptMessages: Int
    let promptCharacters: Int
    let reply: String
    let patches: [PatchRecord]
    let tests: TestSummary?
    let result: RoundResult
}
