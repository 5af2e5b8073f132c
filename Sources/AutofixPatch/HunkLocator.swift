/// How a hunk's old lines were found in the file, from strictest to most tolerant.
public enum HunkStrategy: String, Sendable, Equatable, CaseIterable {
    /// Exactly at the line the hunk header stated (after earlier hunks' shifts).
    case exact
    /// Exactly, but at another line: the nearest occurrence to the stated one.
    case exactShifted = "exact-shifted"
    /// Equal once trailing whitespace is ignored.
    case ignoringTrailingWhitespace = "ignoring-trailing-whitespace"
    /// Equal once indentation is ignored; added lines were re-indented to match the file.
    case ignoringIndentation = "ignoring-indentation"
    /// Up to `FuzzyLimit.maxMismatchedContext` context lines differ; removed lines all match.
    case fuzzy
}

/// Where a hunk applies and how its old-side lines line up with the file.
struct HunkMatch {
    /// 0-based index of the first file line the hunk's old side covers (or the insertion point).
    let start: Int
    let strategy: HunkStrategy
}

/// How far the fuzzy strategy may go: a few context lines may differ, never a removed line.
enum FuzzyLimit {
    static let maxMismatchedContext = 2
    /// At most this share of the context lines may differ (a third).
    static func allowedMismatches(contextLines: Int) -> Int {
        min(maxMismatchedContext, contextLines / 3)
    }
}

/// Finds a hunk's old-side lines in a file with the cascade of strategies.
struct HunkLocator {
    let fileLines: [String]
    private let trimmedTrailing: [Substring]
    private let trimmedBoth: [Substring]

    init(fileLines: [String]) {
        self.fileLines = fileLines
        trimmedTrailing = fileLines.map(Self.trimTrailing)
        trimmedBoth = fileLines.map(Self.trimBoth)
    }

    /// `expected` is the 0-based line the header points at (nil when the hunk has no numbers);
    /// `after` is where the previous hunk ended, preferred when there are no numbers.
    func locate(_ hunk: Hunk, expected: Int?, after: Int) -> HunkMatch? {
        let old = hunk.lines.filter(\.isOldSide)
        let count = fileLines.count
        if old.isEmpty {
            // Pure insertion: only the header can say where.
            if let expected { return HunkMatch(start: min(max(expected, 0), count), strategy: .exact) }
            return count == 0 ? HunkMatch(start: 0, strategy: .exact) : nil
        }
        guard old.count <= count else { return nil }
        let oldText = old.map(\.text)
        let target = expected ?? after

        if let expected, expected >= 0, expected + old.count <= count,
           (0..<old.count).allSatisfy({ fileLines[expected + $0] == oldText[$0] }) {
            return HunkMatch(start: expected, strategy: .exact)
        }
        if let start = nearest(to: target, preferAfter: expected == nil, length: old.count, where: { fileLines[$0 + $1] == oldText[$1] }) {
            return HunkMatch(start: start, strategy: .exactShifted)
        }
        let oldTrailing = oldText.map(Self.trimTrailing)
        if let start = nearest(to: target, preferAfter: expected == nil, length: old.count, where: { trimmedTrailing[$0 + $1] == oldTrailing[$1] }) {
            return HunkMatch(start: start, strategy: .ignoringTrailingWhitespace)
        }
        let oldBoth = oldText.map(Self.trimBoth)
        if let start = nearest(to: target, preferAfter: expected == nil, length: old.count, where: { trimmedBoth[$0 + $1] == oldBoth[$1] }) {
            return HunkMatch(start: start, strategy: .ignoringIndentation)
        }
        return fuzzy(old: old, oldBoth: oldBoth, target: target, preferAfter: expected == nil)
    }

    /// The window start closest to `target` where every line satisfies `equal(start, offset)`.
    private func nearest(to target: Int, preferAfter: Bool, length: Int, where equal: (Int, Int) -> Bool) -> Int? {
        let last = fileLines.count - length
        guard last >= 0 else { return nil }
        func matches(_ start: Int) -> Bool {
            for offset in 0..<length where !equal(start, offset) { return false }
            return true
        }
        let clamped = min(max(target, 0), last)
        if preferAfter {
            // Hunks without numbers come in file order: the first match after the previous hunk.
            if let start = (clamped...last).first(where: matches) { return start }
            return (0..<clamped).reversed().first(where: matches)
        }
        for distance in 0...max(clamped, last - clamped) {
            if clamped - distance >= 0 && matches(clamped - distance) { return clamped - distance }
            if distance > 0 && clamped + distance <= last && matches(clamped + distance) { return clamped + distance }
        }
        return nil
    }

    private func fuzzy(old: [HunkLine], oldBoth: [Substring], target: Int, preferAfter: Bool) -> HunkMatch? {
        let contextCount = old.filter { $0.kind == .context }.count
        let allowed = FuzzyLimit.allowedMismatches(contextLines: contextCount)
        guard allowed > 0, fileLines.count >= old.count else { return nil }
        var best: (start: Int, mismatches: Int, distance: Int)?
        for start in 0...(fileLines.count - old.count) {
            var mismatches = 0
            var anchored = false
            for offset in old.indices {
                if trimmedBoth[start + offset] == oldBoth[offset] {
                    if !oldBoth[offset].isEmpty { anchored = true }
                    continue
                }
                if old[offset].kind == .remove { mismatches = allowed + 1; break }
                mismatches += 1
                if mismatches > allowed { break }
            }
            guard anchored, mismatches <= allowed else { continue }
            let distance = abs(start - target)
            if best == nil || mismatches < best!.mismatches || (mismatches == best!.mismatches && distance < best!.distance) {
                best = (start, mismatches, distance)
            }
        }
        return best.map { HunkMatch(start: $0.start, strategy: .fuzzy) }
    }

    /// The window most like the hunk's old side, for feedback: its start and how many lines match.
    func closestRegion(to hunk: Hunk, target: Int) -> (start: Int, matching: Int)? {
        let oldBoth = hunk.oldLines.map(Self.trimBoth)
        guard !oldBoth.isEmpty, !fileLines.isEmpty else { return nil }
        let length = min(oldBoth.count, fileLines.count)
        var best: (start: Int, matching: Int, distance: Int)?
        for start in 0...(fileLines.count - length) {
            var matching = 0
            for offset in 0..<length where trimmedBoth[start + offset] == oldBoth[offset] && !oldBoth[offset].isEmpty {
                matching += 1
            }
            let distance = abs(start - target)
            if best == nil || matching > best!.matching || (matching == best!.matching && distance < best!.distance) {
                best = (start, matching, distance)
            }
        }
        guard let best, best.matching > 0 else { return nil }
        return (best.start, best.matching)
    }

    static func trimTrailing(_ text: String) -> Substring {
        var end = text.endIndex
        while end > text.startIndex {
            let previous = text.index(before: end)
            guard text[previous] == " " || text[previous] == "\t" else { break }
            end = previous
        }
        return text[..<end]
    }

    static func trimBoth(_ text: String) -> Substring {
        let trailing = trimTrailing(text)
        return trailing.drop(while: { $0 == " " || $0 == "\t" })
    }

    static func indentation(_ text: String) -> Substring {
        text.prefix(while: { $0 == " " || $0 == "\t" })
    }
}
