/// Collects one file's diff, line by line, and turns it into a `ParsedEdit` when it is complete.
struct FileBuilder {
    enum Phase: Equatable {
        /// After `diff --git`, reading extended headers until `---` or `@@`.
        case gitHeader
        /// After `+++`: a hunk header or (for models that omit it) body lines come next.
        case expectHunks
        case inHunk
        /// Prose ended the last hunk; only a new `@@` continues this file.
        case afterProse
    }

    var phase: Phase
    private let gitPaths: (String, String)?
    private let hasGitHeader: Bool
    private var minus: DiffHeaders.Side?
    private var plus: DiffHeaders.Side?
    private var renameFrom: String?
    private var renameTo: String?
    private var oldMode: String?
    private var newMode: String?
    private var isNewFile = false
    private var isDeletedFile = false
    private var problems: [String] = []
    private var hunks: [Hunk] = []
    private var current: HunkBuilder?

    init(gitHeader: (String, String)?) {
        gitPaths = gitHeader
        hasGitHeader = gitHeader != nil
        phase = .gitHeader
    }

    mutating func setOld(_ side: DiffHeaders.Side?) {
        if let side { minus = side } else { problems.append("the '---' line names no file") }
    }

    mutating func setNew(_ side: DiffHeaders.Side?) {
        if let side { plus = side } else { problems.append("the '+++' line names no file") }
    }

    /// Reads a git extended header line; false when the line is not one (so the file ends).
    mutating func readExtendedHeader(_ text: String) -> Bool {
        func rest(_ prefix: String) -> Substring? {
            text.hasPrefix(prefix) ? text.dropFirst(prefix.count) : nil
        }
        if let value = rest("old mode ") {
            oldMode = DiffHeaders.mode(value)
        } else if let value = rest("new mode ") {
            newMode = DiffHeaders.mode(value)
        } else if let value = rest("new file mode ") {
            isNewFile = true
            newMode = DiffHeaders.mode(value)
        } else if let value = rest("deleted file mode ") {
            isDeletedFile = true
            oldMode = DiffHeaders.mode(value)
        } else if let value = rest("rename from ") {
            renameFrom = Self.unquoted(value)
        } else if let value = rest("rename to ") {
            renameTo = Self.unquoted(value)
        } else if text.hasPrefix("copy from ") || text.hasPrefix("copy to ") {
            problems.append("copies are not supported; create the new file with '--- /dev/null' instead")
        } else if text.hasPrefix("Binary files ") || text.hasPrefix("GIT binary patch") {
            problems.append("binary patches are not supported; only text files can be changed")
        } else if text.hasPrefix("index ") || text.hasPrefix("similarity index ")
                    || text.hasPrefix("dissimilarity index ") {
            // Informational only: blob ids and similarity scores are not needed to apply.
        } else {
            return false
        }
        return true
    }

    private static func unquoted(_ value: Substring) -> String {
        let text = DiffHeaders.trimTrailingWhitespace(String(value))
        if text.hasPrefix("\""), let (path, _) = DiffHeaders.unquote(text) { return path }
        return text
    }

    static func isBodyLine(_ text: String) -> Bool {
        guard let first = text.first else { return true }
        return first == " " || first == "-" || first == "+" || first == "\\"
    }

    mutating func startHunk(_ header: String) {
        finishHunk()
        current = HunkBuilder(header: header)
        phase = .inHunk
    }

    mutating func addBodyLine(_ line: StreamingDiffParser.Line) {
        if current == nil {
            // `+++` followed directly by body lines: a hunk without a header, located by context.
            current = HunkBuilder(header: "@@")
        }
        current!.add(line)
        phase = .inHunk
    }

    mutating func endHunkAtProse() {
        finishHunk()
        phase = .afterProse
    }

    /// The current hunk has fewer lines than its header promised (a reply cut off mid-hunk).
    var currentHunkIsShort: Bool { current?.isShortOfStatedCounts ?? false }

    var displayPath: String? {
        Self.strip(plus?.path, prefix: "b/") ?? Self.strip(minus?.path, prefix: "a/") ?? renameTo ?? gitPaths.map { String($0.1.dropFirst(2)) }
    }

    private static func strip(_ path: String?, prefix: String) -> String? {
        guard let path else { return nil }
        return path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : path
    }

    private mutating func finishHunk() {
        guard let builder = current else { return }
        current = nil
        if let hunk = builder.build() { hunks.append(hunk) }
    }

    // MARK: - Result

    func build() -> ParsedEdit {
        var builder = self
        builder.finishHunk()
        return builder.makeEdit()
    }

    private func makeEdit() -> ParsedEdit {
        let (oldPath, newPath) = resolvedPaths()
        let shownPath = newPath ?? oldPath ?? displayPath
        if let problem = problems.first {
            return .rejected(path: shownPath, reason: "\(shownPath.map { "\($0): " } ?? "")\(problem)")
        }
        if oldPath == nil && newPath == nil {
            if minus == .devNull && plus == .devNull {
                return .rejected(path: nil, reason: "both sides of the diff are /dev/null; name the file to change")
            }
            return .rejected(path: nil, reason: "the diff does not say which file it changes; start it with '--- a/path' and '+++ b/path'")
        }
        for path in [oldPath, newPath].compactMap({ $0 }) {
            if let problem = RepoPath.problem(path) {
                return .rejected(path: path, reason: problem)
            }
        }
        let kind = FilePatch.kind(oldPath: oldPath, newPath: newPath)
        let changing = hunks.filter(\.changesSomething)
        let shown = shownPath ?? "the file"
        if kind == .create && changing.contains(where: { $0.lines.contains { $0.kind != .add } }) {
            return .rejected(path: newPath, reason: "\(shown) is a new file ('--- /dev/null'), so its diff may only add lines; it has context or removed lines. If the file exists, diff against it instead.")
        }
        if kind == .delete && changing.contains(where: { $0.lines.contains { $0.kind == .add } }) {
            return .rejected(path: oldPath, reason: "\(shown) is deleted ('+++ /dev/null'), so its diff may only remove lines")
        }
        let patch = FilePatch(
            oldPath: oldPath, newPath: newPath, kind: kind, hunks: changing,
            oldMode: oldMode, newMode: newMode)
        let hasEffect = !changing.isEmpty || kind != .modify || patch.changesMode
        if !hasEffect {
            let reason = hunks.isEmpty
                ? "the diff for \(shown) has no hunks; add '@@' hunks with the lines to change"
                : "the hunks for \(shown) change nothing (every line is context)"
            return .rejected(path: shown, reason: reason)
        }
        return .patch(patch)
    }

    /// Old and new repository paths, from the most specific header that states them.
    private func resolvedPaths() -> (String?, String?) {
        var old: String?
        var new: String?
        var oldKnown = false
        var newKnown = false
        if let minus {
            old = minus.path
            oldKnown = true
        }
        if let plus {
            new = plus.path
            newKnown = true
        }
        if oldKnown || newKnown {
            (old, new) = Self.stripPrefixes(old: old, new: new)
        }
        if !oldKnown, let renameFrom { old = renameFrom; oldKnown = true }
        if !newKnown, let renameTo { new = renameTo; newKnown = true }
        if let (gitOld, gitNew) = gitPaths {
            let (strippedOld, strippedNew) = Self.stripPrefixes(old: gitOld, new: gitNew)
            if !oldKnown && !isNewFile { old = strippedOld }
            if !newKnown && !isDeletedFile { new = strippedNew }
        } else if !oldKnown && newKnown {
            old = new
        } else if oldKnown && !newKnown {
            new = old
        }
        if isNewFile { old = nil }
        if isDeletedFile { new = nil }
        return (old.map(RepoPath.normalize), new.map(RepoPath.normalize))
    }

    /// Drops git's `a/` and `b/` prefixes when the diff uses them; keeps bare paths as written.
    static func stripPrefixes(old: String?, new: String?) -> (String?, String?) {
        switch (old, new) {
        case let (old?, new?):
            if old.hasPrefix("a/") && new.hasPrefix("b/") {
                return (String(old.dropFirst(2)), String(new.dropFirst(2)))
            }
            if old.hasPrefix("a/") && String(old.dropFirst(2)) == new { return (new, new) }
            if new.hasPrefix("b/") && String(new.dropFirst(2)) == old { return (old, old) }
            return (old, new)
        case let (old?, nil):
            return (old.hasPrefix("a/") ? String(old.dropFirst(2)) : old, nil)
        case let (nil, new?):
            return (nil, new.hasPrefix("b/") ? String(new.dropFirst(2)) : new)
        case (nil, nil):
            return (nil, nil)
        }
    }
}

/// Collects one hunk's body; recounts the old and new sides from what was actually written.
struct HunkBuilder {
    private let stated: (oldStart: Int, oldCount: Int, newStart: Int, newCount: Int)?
    private var lines: [HunkLine] = []
    /// Which lines were blank in the reply (models drop the space of blank context lines).
    private var wasBlank: [Bool] = []
    private var oldMissingNewline = false
    private var newMissingNewline = false

    init(header: String) {
        stated = DiffHeaders.hunkNumbers(header)
    }

    mutating func add(_ line: StreamingDiffParser.Line) {
        let text = line.text
        guard let first = text.first else {
            lines.append(HunkLine(.context, "", endsWithCarriageReturn: line.hadCarriageReturn))
            wasBlank.append(true)
            return
        }
        if first == "\\" {
            // `\ No newline at end of file` refers to the line before it.
            switch lines.last?.kind {
            case .context?: oldMissingNewline = true; newMissingNewline = true
            case .remove?: oldMissingNewline = true
            case .add?: newMissingNewline = true
            case nil: break
            }
            return
        }
        let kind: HunkLine.Kind = first == "-" ? .remove : first == "+" ? .add : .context
        lines.append(HunkLine(kind, String(text.dropFirst()), endsWithCarriageReturn: line.hadCarriageReturn))
        wasBlank.append(false)
    }

    var isShortOfStatedCounts: Bool {
        guard let stated else { return false }
        let old = lines.filter(\.isOldSide).count
        let new = lines.filter(\.isNewSide).count
        return old < stated.oldCount || new < stated.newCount
    }

    func build() -> Hunk? {
        // Blank lines after the body are usually the gap before prose. They are kept only when the
        // header's counts come out exact with them; dropping trailing context is always safe.
        var keep = lines.count
        while keep > 0 && wasBlank[keep - 1] { keep -= 1 }
        if let stated {
            for candidate in stride(from: lines.count, through: keep, by: -1) {
                let body = lines[..<candidate]
                if body.filter(\.isOldSide).count == stated.oldCount && body.filter(\.isNewSide).count == stated.newCount {
                    keep = candidate
                    break
                }
            }
        }
        let lines = Array(lines[..<keep])
        guard !lines.isEmpty else { return nil }
        return Hunk(
            oldStart: stated?.oldStart, newStart: stated?.newStart, lines: lines,
            oldMissingNewlineAtEnd: oldMissingNewline, newMissingNewlineAtEnd: newMissingNewline)
    }
}
