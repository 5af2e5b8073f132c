/// Turns a model's reply, fed as it streams in pieces of any size, into one `ParsedEdit` per
/// file. A file's edit is emitted as soon as it is known to be complete: at the next file header,
/// at the closing code fence, or at the end of the stream; never earlier and never twice.
///
/// Accepts unified diffs with or without `diff --git` headers and `a/`/`b/` prefixes, bare or in
/// fences, with prose around them, wrong hunk counts (recounted from the body), `@@ ... @@` hunks
/// without numbers, and, in `.whole` format, fenced blocks headed by a path that replace a whole
/// file. The parser works line by line, so the chunking of the input never changes the result.
public final class StreamingDiffParser {
    public let format: EditFormat

    private var partialLine: [UInt8] = []
    private var fence: OpenFence?
    private var file: FileBuilder?
    /// A `--- x` line whose meaning depends on the next line (`+++ y` makes it a file header).
    private var pendingMinus: Line?
    private var whole: WholeBlock?
    private var previousNonEmptyLine: String?
    private var explicitSummary: String?
    private var firstProseLine: String?
    private var sawEdit = false
    private var pathlessBlocks = 0
    private var codeBlocks = 0
    private var output: [ParsedEdit] = []
    private var finished = false

    public init(format: EditFormat = .diff) {
        self.format = format
    }

    /// The model's one-line summary (see `ReplyGrammar`): a line starting `Summary:` or else the first line of prose
    /// before the first edit. Meant as the subject of the commit that records the patch.
    public var summaryLine: String? { explicitSummary ?? firstProseLine }

    /// Feeds the next piece of the reply; returns the edits completed by it.
    public func feed(_ text: String) -> [ParsedEdit] {
        guard !finished else { return [] }
        let bytes = Array(text.utf8)
        var lineStart = 0
        for index in bytes.indices where bytes[index] == 0x0A {
            partialLine.append(contentsOf: bytes[lineStart..<index])
            handle(Line(bytes: partialLine))
            partialLine.removeAll(keepingCapacity: true)
            lineStart = index + 1
        }
        partialLine.append(contentsOf: bytes[lineStart...])
        return takeOutput()
    }

    /// Ends the stream: completes the last file and reports edits that were cut off.
    public func finish() -> [ParsedEdit] {
        guard !finished else { return [] }
        if !partialLine.isEmpty {
            handle(Line(bytes: partialLine))
            partialLine.removeAll()
        }
        resolvePendingMinus(next: nil)
        if let whole {
            output.append(.rejected(
                path: whole.path,
                reason: "the block for \(whole.path) was not closed with ``` (the reply may have been cut off); nothing was written. Send the whole file again."
            ))
            self.whole = nil
        }
        if let file, fence != nil, file.currentHunkIsShort {
            output.append(.rejected(
                path: file.displayPath,
                reason: "the diff for \(file.displayPath ?? "a file") stops in the middle of a hunk and its code block was never closed (the reply was cut off); send that file's diff again."
            ))
            self.file = nil
        }
        closeFile()
        if !sawEdit && codeBlocks > 0 && format == .diff {
            output.append(.rejected(
                path: nil,
                reason: "the reply has code blocks but no unified diff; write each change as a diff with '--- a/path', '+++ b/path' and '@@' hunks."
            ))
        }
        if !sawEdit && pathlessBlocks > 0 && format == .whole {
            output.append(.rejected(
                path: nil,
                reason: "found \(pathlessBlocks) code block(s) but none was headed by a file path; put the file's path alone on the line before each ``` block."
            ))
        }
        finished = true
        return takeOutput()
    }

    private func takeOutput() -> [ParsedEdit] {
        defer { output.removeAll() }
        return output
    }

    // MARK: - Lines

    struct Line {
        /// The line without its terminator and without a trailing carriage return.
        let text: String
        let hadCarriageReturn: Bool

        init(bytes: [UInt8]) {
            if bytes.last == 0x0D {
                text = String(decoding: bytes.dropLast(), as: UTF8.self)
                hadCarriageReturn = true
            } else {
                text = String(decoding: bytes, as: UTF8.self)
                hadCarriageReturn = false
            }
        }
    }

    private struct OpenFence {
        let backticks: Int
    }

    private struct WholeBlock {
        let path: String
        let backticks: Int
        var lines: [String] = []
    }

    private func handle(_ line: Line) {
        if whole != nil {
            handleWholeBlockLine(line)
            return
        }
        if pendingMinus != nil {
            if resolvePendingMinus(next: line) { return }
        }
        // Only the non-blank line right before a fence can name the file of a whole-file block.
        let headerCandidate = previousNonEmptyLine
        if !line.text.allSatisfy({ $0 == " " || $0 == "\t" }) { previousNonEmptyLine = nil }
        // Inside a hunk a context line of a Markdown file can be " ```": only a fence in the
        // first column ends the block there.
        let inHunk = file?.phase == .inHunk || file?.phase == .expectHunks
        if let fenceLine = FenceLine(line.text), !inHunk || line.text.hasPrefix("`") {
            handleFence(fenceLine, headerCandidate: headerCandidate)
            return
        }
        let text = line.text
        if text.hasPrefix("diff --git ") {
            closeFile()
            file = FileBuilder(gitHeader: DiffHeaders.gitHeaderPaths(text.dropFirst("diff --git ".count)))
            sawEdit = true
            return
        }
        if file != nil {
            handleFileLine(line)
        } else {
            handleProse(line)
        }
    }

    /// Decides what a held `--- x` line was, now that the next line is known. Returns true when
    /// `next` was consumed as the `+++` half of a file header.
    @discardableResult
    private func resolvePendingMinus(next: Line?) -> Bool {
        guard let minus = pendingMinus else { return false }
        pendingMinus = nil
        if let next, next.text.hasPrefix("+++ ") {
            let inGitHeader = file?.phase == .gitHeader
            if !inGitHeader { closeFile() }
            if file == nil { file = FileBuilder(gitHeader: nil) }
            file!.setOld(DiffHeaders.headerPath(minus.text.dropFirst(4)))
            file!.setNew(DiffHeaders.headerPath(next.text.dropFirst(4)))
            file!.phase = .expectHunks
            sawEdit = true
            return true
        }
        if file?.phase == .inHunk || file?.phase == .expectHunks {
            file!.addBodyLine(minus)
        } else {
            handleProse(minus, mayStartHeader: false)
        }
        return false
    }

    private func handleFence(_ fenceLine: FenceLine, headerCandidate: String?) {
        if fence != nil && fenceLine.info.isEmpty {
            closeFile()
            fence = nil
            return
        }
        // An opening fence (or a new one inside an unclosed block) ends the previous file.
        closeFile()
        fence = OpenFence(backticks: fenceLine.backticks)
        codeBlocks += 1
        let isDiffInfo = ["diff", "patch", "udiff"].contains(fenceLine.info.lowercased())
        if format == .whole && !isDiffInfo {
            if let path = PathHeader.path(inFenceInfo: fenceLine.info) ?? headerCandidate.flatMap(PathHeader.path(inLine:)) {
                whole = WholeBlock(path: path, backticks: fenceLine.backticks)
                fence = nil
                return
            }
            pathlessBlocks += 1
        }
    }

    private func handleWholeBlockLine(_ line: Line) {
        guard var block = whole else { return }
        if block.lines.isEmpty && (line.text.hasPrefix("diff --git ") || line.text.hasPrefix("--- ") || line.text.hasPrefix("@@")) {
            // A diff inside a block headed by a path: the model wrote a diff after all.
            whole = nil
            fence = OpenFence(backticks: block.backticks)
            handle(line)
            return
        }
        if let fenceLine = FenceLine(line.text), fenceLine.info.isEmpty, fenceLine.backticks >= block.backticks {
            whole = nil
            emitWholeBlock(block)
            return
        }
        block.lines.append(line.text + (line.hadCarriageReturn ? "\r" : ""))
        whole = block
    }

    private func emitWholeBlock(_ block: WholeBlock) {
        sawEdit = true
        let path = RepoPath.normalize(block.path)
        if let problem = RepoPath.problem(path) {
            output.append(.rejected(path: path, reason: problem))
            return
        }
        let content = block.lines.isEmpty ? "" : block.lines.joined(separator: "\n") + "\n"
        output.append(.patch(.wholeFile(path, content: content)))
    }

    private func handleFileLine(_ line: Line) {
        let text = line.text
        switch file!.phase {
        case .gitHeader:
            if text.hasPrefix("--- ") {
                pendingMinus = line
            } else if text.hasPrefix("@@") {
                file!.startHunk(text)
            } else if !file!.readExtendedHeader(text) {
                closeFile()
                handleProse(line)
            }
        case .expectHunks, .inHunk, .afterProse:
            if text.hasPrefix("@@") {
                file!.startHunk(text)
            } else if text.hasPrefix("--- ") {
                pendingMinus = line
            } else if file!.phase != .afterProse && FileBuilder.isBodyLine(text) {
                file!.addBodyLine(line)
            } else {
                file!.endHunkAtProse()
                handleProse(line)
            }
        }
    }

    private func handleProse(_ line: Line, mayStartHeader: Bool = true) {
        let text = line.text
        if mayStartHeader && text.hasPrefix("--- ") {
            pendingMinus = line
            return
        }
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty { return }
        if explicitSummary == nil, fence == nil, let summary = ReplyGrammar.statedSummary(in: trimmed) {
            explicitSummary = summary
        } else if firstProseLine == nil && !sawEdit && fence == nil && Summary.isCandidate(trimmed) {
            firstProseLine = ReplyGrammar.cleanSummary(trimmed)
        }
        if text.hasPrefix("@@") && file == nil {
            output.append(.rejected(
                path: nil,
                reason: "found a hunk (\(text)) without a file header; start each file's diff with '--- path' and '+++ path' lines."
            ))
        }
        previousNonEmptyLine = trimmed
    }

    private func closeFile() {
        guard let builder = file else { return }
        file = nil
        output.append(builder.build())
    }
}

import Foundation

/// A line of only backticks (three or more) and an optional info string.
struct FenceLine {
    let backticks: Int
    let info: String

    init?(_ text: String) {
        let trimmed = text.drop(while: { $0 == " " })
        guard text.count - trimmed.count <= 3 else { return nil }
        let ticks = trimmed.prefix(while: { $0 == "`" }).count
        guard ticks >= 3 else { return nil }
        let info = trimmed.dropFirst(ticks).trimmingCharacters(in: .whitespaces)
        guard !info.contains("`") else { return nil }
        backticks = ticks
        self.info = info
    }
}

/// Recognizes the path that heads a whole-file block.
enum PathHeader {
    /// `src/a.swift`, `### src/a.swift`, `**src/a.swift**`, `` `src/a.swift`: ``, `File: src/a.swift`.
    static func path(inLine line: String) -> String? {
        var text = line.trimmingCharacters(in: .whitespaces)
        while let first = text.first, "#*`>-".contains(first) { text.removeFirst() }
        text = text.trimmingCharacters(in: .whitespaces)
        for prefix in ["File:", "file:", "Path:", "path:", "Filename:", "filename:"] where text.hasPrefix(prefix) {
            text = String(text.dropFirst(prefix.count)).trimmingCharacters(in: .whitespaces)
        }
        while let last = text.last, "*`:".contains(last) { text.removeLast() }
        while let first = text.first, "*`".contains(first) { text.removeFirst() }
        return looksLikePath(text) ? text : nil
    }

    /// ```` ```swift src/a.swift ```` or ```` ```src/a.swift ````.
    static func path(inFenceInfo info: String) -> String? {
        let words = info.split(separator: " ").map(String.init)
        guard let last = words.last, words.count <= 2, looksLikePath(last) else { return nil }
        return last
    }

    static func looksLikePath(_ text: String) -> Bool {
        guard !text.isEmpty, !text.contains(" "), !text.contains("://") else { return false }
        guard text.contains("/") || text.contains(".") else { return false }
        guard !text.hasSuffix("."), !text.hasSuffix("/") else { return false }
        return text.unicodeScalars.allSatisfy { $0.value > 0x20 && $0 != "\"" && $0 != "(" && $0 != ")" && $0 != "," }
    }
}

/// The fallback summary: prose that could be one, when no line states it with `Summary:`.
enum Summary {
    /// Prose, not a path header or a stray piece of diff.
    static func isCandidate(_ line: String) -> Bool {
        guard PathHeader.path(inLine: line) == nil, !line.hasPrefix("@@") else { return false }
        guard let first = line.unicodeScalars.first, !"-+\\".unicodeScalars.contains(first) else { return false }
        return line.contains(where: \.isLetter)
    }
}
