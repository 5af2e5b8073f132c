import Foundation

/// A source file reduced to the parts that matter: the enclosing function or class of each
/// named line, a few lines around it, and where each part sits in the file. The parts are the
/// file's own lines, unchanged, so that a hunk copied from them finds its place when applied.
struct SourceExcerpt {
    let lines: [Substring]

    init(_ content: String) {
        var lines = content.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last?.isEmpty == true { lines.removeLast() }
        self.lines = lines
    }

    /// Lines shown around each block, and the longest block shown whole.
    static let surroundingLines = 3
    static let longestBlock = 120

    /// 1-based, inclusive line ranges covering the blocks around `targets`, merged and sorted.
    func ranges(around targets: [Int], enclosing: Bool = true) -> [ClosedRange<Int>] {
        var found: [ClosedRange<Int>] = []
        for target in Set(targets) where target >= 1 && !lines.isEmpty {
            let line = min(target, lines.count)
            let block = enclosing ? enclosingBlock(of: line) : nil
            if let block, block.count <= Self.longestBlock {
                found.append(widened(block, by: Self.surroundingLines))
            } else {
                if let block { found.append(block.lowerBound...block.lowerBound) }
                found.append(widened(line...line, by: enclosing ? 30 : 8))
            }
        }
        return Self.merged(found)
    }

    /// The lines of `ranges`, each with the line numbers it starts and ends at and a note of
    /// what lies between, as the prompt shows them.
    func render(_ ranges: [ClosedRange<Int>], fence: String) -> String {
        var text = ""
        var next = 1
        for range in ranges {
            if range.lowerBound > next { text += "(lines \(next)-\(range.lowerBound - 1) not shown)\n" }
            text += "lines \(range.lowerBound)-\(range.upperBound):\n\(fence)\n"
            text += lines[(range.lowerBound - 1)...(range.upperBound - 1)].joined(separator: "\n") + "\n```\n"
            next = range.upperBound + 1
        }
        if next <= lines.count { text += "(lines \(next)-\(lines.count) not shown)\n" }
        return text
    }

    /// Top-level definitions (and those one level in), with their line numbers.
    func outline(limit: Int = 60) -> [String] {
        var found: [String] = []
        let levels = Set(lines.filter { Self.isDefinition($0) }.map(Self.indent)).sorted().prefix(2)
        for (index, line) in lines.enumerated() where Self.isDefinition(line) && levels.contains(Self.indent(line)) {
            found.append("\(index + 1): \(line.trimmingCharacters(in: .whitespaces).prefix(100))")
            if found.count == limit { break }
        }
        return found
    }

    // MARK: blocks

    /// From the nearest definition above `line` that is less indented than it (or `line` itself
    /// when it is one) to the last line before the code returns to that definition's level.
    private func enclosingBlock(of line: Int) -> ClosedRange<Int>? {
        let targetIndent = lines[line - 1].allSatisfy(\.isWhitespace) ? Int.max : Self.indent(lines[line - 1])
        var start: Int?
        var index = line
        while index >= 1 && index > line - 400 {
            let text = lines[index - 1]
            if Self.isDefinition(text) && (index == line || Self.indent(text) < targetIndent) {
                start = index
                break
            }
            index -= 1
        }
        guard let start else { return nil }
        let level = Self.indent(lines[start - 1])
        var end = start
        var index2 = start + 1
        while index2 <= lines.count {
            let text = lines[index2 - 1]
            if !text.allSatisfy(\.isWhitespace) {
                if Self.indent(text) <= level {
                    if let first = text.first(where: { !$0.isWhitespace }), "}])".contains(first) || text.trimmingCharacters(in: .whitespaces) == "end" {
                        end = index2
                    }
                    break
                }
                end = index2
            }
            index2 += 1
        }
        return start...max(end, line)
    }

    private func widened(_ range: ClosedRange<Int>, by count: Int) -> ClosedRange<Int> {
        max(1, range.lowerBound - count)...min(lines.count, range.upperBound + count)
    }

    static func merged(_ ranges: [ClosedRange<Int>]) -> [ClosedRange<Int>] {
        var result: [ClosedRange<Int>] = []
        for range in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = result.last, range.lowerBound <= last.upperBound + 2 {
                result[result.count - 1] = last.lowerBound...max(last.upperBound, range.upperBound)
            } else {
                result.append(range)
            }
        }
        return result
    }

    nonisolated(unsafe) private static let definition = try! NSRegularExpression(pattern:
        "^\\s*(?:@\\w+\\s+)*(?:(?:public|private|internal|fileprivate|open|static|final|override|export|default|async|"
            + "pub(?:\\([a-z]+\\))?|protected|abstract|mutating|unsafe|extern|const|let|var)\\s+)*"
            + "(?:def|class|func|function|fn|struct|enum|impl|interface|protocol|extension|trait|mod|init|module|"
            + "describe|it|test|\\w+\\s*=\\s*(?:async\\s*)?(?:function\\b|\\([^)]*\\)\\s*=>))\\b")

    static func isDefinition(_ line: Substring) -> Bool {
        let text = String(line)
        return definition.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }

    static func indent(_ line: Substring) -> Int {
        var width = 0
        for character in line {
            if character == " " { width += 1 } else if character == "\t" { width += 4 } else { break }
        }
        return width
    }
}
