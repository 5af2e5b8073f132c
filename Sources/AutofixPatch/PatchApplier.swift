import AutofixSupport
import Foundation

/// What applying one file patch did.
public struct ApplyReport: Sendable, Equatable {
    /// Repository-relative paths written or removed.
    public let touchedPaths: [String]
    /// How each hunk was located, in hunk order (empty for whole-file blocks and pure renames).
    public let hunkStrategies: [HunkStrategy]
    /// The 1-based line of the original file where each hunk applied.
    public let hunkLines: [Int]

    /// True when every hunk matched exactly where its header said.
    public var isExact: Bool { hunkStrategies.allSatisfy { $0 == .exact } }
}

/// Applies `FilePatch` values to a directory (the scratch checkout): all hunks of a file or none,
/// written through a temp file and a rename, keeping the file's mode and line endings.
public struct PatchApplier: Sendable {
    public let root: URL
    public let policy: PathPolicy

    public init(root: URL, policy: PathPolicy) {
        self.root = root
        self.policy = policy
    }

    /// Checks the path policy, locates every hunk, then writes. Throws `PatchError` and writes
    /// nothing when any check or hunk fails.
    @discardableResult
    public func apply(_ patch: FilePatch) throws -> ApplyReport {
        let plan = try makePlan(patch)
        try plan.perform(root: root)
        return plan.report
    }

    /// The same checks as `apply` without writing anything (a dry run).
    @discardableResult
    public func check(_ patch: FilePatch) throws -> ApplyReport {
        try makePlan(patch).report
    }

    // MARK: - Planning

    private func makePlan(_ patch: FilePatch) throws -> WritePlan {
        try policy.check(patch)
        if let content = patch.wholeFileContent {
            return try planWholeFile(patch, content: content)
        }
        switch patch.kind {
        case .create:
            guard let path = patch.newPath else { throw malformed(patch, "a new file needs a path") }
            try requireAbsent(path, patch: patch)
            var file = TextFile(lines: [])
            let result = try HunkApplication(path: path, explicitEndings: patch.carriesCarriageReturns).run(patch.hunks, on: &file)
            return WritePlan(
                writes: [.init(path: path, data: file.data, mode: mode(patch.newMode) ?? 0o644)],
                removals: [], report: ApplyReport(touchedPaths: [path], hunkStrategies: result.strategies, hunkLines: result.lines))
        case .delete:
            guard let path = patch.oldPath else { throw malformed(patch, "a deleted file needs a path") }
            var (file, _) = try read(path, patch: patch)
            let result = try HunkApplication(path: path, explicitEndings: patch.carriesCarriageReturns).run(patch.hunks, on: &file)
            return WritePlan(writes: [], removals: [path],
                             report: ApplyReport(touchedPaths: [path], hunkStrategies: result.strategies, hunkLines: result.lines))
        case .modify, .rename:
            guard let oldPath = patch.oldPath, let newPath = patch.newPath else { throw malformed(patch, "the patch needs both paths") }
            if oldPath == newPath && patch.onlyAddsLines && !exists(oldPath) {
                // Models often write a new file as `--- a/x` / `+++ b/x` with only added lines.
                var created = patch
                created.oldPath = nil
                created.kind = .create
                return try makePlan(created)
            }
            var (file, originalMode) = try read(oldPath, patch: patch)
            if oldPath != newPath { try requireAbsent(newPath, patch: patch) }
            let result = try HunkApplication(path: newPath, explicitEndings: patch.carriesCarriageReturns).run(patch.hunks, on: &file)
            var newMode = originalMode
            if patch.changesMode, let requested = mode(patch.newMode) { newMode = requested }
            return WritePlan(
                writes: [.init(path: newPath, data: file.data, mode: newMode)],
                removals: oldPath == newPath ? [] : [oldPath],
                report: ApplyReport(touchedPaths: patch.touchedPaths, hunkStrategies: result.strategies, hunkLines: result.lines))
        }
    }

    private func planWholeFile(_ patch: FilePatch, content: String) throws -> WritePlan {
        guard let path = patch.newPath else { throw malformed(patch, "a whole-file block needs a path") }
        let full = root.appendingPathComponent(path).path
        guard FileManager.default.fileExists(atPath: full) else {
            return WritePlan(writes: [.init(path: path, data: Data(content.utf8), mode: 0o644)], removals: [],
                             report: ApplyReport(touchedPaths: [path], hunkStrategies: [], hunkLines: []))
        }
        let (original, mode) = try read(path, patch: patch)
        guard var replacement = TextFile(data: Data(content.utf8)) else { throw malformed(patch, "the new content is not text") }
        // A model writes LF; a CRLF file stays CRLF.
        let ending = original.dominantEnding
        for index in replacement.lines.indices where replacement.lines[index].ending == .lf {
            replacement.lines[index].ending = ending
        }
        return WritePlan(writes: [.init(path: path, data: replacement.data, mode: mode)], removals: [],
                         report: ApplyReport(touchedPaths: [path], hunkStrategies: [], hunkLines: []))
    }

    private func read(_ path: String, patch: FilePatch) throws -> (TextFile, mode_t) {
        let full = root.appendingPathComponent(path).path
        var info = stat()
        guard stat(full, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            throw PatchError(
                .targetMissing, path: path,
                message: "Cannot apply the patch for \(patch.displayPath): \(path) does not exist.",
                feedback: "Not applied: \(path) does not exist. Check the path, or write a new file with '--- /dev/null' and '+++ b/\(path)'.")
        }
        guard let data = FileManager.default.contents(atPath: full) else {
            throw PatchError(.io, path: path, message: "Cannot read \(path) in the checkout.",
                             feedback: "Not applied: \(path) could not be read.")
        }
        guard let file = TextFile(data: data) else {
            throw PatchError(.malformed, path: path, message: "Refused to patch \(path): it is not UTF-8 text.",
                             feedback: "Not applied: \(path) is a binary or non-UTF-8 file; it cannot be changed with a text patch.")
        }
        return (file, info.st_mode & 0o7777)
    }

    private func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(root.appendingPathComponent(path).path, &info) == 0
    }

    private func requireAbsent(_ path: String, patch: FilePatch) throws {
        var info = stat()
        guard lstat(root.appendingPathComponent(path).path, &info) != 0 else {
            throw PatchError(
                .alreadyExists, path: path,
                message: "Cannot apply the patch for \(patch.displayPath): \(path) already exists.",
                feedback: "Not applied: \(path) already exists. Send a diff against its current content instead of creating it.")
        }
    }

    private func mode(_ gitMode: String?) -> mode_t? {
        guard let gitMode, let value = mode_t(gitMode, radix: 8) else { return nil }
        return value & 0o777
    }

    private func malformed(_ patch: FilePatch, _ problem: String) -> PatchError {
        PatchError(.malformed, path: patch.newPath ?? patch.oldPath,
                   message: "The patch for \(patch.displayPath) is malformed: \(problem).",
                   feedback: "Not applied: \(problem).")
    }
}

extension FilePatch {
    var onlyAddsLines: Bool {
        !hunks.isEmpty && hunks.allSatisfy { $0.lines.allSatisfy { $0.kind == .add } }
    }

    /// The diff was taken from CRLF text (lines carry their carriage returns), so each line's own
    /// terminator is authoritative instead of the file's usual one.
    var carriesCarriageReturns: Bool {
        hunks.contains { $0.lines.contains(where: \.endsWithCarriageReturn) }
    }
}

/// Applies a file's hunks in memory, one after the other, collecting failures for feedback.
struct HunkApplication {
    let path: String
    let explicitEndings: Bool

    struct Result {
        var strategies: [HunkStrategy] = []
        var lines: [Int] = []
    }

    func run(_ hunks: [Hunk], on file: inout TextFile) throws -> Result {
        var result = Result()
        var failures: [String] = []
        var shift = 0
        var previousEnd = 0
        var finalNewline: Bool? = nil
        let originallyEndsWithNewline = file.endsWithNewline
        let fallback = file.lines.isEmpty ? TextFile.Ending.lf : file.dominantEnding
        for (number, hunk) in hunks.enumerated() {
            let locator = HunkLocator(fileLines: file.lines.map(\.text))
            let oldCount = hunk.oldCount
            let expected = hunk.oldStart.map { start in
                // `-5,0` means "after line 5"; otherwise the header names the first old line.
                (oldCount == 0 ? start : start - 1) + shift
            }
            guard let match = locator.locate(hunk, expected: expected, after: previousEnd) else {
                failures.append(feedback(for: hunk, number: number + 1, of: hunks.count, locator: locator, target: expected ?? previousEnd))
                continue
            }
            let replacement = newLines(for: hunk, at: match, in: file, fallback: fallback)
            let reachesEnd = match.start + oldCount == file.lines.count
            file.lines.replaceSubrange(match.start..<(match.start + oldCount), with: replacement)
            // `\ No newline at end of file` only means something for the hunk at the end.
            if reachesEnd && (hunk.oldMissingNewlineAtEnd || hunk.newMissingNewlineAtEnd) {
                finalNewline = !hunk.newMissingNewlineAtEnd
            }
            result.strategies.append(match.strategy)
            result.lines.append(match.start - shift + 1)
            shift += replacement.count - oldCount
            previousEnd = match.start + replacement.count
        }
        if !failures.isEmpty {
            let applied = hunks.count - failures.count
            throw PatchError(
                .hunkNotFound, path: path,
                message: "\(failures.count) of \(hunks.count) hunk(s) for \(path) did not match the file; nothing was changed.",
                feedback: "Not applied to \(path) (no hunk was applied, \(applied) of \(hunks.count) would have matched):\n\n"
                    + failures.joined(separator: "\n\n")
                    + "\n\nSend a corrected diff for \(path) whose context and removed lines are copied exactly from the file.")
        }
        // When no hunk spoke about the end of the file, it keeps its final newline (or lack of it).
        file.settleEndings(finalNewline: finalNewline ?? originallyEndsWithNewline, fallback: fallback)
        return result
    }

    private func newLines(for hunk: Hunk, at match: HunkMatch, in file: TextFile, fallback: TextFile.Ending) -> [TextFile.Line] {
        var lines: [TextFile.Line] = []
        var oldIndex = 0
        var lastReference: (patch: Substring, file: Substring)?
        let references = match.strategy == .ignoringIndentation || match.strategy == .fuzzy
            ? indentReferences(hunk, at: match, in: file) : []
        for (index, line) in hunk.lines.enumerated() {
            switch line.kind {
            case .context:
                lines.append(file.lines[match.start + oldIndex])
                oldIndex += 1
            case .remove:
                oldIndex += 1
            case .add:
                var text = line.text
                if !references.isEmpty, let reference = references[index] ?? lastReference {
                    text = Self.reindent(text, patchIndent: reference.patch, fileIndent: reference.file)
                    lastReference = reference
                }
                let ending: TextFile.Ending = explicitEndings ? (line.endsWithCarriageReturn ? .crlf : .lf) : fallback
                lines.append(TextFile.Line(text: text, ending: ending))
            }
        }
        return lines
    }

    /// For each added line, the indentation of the nearest non-blank old-side line before it (or
    /// after it) in the hunk and of the file line it matched.
    private func indentReferences(_ hunk: Hunk, at match: HunkMatch, in file: TextFile) -> [(patch: Substring, file: Substring)?] {
        var fileIndexOf: [Int?] = []
        var oldIndex = 0
        for line in hunk.lines {
            if line.isOldSide {
                fileIndexOf.append(match.start + oldIndex)
                oldIndex += 1
            } else {
                fileIndexOf.append(nil)
            }
        }
        func reference(at index: Int) -> (patch: Substring, file: Substring)? {
            guard let fileIndex = fileIndexOf[index] else { return nil }
            let trimmed = HunkLocator.trimBoth(hunk.lines[index].text)
            guard !trimmed.isEmpty, trimmed == HunkLocator.trimBoth(file.lines[fileIndex].text) else { return nil }
            return (HunkLocator.indentation(hunk.lines[index].text), HunkLocator.indentation(file.lines[fileIndex].text))
        }
        return hunk.lines.indices.map { index in
            guard hunk.lines[index].kind == .add else { return nil }
            for before in stride(from: index - 1, through: 0, by: -1) {
                if let found = reference(at: before) { return found }
            }
            for after in (index + 1)..<hunk.lines.count {
                if let found = reference(at: after) { return found }
            }
            return nil
        }
    }

    static func reindent(_ text: String, patchIndent: Substring, fileIndent: Substring) -> String {
        guard patchIndent != fileIndent else { return text }
        let indent = HunkLocator.indentation(text)
        let body = text.dropFirst(indent.count)
        if body.isEmpty { return text }
        if indent.hasPrefix(patchIndent) {
            return String(fileIndent) + String(indent.dropFirst(patchIndent.count)) + body
        }
        if patchIndent.hasPrefix(indent) {
            let less = patchIndent.count - indent.count
            if fileIndent.count >= less { return String(fileIndent.dropLast(less)) + body }
        }
        return text
    }

    private func feedback(for hunk: Hunk, number: Int, of total: Int, locator: HunkLocator, target: Int) -> String {
        let stated = hunk.oldStart.map { " (header says line \($0))" } ?? ""
        var text = "Hunk \(number) of \(total)\(stated): "
        let old = hunk.oldLines
        if old.isEmpty {
            return text + "it only adds lines and has no line numbers or context, so there is no way to tell where; include a few unchanged lines around the change."
        }
        guard let region = locator.closestRegion(to: hunk, target: max(target, 0)) else {
            text += "none of its lines were found in \(path). The lines it expects are:\n"
            text += Self.numbered(old.prefix(12), firstNumber: nil, marker: "  ")
            return text
        }
        let fileLines = locator.fileLines
        var missing: [String] = []
        for (offset, line) in old.enumerated() {
            let fileIndex = region.start + offset
            if fileIndex >= fileLines.count || HunkLocator.trimBoth(fileLines[fileIndex]) != HunkLocator.trimBoth(line) {
                missing.append(line)
            }
        }
        text += "these \(missing.count) of its \(old.count) old line(s) were not found where the rest matched:\n"
        text += Self.numbered(missing.prefix(12), firstNumber: nil, marker: "  ")
        if missing.count > 12 { text += "\n  ... (\(missing.count - 12) more)" }
        let from = max(region.start - 2, 0)
        let to = min(region.start + old.count + 2, fileLines.count)
        let shown = min(to, from + 30)
        text += "\nThe closest region of \(path) is lines \(region.start + 1)-\(min(region.start + old.count, fileLines.count)):\n"
        text += Self.numbered(fileLines[from..<shown], firstNumber: from + 1, marker: "")
        return text
    }

    private static func numbered<S: Collection>(_ lines: S, firstNumber: Int?, marker: String) -> String where S.Element == String {
        var out: [String] = []
        for (offset, line) in lines.enumerated() {
            if let firstNumber {
                let number = String(firstNumber + offset)
                out.append(String(repeating: " ", count: max(0, 6 - number.count)) + number + " | " + line)
            } else {
                out.append(marker + line)
            }
        }
        return out.joined(separator: "\n")
    }
}

/// The writes and removals one patch needs, performed only after everything was checked.
struct WritePlan {
    struct Write {
        let path: String
        let data: Data
        let mode: mode_t
    }

    let writes: [Write]
    let removals: [String]
    let report: ApplyReport

    func perform(root: URL) throws {
        var written: [String] = []
        do {
            for write in writes {
                try AtomicFile.write(write.data, to: root.appendingPathComponent(write.path), mode: write.mode)
                written.append(write.path)
            }
            for path in removals {
                do {
                    try SystemCall.retrying("unlink", path: path) { unlink(root.appendingPathComponent(path).path) }
                } catch let failure as SystemCallError {
                    throw PatchError(.io, path: path, message: "Cannot remove \(path): \(failure.reason).",
                                     feedback: "Not applied: \(path) could not be removed.")
                }
            }
        } catch {
            // A rename whose old side cannot be removed is undone, so the file stays all-or-nothing.
            if !removals.isEmpty {
                for path in written { unlink(root.appendingPathComponent(path).path) }
            }
            throw error
        }
    }
}

/// Writes a file through a temp file in the same directory and a rename, so a reader never sees
/// half a file and a failure leaves the old content in place.
enum AtomicFile {
    static func write(_ data: Data, to url: URL, mode: mode_t) throws {
        let directory = url.deletingLastPathComponent()
        let path = url.lastPathComponent
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw PatchError(.io, path: path, message: "Cannot create \(directory.path): \(error.localizedDescription).",
                             feedback: "Not applied: the directory for \(path) could not be created.")
        }
        do {
            // The host's checkout is scratch: a crash loses nothing a later round needs.
            try AtomicFileWriter.write(data, to: url, mode: mode, durability: .unsynced)
        } catch let failure as SystemCallError {
            throw ioError(url, failure)
        }
    }

    private static func ioError(_ url: URL, _ failure: SystemCallError) -> PatchError {
        PatchError(.io, path: url.lastPathComponent, message: "Cannot write \(url.path): \(failure.reason).",
                   feedback: "Not applied: writing \(url.lastPathComponent) failed (\(failure.reason)).")
    }
}
