import AutofixSupport
import Foundation

/// Turns raw terminal output into the lines a person would read: escape sequences and control
/// characters made safe (as everywhere git autofix shows text it did not write), carriage return
/// progress lines collapsed to their last state, CRLF endings made plain.
enum OutputText {
    static func lines(_ output: String) -> [String] {
        let clean = TerminalSafeText.keepingCarriageReturns(output)
        var result: [String] = []
        // Splitting bytes is much faster than splitting Characters, and "\n" never occurs
        // inside a multi-byte UTF-8 sequence.
        for raw in clean.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            var line = raw[...]
            while line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            if let lastReturn = line.lastIndex(of: UInt8(ascii: "\r")) {
                line = line[line.index(after: lastReturn)...]
            }
            result.append(String(decoding: line, as: UTF8.self))
        }
        if result.last == "" { result.removeLast() }
        return result
    }
}

/// A compiled regular expression with a small API for whole-line matching and capture groups.
/// Unchecked Sendable: NSRegularExpression is immutable and documented as safe to share.
struct Pattern: @unchecked Sendable {
    private let regex: NSRegularExpression

    init(_ pattern: String) {
        regex = try! NSRegularExpression(pattern: pattern)
    }

    /// The capture groups (index 1...) when `text` matches, nil otherwise; unmatched groups are nil.
    func match(_ text: String) -> [String?]? {
        let range = NSRange(text.startIndex..., in: text)
        guard let found = regex.firstMatch(in: text, range: range) else { return nil }
        return (1..<max(found.numberOfRanges, 1)).map { index in
            let groupRange = found.range(at: index)
            guard groupRange.location != NSNotFound, let swiftRange = Range(groupRange, in: text) else { return nil }
            return String(text[swiftRange])
        }
    }

    func matches(_ text: String) -> Bool {
        regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }

    /// Every match in `text`, each as its capture groups.
    func allMatches(_ text: String) -> [[String?]] {
        let range = NSRange(text.startIndex..., in: text)
        return regex.matches(in: text, range: range).map { found in
            (1..<max(found.numberOfRanges, 1)).map { index in
                let groupRange = found.range(at: index)
                guard groupRange.location != NSNotFound, let swiftRange = Range(groupRange, in: text) else { return nil }
                return String(text[swiftRange])
            }
        }
    }

    /// Which of the named groups `names` took part in any match in `text`.
    func matchedGroupNames(_ text: String, names: [String]) -> Set<String> {
        var found: Set<String> = []
        for match in regex.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
            for name in names where match.range(withName: name).location != NSNotFound {
                found.insert(name)
            }
        }
        return found
    }

    func replacing(in text: String, with template: String) -> String {
        regex.stringByReplacingMatches(in: text, range: NSRange(text.startIndex..., in: text), withTemplate: template)
    }
}

extension String {
    var trimmed: String { trimmingCharacters(in: .whitespaces) }

    /// The first character that is not a space or tab, found without trimming the whole line.
    var firstVisible: Character? { first { $0 != " " && $0 != "\t" } }

    func containsByte(_ byte: UInt8) -> Bool { utf8.contains(byte) }
    var leadingSpaces: Int { prefix(while: { $0 == " " || $0 == "\t" }).count }
}
