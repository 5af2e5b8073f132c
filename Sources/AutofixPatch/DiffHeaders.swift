/// Small pure functions that read the header lines of unified and git diffs.
enum DiffHeaders {
    /// One side of a `--- ` / `+++ ` pair.
    enum Side: Equatable {
        case devNull
        case path(String)

        var path: String? {
            if case let .path(path) = self { return path }
            return nil
        }
    }

    /// The path of a `--- ` or `+++ ` line: unquoted, without a trailing timestamp; nil when the
    /// line names no path at all.
    static func headerPath(_ rest: Substring) -> Side? {
        var text = String(rest)
        if text.hasPrefix("\"") {
            guard let (path, _) = unquote(text) else { return nil }
            text = path
        } else if let tab = text.firstIndex(of: "\t") {
            // `diff -u` appends a tab and a timestamp.
            text = String(text[..<tab])
        }
        text = trimTrailingWhitespace(text)
        if text.isEmpty { return nil }
        if text == "/dev/null" { return .devNull }
        return .path(text)
    }

    /// The two paths of `diff --git a/x b/y` (prefixes kept), when they can be told apart.
    static func gitHeaderPaths(_ rest: Substring) -> (String, String)? {
        let text = trimTrailingWhitespace(String(rest))
        if text.hasPrefix("\"") {
            guard let (first, remainder) = unquote(text) else { return nil }
            let second = remainder.drop(while: { $0 == " " })
            if second.hasPrefix("\"") { return unquote(String(second)).map { (first, $0.0) } }
            return (first, String(second))
        }
        if let quoteStart = text.range(of: " \"") {
            let first = String(text[..<quoteStart.lowerBound])
            guard let (second, _) = unquote(String(text[text.index(after: quoteStart.lowerBound)...])) else { return nil }
            return (first, second)
        }
        // Unquoted paths may contain spaces: `a/x y b/x y`. Git only omits quotes when both
        // names are equal after the prefix, so split where the halves match.
        let parts = text.split(separator: " ", omittingEmptySubsequences: false)
        if parts.count == 2 { return (String(parts[0]), String(parts[1])) }
        for split in 1..<max(parts.count, 1) {
            let first = parts[..<split].joined(separator: " ")
            let second = parts[split...].joined(separator: " ")
            if first.dropFirst(2) == second.dropFirst(2) { return (first, second) }
        }
        return nil
    }

    /// Decodes a C-style quoted path as git writes it; returns the path and the rest of the line.
    static func unquote(_ text: String) -> (String, Substring)? {
        var bytes: [UInt8] = []
        var index = text.utf8.index(after: text.utf8.startIndex)
        let utf8 = text.utf8
        while index < utf8.endIndex {
            let byte = utf8[index]
            if byte == UInt8(ascii: "\"") {
                let rest = Substring(text[utf8.index(after: index)...])
                return (String(decoding: bytes, as: UTF8.self), rest)
            }
            if byte == UInt8(ascii: "\\") {
                index = utf8.index(after: index)
                guard index < utf8.endIndex else { return nil }
                let escaped = utf8[index]
                switch escaped {
                case UInt8(ascii: "n"): bytes.append(0x0A)
                case UInt8(ascii: "t"): bytes.append(0x09)
                case UInt8(ascii: "r"): bytes.append(0x0D)
                case UInt8(ascii: "a"): bytes.append(0x07)
                case UInt8(ascii: "b"): bytes.append(0x08)
                case UInt8(ascii: "f"): bytes.append(0x0C)
                case UInt8(ascii: "v"): bytes.append(0x0B)
                case UInt8(ascii: "0")...UInt8(ascii: "3"):
                    var value = Int(escaped - UInt8(ascii: "0"))
                    for _ in 0..<2 {
                        let next = utf8.index(after: index)
                        guard next < utf8.endIndex, (UInt8(ascii: "0")...UInt8(ascii: "7")).contains(utf8[next]) else { return nil }
                        index = next
                        value = value * 8 + Int(utf8[index] - UInt8(ascii: "0"))
                    }
                    bytes.append(UInt8(value))
                default: bytes.append(escaped)
                }
            } else {
                bytes.append(byte)
            }
            index = utf8.index(after: index)
        }
        return nil
    }

    /// `@@ -1,3 +1,4 @@ section`: the stated starts and counts, or nil for `@@ ... @@` without
    /// numbers.
    static func hunkNumbers(_ line: String) -> (oldStart: Int, oldCount: Int, newStart: Int, newCount: Int)? {
        var scanner = Substring(line).dropFirst(2).drop(while: { $0 == " " })
        guard scanner.first == "-" else { return nil }
        scanner = scanner.dropFirst()
        guard let (oldStart, oldCount, afterOld) = range(scanner) else { return nil }
        scanner = afterOld.drop(while: { $0 == " " })
        guard scanner.first == "+" else { return nil }
        guard let (newStart, newCount, afterNew) = range(scanner.dropFirst()) else { return nil }
        guard afterNew.drop(while: { $0 == " " }).hasPrefix("@@") else { return nil }
        return (oldStart, oldCount, newStart, newCount)
    }

    private static func range(_ text: Substring) -> (Int, Int, Substring)? {
        let startDigits = text.prefix(while: \.isASCIIDigit)
        guard let start = Int(startDigits) else { return nil }
        var rest = text.dropFirst(startDigits.count)
        var count = 1
        if rest.first == "," {
            rest = rest.dropFirst()
            let countDigits = rest.prefix(while: \.isASCIIDigit)
            guard let value = Int(countDigits) else { return nil }
            count = value
            rest = rest.dropFirst(countDigits.count)
        }
        return (start, count, rest)
    }

    /// A mode line's octal mode (`new file mode 100755` → `100755`).
    static func mode(_ rest: Substring) -> String? {
        let value = trimTrailingWhitespace(String(rest))
        return value.allSatisfy(\.isASCIIDigit) && !value.isEmpty ? value : nil
    }

    static func trimTrailingWhitespace(_ text: String) -> String {
        var end = text.endIndex
        while end > text.startIndex, let scalar = text[text.index(before: end)].unicodeScalars.first,
              scalar == " " || scalar == "\t" || scalar == "\r" {
            end = text.index(before: end)
        }
        return String(text[..<end])
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
