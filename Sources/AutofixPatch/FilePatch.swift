import AutofixSupport

/// How the model is asked to write its edits.
public enum EditFormat: String, Sendable, CaseIterable, Codable {
    /// Unified diffs, one file after another.
    case diff
    /// Whole-file replacement blocks: a fenced block headed by the file's path.
    case whole
}

/// One line of a hunk body, without its `' '`/`-`/`+` prefix and without line terminator.
public struct HunkLine: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case context, remove, add
    }

    public var kind: Kind
    public var text: String
    /// The diff carried a carriage return before the newline (a CRLF line in the source file).
    public var endsWithCarriageReturn: Bool

    public init(_ kind: Kind, _ text: String, endsWithCarriageReturn: Bool = false) {
        self.kind = kind
        self.text = text
        self.endsWithCarriageReturn = endsWithCarriageReturn
    }

    public var isOldSide: Bool { kind != .add }
    public var isNewSide: Bool { kind != .remove }
}

/// One `@@` hunk. Counts are recounted from the body, so they are always consistent with `lines`.
public struct Hunk: Sendable, Equatable {
    /// 1-based first line of the old side as the header stated it (nil for `@@ ... @@` hunks
    /// without numbers, which are located by their context alone).
    public var oldStart: Int?
    public var newStart: Int?
    public var lines: [HunkLine]
    /// A `\ No newline at end of file` marker followed the last old-side line.
    public var oldMissingNewlineAtEnd: Bool
    /// A `\ No newline at end of file` marker followed the last new-side line.
    public var newMissingNewlineAtEnd: Bool

    public init(
        oldStart: Int?, newStart: Int?, lines: [HunkLine],
        oldMissingNewlineAtEnd: Bool = false, newMissingNewlineAtEnd: Bool = false
    ) {
        self.oldStart = oldStart
        self.newStart = newStart
        self.lines = lines
        self.oldMissingNewlineAtEnd = oldMissingNewlineAtEnd
        self.newMissingNewlineAtEnd = newMissingNewlineAtEnd
    }

    public var oldCount: Int { lines.reduce(0) { $0 + ($1.isOldSide ? 1 : 0) } }
    public var newCount: Int { lines.reduce(0) { $0 + ($1.isNewSide ? 1 : 0) } }
    public var oldLines: [String] { lines.filter(\.isOldSide).map(\.text) }
    public var newLines: [String] { lines.filter(\.isNewSide).map(\.text) }
    public var changesSomething: Bool {
        lines.contains { $0.kind != .context } || oldMissingNewlineAtEnd != newMissingNewlineAtEnd
    }
}

/// Everything one file's edit says: a unified diff for one file, or a whole-file replacement.
public struct FilePatch: Sendable, Equatable {
    public enum Kind: String, Sendable, Equatable {
        case modify, create, delete, rename
    }

    /// Repository-relative path before the change; nil when the file is created.
    public var oldPath: String?
    /// Repository-relative path after the change; nil when the file is deleted.
    public var newPath: String?
    public var kind: Kind
    public var hunks: [Hunk]
    /// Octal git modes (`100644`, `100755`) when the diff stated them.
    public var oldMode: String?
    public var newMode: String?
    /// For whole-file blocks: the complete new content of `newPath` (created when missing).
    public var wholeFileContent: String?

    public init(
        oldPath: String?, newPath: String?, kind: Kind? = nil, hunks: [Hunk] = [],
        oldMode: String? = nil, newMode: String? = nil, wholeFileContent: String? = nil
    ) {
        self.oldPath = oldPath
        self.newPath = newPath
        self.kind = kind ?? FilePatch.kind(oldPath: oldPath, newPath: newPath)
        self.hunks = hunks
        self.oldMode = oldMode
        self.newMode = newMode
        self.wholeFileContent = wholeFileContent
    }

    /// A whole-file replacement of `path`.
    public static func wholeFile(_ path: String, content: String) -> FilePatch {
        FilePatch(oldPath: path, newPath: path, kind: .modify, wholeFileContent: content)
    }

    static func kind(oldPath: String?, newPath: String?) -> Kind {
        switch (oldPath, newPath) {
        case (nil, _): return .create
        case (_, nil): return .delete
        case let (old?, new?) where old != new: return .rename
        default: return .modify
        }
    }

    /// The path to show a user: `old → new` for renames.
    public var displayPath: String {
        switch kind {
        case .rename: return "\(oldPath ?? "?") → \(newPath ?? "?")"
        case .delete: return oldPath ?? "?"
        default: return newPath ?? oldPath ?? "?"
        }
    }

    /// Every repository-relative path this patch writes or removes (both sides of a rename).
    public var touchedPaths: [String] {
        var paths: [String] = []
        for path in [oldPath, newPath].compactMap({ $0 }) where !paths.contains(path) {
            paths.append(path)
        }
        return paths
    }

    public var isWholeFile: Bool { wholeFileContent != nil }

    /// The diff states a mode for the new side that differs from the old side (or a new file
    /// that is not a plain `100644` file).
    public var changesMode: Bool {
        switch kind {
        case .create: return newMode.map { $0 != "100644" } ?? false
        case .delete: return false
        default:
            guard let oldMode, let newMode else { return false }
            return oldMode != newMode
        }
    }
}
