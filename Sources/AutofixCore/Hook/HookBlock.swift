import Foundation

/// The git-autofix block in a pre-push hook's text: the lines between our two markers. Only the
/// block is ever added, replaced or removed; every byte of the user's own hook around it stays.
public enum HookBlock {
    public static let beginMarker = "# >>> git-autofix >>>"
    public static let endMarker = "# <<< git-autofix <<<"
    static let scriptVariable = "git_autofix_hook="
    /// The first line of a hook file that only the block makes.
    public static let newFileHeader = "#!/bin/sh\n"

    public enum InstallOutcome: Equatable { case created, added, updated, unchanged }
    public enum UninstallOutcome: Equatable { case notInstalled, removedBlock, removedFile }

    /// The block, quoted for sh: it saves git's input, runs the script on it, and hands the same
    /// input to the rest of the hook.
    public static func text(calling script: String) -> String {
        let quoted = "'" + script.replacingOccurrences(of: "'", with: "'\\''") + "'"
        return """
            \(beginMarker)
            # Tests each pushed commit (git autofix hook status); `git autofix hook uninstall` removes this block.
            \(scriptVariable)\(quoted)
            git_autofix_refs=$(mktemp "${TMPDIR:-/tmp}/git-autofix-refs.XXXXXX") || exit 1
            cat >"$git_autofix_refs"
            if [ -x "$git_autofix_hook" ]; then
                "$git_autofix_hook" "$@" <"$git_autofix_refs" || { git_autofix_status=$?; rm -f "$git_autofix_refs"; exit "$git_autofix_status"; }
            else
                echo "git-autofix: $git_autofix_hook is missing, so this push was not tested; run: git autofix hook install" >&2
            fi
            exec <"$git_autofix_refs"
            rm -f "$git_autofix_refs"
            unset git_autofix_hook git_autofix_refs git_autofix_status
            \(endMarker)

            """
    }

    /// `hook` (nil: there is no hook file) with the block calling `script` in it: a new file,
    /// the block added right after the first line, or the old block replaced in place.
    public static func installing(calling script: String, into hook: String?, file: URL) throws -> (text: String, outcome: InstallOutcome) {
        let block = text(calling: script)
        guard let hook else { return (newFileHeader + block, .created) }
        if let range = try range(in: hook, file: file) {
            if hook[range] == block { return (hook, .unchanged) }
            return (hook.replacingCharacters(in: range, with: block), .updated)
        }
        try requireShell(hook, file: file)
        // Right after the first line, so the user's own `exit` cannot skip the tests and the
        // user's code still reads git's input after ours.
        let insertAt: String.Index
        if hook.hasPrefix("#!") {
            insertAt = hook.firstIndex(of: "\n").map { hook.index(after: $0) } ?? hook.endIndex
        } else {
            insertAt = hook.startIndex
        }
        var updated = hook
        if insertAt == hook.endIndex && !hook.hasSuffix("\n") && !hook.isEmpty { updated += "\n" }
        updated.insert(contentsOf: block, at: insertAt == hook.endIndex ? updated.endIndex : insertAt)
        return (updated, .added)
    }

    /// `hook` without the block; nil text when the block was all the file held.
    public static func removing(from hook: String, file: URL) throws -> (text: String?, outcome: UninstallOutcome) {
        guard let range = try range(in: hook, file: file) else { return (hook, .notInstalled) }
        var remaining = hook
        remaining.removeSubrange(range)
        if remaining == newFileHeader { return (nil, .removedFile) }
        return (remaining, .removedBlock)
    }

    /// The range of the whole block including both marker lines and the final newline, or nil.
    public static func range(in text: String, file: URL) throws -> Range<String.Index>? {
        var lineStart = text.startIndex
        var begin: (index: String.Index, line: Int)?
        var lineNumber = 0
        while lineStart < text.endIndex {
            lineNumber += 1
            let newline = text[lineStart...].firstIndex(of: "\n")
            let lineEnd = newline.map { text.index(after: $0) } ?? text.endIndex
            let line = text[lineStart..<(newline ?? text.endIndex)]
            if line == beginMarker {
                if let begin { throw HookError.brokenBlock(file.path, line: begin.line) }
                begin = (lineStart, lineNumber)
            } else if line == endMarker {
                guard let begin else { throw HookError.brokenBlock(file.path, line: lineNumber) }
                return begin.index..<lineEnd
            }
            lineStart = lineEnd
        }
        if let begin { throw HookError.brokenBlock(file.path, line: begin.line) }
        return nil
    }

    /// The script a block calls, or nil when the block does not say.
    public static func scriptPath(in block: String) -> String? {
        guard let line = block.split(separator: "\n").first(where: { $0.hasPrefix(scriptVariable) }) else { return nil }
        var value = String(line.dropFirst(scriptVariable.count))
        guard value.hasPrefix("'"), value.hasSuffix("'"), value.count >= 2 else { return nil }
        value = String(value.dropFirst().dropLast())
        return value.replacingOccurrences(of: "'\\''", with: "'")
    }

    /// The block is shell code: refuse hooks written in another language instead of breaking them.
    static func requireShell(_ text: String, file: URL) throws {
        guard text.hasPrefix("#!") else { return }
        let firstLine = text.prefix { $0 != "\n" }.dropFirst(2)
        var words = firstLine.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard !words.isEmpty else { return }
        if (words[0] as NSString).lastPathComponent == "env" {
            words.removeFirst()
            words.removeAll { $0.hasPrefix("-") }
        }
        let interpreter = words.first.map { ($0 as NSString).lastPathComponent } ?? ""
        let shells: Set<String> = ["sh", "bash", "dash", "zsh", "ksh", "mksh", "ash", "yash", "posh"]
        guard shells.contains(interpreter) else {
            throw HookError.notAShellHook(file.path, interpreter: interpreter)
        }
    }
}
