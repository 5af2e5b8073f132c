/// A path glob as in `autofix.protect`: `*` and `?` stay inside one path component, `**` spans
/// any number of directories, `[abc]` is a character class. A pattern without a `/` matches the
/// file name in any directory (like .gitignore); a pattern ending in `/` matches everything under
/// that directory.
public struct Glob: Sendable, Equatable, CustomStringConvertible {
    public let pattern: String
    private let segments: [String]

    public init(_ pattern: String) {
        self.pattern = pattern
        var text = pattern
        while text.hasPrefix("./") { text.removeFirst(2) }
        if text.hasPrefix("/") { text.removeFirst() }
        if text.hasSuffix("/") { text += "**" }
        if !text.contains("/") { text = "**/" + text }
        segments = text.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
    }

    public var description: String { pattern }

    public func matches(_ path: String) -> Bool {
        let components = path.split(separator: "/").map(String.init)
        return Self.match(segments[...], components[...])
    }

    private static func match(_ pattern: ArraySlice<String>, _ path: ArraySlice<String>) -> Bool {
        guard let first = pattern.first else { return path.isEmpty }
        if first == "**" {
            let rest = pattern.dropFirst()
            if rest.isEmpty { return true }
            var remaining = path
            while true {
                if match(rest, remaining) { return true }
                guard !remaining.isEmpty else { return false }
                remaining = remaining.dropFirst()
            }
        }
        guard let component = path.first, matchComponent(Array(first), Array(component)) else { return false }
        return match(pattern.dropFirst(), path.dropFirst())
    }

    private static func matchComponent(_ pattern: [Character], _ name: [Character]) -> Bool {
        var p = 0
        var n = 0
        var starP = -1
        var starN = 0
        while n < name.count {
            if p < pattern.count, pattern[p] == "*" {
                starP = p
                starN = n
                p += 1
                continue
            }
            if p < pattern.count, let (matched, next) = matchOne(pattern, p, name[n]), matched {
                p = next
                n += 1
                continue
            }
            guard starP >= 0 else { return false }
            p = starP + 1
            starN += 1
            n = starN
        }
        while p < pattern.count, pattern[p] == "*" { p += 1 }
        return p == pattern.count
    }

    /// Whether `pattern[p]` (a literal, `?` or a `[...]` class) matches `char`, and where the
    /// pattern continues.
    private static func matchOne(_ pattern: [Character], _ p: Int, _ char: Character) -> (Bool, Int)? {
        switch pattern[p] {
        case "?": return (true, p + 1)
        case "[":
            guard let close = pattern[(p + 1)...].firstIndex(of: "]"), close > p + 1 else {
                return (char == "[", p + 1)
            }
            var body = Array(pattern[(p + 1)..<close])
            let negated = body.first == "!" || body.first == "^"
            if negated { body.removeFirst() }
            var found = false
            var index = 0
            while index < body.count {
                if index + 2 < body.count, body[index + 1] == "-" {
                    if body[index] <= char && char <= body[index + 2] { found = true }
                    index += 3
                } else {
                    if body[index] == char { found = true }
                    index += 1
                }
            }
            return (found != negated, close + 1)
        default:
            return (pattern[p] == char, p + 1)
        }
    }
}
