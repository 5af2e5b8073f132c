import AutofixSupport
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
public struct RoundTranscript: Codable, Sendable {
    public struct PatchRecord: Codable, Sendable {
        public let path: String?
        public let result: String
        public let detail: String?
    }

    public let round: Int
    public let promptMessages: Int
    public let promptCharacters: Int
    public let reply: String
    public let patches: [PatchRecord]
    public let tests: TestSummary?
    public let result: RoundResult
    /// With several candidates: each one's reply, patches and tests (the fields above are the
    /// candidate `result.candidate`'s).
    public var candidates: [CandidateTranscript]? = nil
    /// With one file patch per request: each request's reply, patch and tests (the reply
    /// above is theirs together).
    public var steps: [StepTranscript]? = nil
}

/// One request of a round that asks for one file patch per request.
public struct StepTranscript: Codable, Sendable {
    public let step: Int
    public let promptMessages: Int
    public let reply: String
    public let patches: [RoundTranscript.PatchRecord]
    /// The tests of the patches so far; nil when none ran (no patch, or one that failed).
    public let tests: TestSummary?
}

/// One candidate of a round as the transcript keeps it.
public struct CandidateTranscript: Codable, Sendable {
    public let candidate: Int
    public let seed: Int
    public let temperature: Double
    public let reply: String
    public let patches: [RoundTranscript.PatchRecord]
    public let tests: TestSummary?
}

/// Reads back what `RunTranscript` wrote, for `git autofix show --rounds`. Lines it cannot read
/// (a run killed mid-write, a later version's kinds) are skipped, not fatal.
public struct RunTranscriptReader {
    public let file: URL

    public init(directory: URL) {
        file = directory.appendingPathComponent("transcript.jsonl")
    }

    public var exists: Bool { FileManager.default.fileExists(atPath: file.path) }

    public func rounds() throws -> [RoundTranscript] {
        guard exists else { return [] }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try Data(contentsOf: file).split(separator: UInt8(ascii: "\n")).compactMap { line in
            (try? decoder.decode(RoundLine.self, from: Data(line)))?.value
        }
    }

    private struct RoundLine: Decodable {
        let kind: String
        let value: RoundTranscript

        init(from decoder: Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            kind = try container.decode(String.self, forKey: .kind)
            guard kind == "round" else {
                throw DecodingError.dataCorruptedError(forKey: .kind, in: container, debugDescription: "not a round")
            }
            value = try container.decode(RoundTranscript.self, forKey: .value)
        }

        private enum CodingKeys: String, CodingKey { case kind, value }
    }
}
