import Foundation

/// How git autofix writes and reads JSON, for its records on disk and for `--json`: keys in
/// snake_case (`exit_code`, `test_command`), sorted so that output is stable.
public enum RecordJSON {
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }

    /// Reads snake_case keys, and the camelCase ones that records written by older versions hold
    /// (a key without an underscore is taken as it is).
    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .custom { path in
            AnyKey(camelCase(path.last!.stringValue))
        }
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }

    /// Acronyms Swift names write in capitals (`bootID`), which snake_case writes as words.
    private static let acronyms: Set<String> = ["id", "url"]

    static func camelCase(_ key: String) -> String {
        guard key.contains("_") else { return key }
        let words = key.split(separator: "_").map(String.init)
        guard let first = words.first else { return key }
        return first + words.dropFirst().map { acronyms.contains($0) ? $0.uppercased() : $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }

    private struct AnyKey: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init(_ stringValue: String) { self.stringValue = stringValue }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}
