import ArgumentParser
import AutofixCore
import Foundation

struct HookCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hook",
        abstract: "Install, remove or inspect the pre-push hook that runs your tests before each push.",
        discussion: """
            The hook runs autofix.testCommand on every commit being pushed (in your working \
            tree when it is clean at that commit, else in a throwaway worktree), and blocks the push while the tests fail (autofix.prePush: block, warn or \
            fix). It is added between marker lines, so a pre-push hook you already have is kept.
            """,
        subcommands: [HookInstallCommand.self, HookUninstallCommand.self, HookStatusCommand.self, HookSummaryCommand.self]
    )
}

/// Used by the hook script: reads a test command's output on standard input and prints which
/// tests failed and why, with the parsers a repair uses.
struct HookSummaryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "summarize",
        abstract: "Print the failing tests found in test output read from standard input.",
        shouldDisplay: false
    )

    @Option(help: "The test command's exit status.")
    var exitCode: Int32

    @Option(help: ArgumentHelp("Where the tests ran, to show paths relative to it.", valueName: "path"))
    var root: String?

    @Option(help: "About how many tokens (four characters each) the summary may use.")
    var budget = 300

    func run() throws {
        let output = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
        let root = root.map { URL(fileURLWithPath: $0, isDirectory: true) }
        let report = TestReportParser.parse(output: output, exitCode: exitCode, repositoryRoot: root)
        let digest = FailureDigest.make(report: report, output: output, repositoryRoot: root, tokenBudget: budget)
        let text = digest.text.terminalSafe
        Terminal.current.write(text.hasSuffix("\n") ? text : text + "\n")
    }
}

struct HookInstallCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "install",
        abstract: "Add the pre-push hook (respects core.hooksPath; keeps an existing hook's code).",
        discussion: """
            Writes a block between `# >>> git-autofix >>>` and `# <<< git-autofix <<<` right \
            after the first line of the pre-push hook, creating the file when there is none. \
            Running it again updates the block in place.
            """
    )

    @Option(help: ArgumentHelp(
        "The hook script the block calls (default: share/git-autofix/hooks/pre-push next to this program).",
        valueName: "path"))
    var script: String?

    func run() throws {
        try reportingErrors {
            let location = try HooksLocation.current()
            let scriptURL = try script.map { try HookScript.validated(URL(fileURLWithPath: $0)) } ?? HookScript.installed()
            let hook = PrePushHook(location: location)
            let directoryWasMissing = !location.exists
            let outcome = try hook.install(calling: scriptURL)
            let terminal = Terminal.current
            if directoryWasMissing {
                let source = location.fromHooksPath ? " named by core.hooksPath" : ""
                terminal.out("Created the hooks directory \(location.directory.path)\(source), which did not exist; git runs hooks from it from now on.")
            }
            switch outcome {
            case .created: terminal.out("Created \(hook.file.path) with the git-autofix pre-push hook.")
            case .added: terminal.out("Added the git-autofix block to your existing \(hook.file.path); your code is kept below it.")
            case .updated: terminal.out("Updated the git-autofix block in \(hook.file.path).")
            case .unchanged: terminal.out("The git-autofix pre-push hook is already installed in \(hook.file.path).")
            }
            terminal.out("  it runs: \(scriptURL.path)")
            HookSettingsText.print(location, to: terminal)
            if location.isInsideWorkTree {
                terminal.out("note: this hook is inside your work tree (core.hooksPath); commit it if your team shares it.")
            }
        }
    }
}

struct HookUninstallCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "uninstall",
        abstract: "Remove exactly the git-autofix block from the pre-push hook.",
        discussion: "Everything outside the marker lines stays as it is; a hook file that only held the block is deleted."
    )

    func run() throws {
        try reportingErrors {
            let hook = PrePushHook(location: try HooksLocation.current())
            let terminal = Terminal.current
            switch try hook.uninstall() {
            case .notInstalled: terminal.out("The git-autofix pre-push hook is not installed in \(hook.file.path); nothing to do.")
            case .removedBlock: terminal.out("Removed the git-autofix block from \(hook.file.path); the rest of the hook is unchanged.")
            case .removedFile: terminal.out("Removed \(hook.file.path) (it only held the git-autofix block).")
            }
        }
    }
}

struct HookStatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Say whether the pre-push hook is installed, where, and with which settings."
    )

    func run() throws {
        try reportingErrors {
            let location = try HooksLocation.current()
            let status = try PrePushHook(location: location).status()
            let terminal = Terminal.current
            let source = location.fromHooksPath ? " (core.hooksPath)" : ""
            terminal.out("hook file: \(status.file.path)\(source)")
            if !location.exists {
                terminal.out("note:      the hooks directory \(location.directory.path) does not exist; `git autofix hook install` creates it")
            }
            terminal.out("state:     \(status.summary)")
            if let script = status.script {
                terminal.out("runs:      \(script.path)\(status.scriptExists ? "" : " (missing)")")
            }
            HookSettingsText.print(location, to: terminal)
            if let advice = status.advice { terminal.out("hint: \(advice)") }
        }
    }
}

/// The two settings the hook reads, shown after install and in status.
enum HookSettingsText {
    static func print(_ location: HooksLocation, to terminal: Terminal) {
        if let command = GitQuery.config("autofix.testCommand", in: location), !command.isEmpty {
            terminal.out("  test command: \(command.terminalSafeLine)  (autofix.testCommand)")
        } else if let root = location.workTree, let detected = TestCommandDetector().detect(in: root) {
            terminal.out("  test command: not set, so the hook tests nothing. Found \(detected.reason); to test with it, run:")
            terminal.out("                git config autofix.testCommand \(ShellWord.quoted(detected.command))")
        } else {
            terminal.out("  test command: not set; the hook tests nothing until you run: git config autofix.testCommand '<command>'")
        }
        let mode = GitQuery.config("autofix.prePush", in: location) ?? "block"
        terminal.out("  on failure:   \(mode)  (autofix.prePush: block, warn or fix)")
    }
}

// MARK: - Where the hook lives

/// The directory git runs hooks from, as git itself resolves it (`git rev-parse --git-path
/// hooks`): core.hooksPath when set, else the `hooks` directory shared by all linked worktrees.
/// Asked of the git CLI rather than libgit2 so it works in every repository git can push from,
/// SHA-256 ones included.
struct HooksLocation {
    let directory: URL
    let fromHooksPath: Bool
    /// The work tree's top, or nil in a bare repository.
    let workTree: URL?
    let commonDirectory: URL

    static func discover(from start: URL) throws -> HooksLocation {
        let top = GitQuery.run(["rev-parse", "--show-toplevel"], in: start).map { URL(fileURLWithPath: $0, isDirectory: true) }
        // Relative hook paths are resolved from where hooks run: the top of the work tree.
        let base = top ?? start
        guard let common = GitQuery.run(["rev-parse", "--path-format=absolute", "--git-common-dir"], in: base) else {
            throw HookError.notARepository(start.path)
        }
        let configured = GitQuery.run(["config", "--get", "core.hooksPath"], in: base).flatMap { $0.isEmpty ? nil : $0 }
        // git cannot resolve a hooks path below a file; the same place, resolved by hand, names the file.
        let hooks = GitQuery.run(["rev-parse", "--path-format=absolute", "--git-path", "hooks"], in: base)
            ?? configured.map { path in
                let expanded = (path as NSString).expandingTildeInPath
                return expanded.hasPrefix("/") ? expanded : base.appendingPathComponent(expanded).path
            }
        guard let hooks else { throw HookError.notARepository(start.path) }
        let directory = URL(fileURLWithPath: hooks, isDirectory: true)
        if let blocking = firstNonDirectory(on: directory) {
            throw HookError.hooksPathNotADirectory(hooks: directory.path, blocking: blocking.path, hooksPath: configured)
        }
        return HooksLocation(
            directory: directory, fromHooksPath: configured != nil,
            workTree: top, commonDirectory: URL(fileURLWithPath: common, isDirectory: true))
    }

    /// The first existing path from `directory` upwards that is not a directory: what keeps git
    /// from running hooks there, and `install` from making it.
    private static func firstNonDirectory(on directory: URL) -> URL? {
        var candidate = directory.standardizedFileURL
        while candidate.path != "/" {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDirectory) {
                return isDirectory.boolValue ? nil : candidate
            }
            candidate = candidate.deletingLastPathComponent()
        }
        return nil
    }

    /// Whether the hooks directory is there yet. Git runs hooks from it as soon as it is, so
    /// `install` makes a missing one, and says so, as a mistyped core.hooksPath shows up that way.
    var exists: Bool { FileManager.default.fileExists(atPath: directory.path) }

    static func current() throws -> HooksLocation {
        try discover(from: URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true))
    }

    /// Where git reads settings for this repository.
    var configDirectory: URL { workTree ?? commonDirectory }

    /// A hooks directory that is part of the work tree (a tracked `.githooks`, say).
    var isInsideWorkTree: Bool {
        guard fromHooksPath, let workTree else { return false }
        let root = workTree.standardizedFileURL.path
        let path = directory.standardizedFileURL.path
        return path.hasPrefix(root + "/") && !path.hasPrefix(commonDirectory.standardizedFileURL.path + "/")
    }
}

/// Runs the git CLI for one answer: trimmed standard output, or nil when git fails.
enum GitQuery {
    static func run(_ arguments: [String], in directory: URL) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git"] + arguments
        process.currentDirectoryURL = directory
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func config(_ key: String, in location: HooksLocation) -> String? {
        run(["config", "--get", key], in: location.configDirectory)
    }
}

/// Finds the shell script the hook block calls.
enum HookScript {
    static let relativeInstallPath = "share/git-autofix/hooks/pre-push"

    /// The script installed with this program (`<prefix>/share/git-autofix/hooks/pre-push` for
    /// `<prefix>/bin/git-autofix`), or the source tree's `hooks/pre-push` for a development build.
    static func installed() throws -> URL {
        let executable = (Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])).resolvingSymlinksInPath()
        var searched: [String] = []
        var directory = executable.deletingLastPathComponent()
        for _ in 0..<5 {
            let parent = directory.deletingLastPathComponent()
            let installed = parent.appendingPathComponent(relativeInstallPath)
            searched.append(installed.path)
            if FileManager.default.isExecutableFile(atPath: installed.path) { return installed }
            let source = directory.appendingPathComponent("hooks/pre-push")
            if FileManager.default.fileExists(atPath: directory.appendingPathComponent("Package.swift").path),
               FileManager.default.isExecutableFile(atPath: source.path) {
                return source
            }
            directory = parent
        }
        throw HookError.scriptNotFound(searched: Array(searched.prefix(2)))
    }

    static func validated(_ url: URL) throws -> URL {
        let absolute = url.standardizedFileURL
        guard FileManager.default.isExecutableFile(atPath: absolute.path) else {
            throw HookError.scriptNotExecutable(absolute.path)
        }
        return absolute
    }
}

// MARK: - The hook file

/// The pre-push hook file and the git-autofix block inside it.
struct PrePushHook {
    static let beginMarker = "# >>> git-autofix >>>"
    static let endMarker = "# <<< git-autofix <<<"
    static let scriptVariable = "git_autofix_hook="
    static let newFileHeader = "#!/bin/sh\n"

    enum InstallOutcome: Equatable { case created, added, updated, unchanged }
    enum UninstallOutcome: Equatable { case notInstalled, removedBlock, removedFile }

    let location: HooksLocation
    var file: URL { location.directory.appendingPathComponent("pre-push") }

    struct Status {
        let file: URL
        let exists: Bool
        let executable: Bool
        let installed: Bool
        let script: URL?
        let scriptExists: Bool

        /// Whether pushes are tested right now.
        var active: Bool { installed && executable && scriptExists }

        var summary: String {
            if !exists { return "not installed (no pre-push hook)" }
            if !installed { return "not installed (the pre-push hook has no git-autofix block)" }
            if !executable { return "installed but inactive: the hook file is not executable" }
            if !scriptExists { return "installed but broken: the script it calls is missing" }
            return "installed"
        }

        var advice: String? {
            if !installed { return "run `git autofix hook install`" }
            if !executable { return "run `chmod +x \(file.path)`" }
            if !scriptExists { return "run `git autofix hook install` again to point it at the current script" }
            return nil
        }
    }

    func status() throws -> Status {
        let manager = FileManager.default
        guard let text = try existingText() else {
            return Status(file: file, exists: false, executable: false, installed: false, script: nil, scriptExists: false)
        }
        let block = try Self.blockRange(in: text, file: file)
        let script = block.flatMap { Self.scriptPath(in: String(text[$0])) }.map { URL(fileURLWithPath: $0) }
        return Status(
            file: file, exists: true, executable: manager.isExecutableFile(atPath: file.path), installed: block != nil,
            script: script, scriptExists: script.map { manager.isExecutableFile(atPath: $0.path) } ?? false)
    }

    func install(calling script: URL) throws -> InstallOutcome {
        let block = Self.block(calling: script.path)
        guard let text = try existingText() else {
            do {
                try FileManager.default.createDirectory(at: location.directory, withIntermediateDirectories: true)
            } catch {
                throw HookError.unwritableHook(location.directory.path, reason: error.localizedDescription)
            }
            try write(Self.newFileHeader + block, mode: 0o755)
            return .created
        }
        guard FileManager.default.isExecutableFile(atPath: file.path) else { throw HookError.hookNotExecutable(file.path) }
        if let range = try Self.blockRange(in: text, file: file) {
            if text[range] == block { return .unchanged }
            try write(text.replacingCharacters(in: range, with: block), mode: try mode())
            return .updated
        }
        try Self.requireShell(text, file: file)
        // Right after the first line, so the user's own `exit` cannot skip the tests and the
        // user's code still reads git's input after ours.
        let insertAt: String.Index
        if text.hasPrefix("#!") {
            insertAt = text.firstIndex(of: "\n").map { text.index(after: $0) } ?? text.endIndex
        } else {
            insertAt = text.startIndex
        }
        var updated = text
        if insertAt == text.endIndex && !text.hasSuffix("\n") && !text.isEmpty { updated += "\n" }
        updated.insert(contentsOf: block, at: insertAt == text.endIndex ? updated.endIndex : insertAt)
        try write(updated, mode: try mode())
        return .added
    }

    func uninstall() throws -> UninstallOutcome {
        guard let text = try existingText(), let range = try Self.blockRange(in: text, file: file) else {
            return .notInstalled
        }
        var remaining = text
        remaining.removeSubrange(range)
        if remaining == Self.newFileHeader {
            try FileManager.default.removeItem(at: file)
            return .removedFile
        }
        try write(remaining, mode: try mode())
        return .removedBlock
    }

    // MARK: Text

    /// The block, quoted for sh: it saves git's input, runs the script on it, and hands the same
    /// input to the rest of the hook.
    static func block(calling script: String) -> String {
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

    /// The range of the whole block including both marker lines and the final newline, or nil.
    static func blockRange(in text: String, file: URL) throws -> Range<String.Index>? {
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

    static func scriptPath(in block: String) -> String? {
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

    // MARK: File access

    private func existingText() throws -> String? {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        if let target = try? manager.destinationOfSymbolicLink(atPath: file.path) {
            throw HookError.hookIsSymlink(file.path, target: target)
        }
        guard manager.fileExists(atPath: file.path, isDirectory: &isDirectory) else { return nil }
        guard !isDirectory.boolValue else { throw HookError.unreadableHook(file.path, reason: "it is a directory") }
        do {
            return try String(contentsOf: file, encoding: .utf8)
        } catch {
            throw HookError.unreadableHook(file.path, reason: "it could not be read as UTF-8 text")
        }
    }

    private func mode() throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: file.path)
        return (attributes[.posixPermissions] as? NSNumber)?.intValue ?? 0o755
    }

    /// Writes through a temporary file and a rename, so a push never sees a half-written hook.
    private func write(_ text: String, mode: Int) throws {
        let temporary = location.directory.appendingPathComponent(".pre-push.git-autofix-\(getpid())")
        do {
            try Data(text.utf8).write(to: temporary)
            try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: temporary.path)
            guard rename(temporary.path, file.path) == 0 else {
                throw HookError.unwritableHook(file.path, reason: String(cString: strerror(errno)))
            }
        } catch let error as HookError {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw HookError.unwritableHook(file.path, reason: error.localizedDescription)
        }
    }
}

enum HookError: AutofixError {
    case notARepository(String)
    case scriptNotFound(searched: [String])
    case scriptNotExecutable(String)
    case hookNotExecutable(String)
    case hookIsSymlink(String, target: String)
    case notAShellHook(String, interpreter: String)
    case brokenBlock(String, line: Int)
    case unreadableHook(String, reason: String)
    case unwritableHook(String, reason: String)
    /// The hooks directory, or a directory above it, is a file (core.hooksPath set to one, say).
    case hooksPathNotADirectory(hooks: String, blocking: String, hooksPath: String?)

    var category: ExitCategory {
        if case .notARepository = self { return .git }
        return .usage
    }

    var message: String {
        switch self {
        case .notARepository(let path):
            return "\(path) is not inside a git repository"
        case .scriptNotFound(let searched):
            return "cannot find the pre-push hook script (looked for \(searched.joined(separator: " and ")))"
        case .scriptNotExecutable(let path):
            return "\(path) is not an executable hook script"
        case .hookNotExecutable(let path):
            return "\(path) exists but is not executable, so git ignores it; adding to it would switch its code on"
        case .hookIsSymlink(let path, let target):
            return "\(path) is a symbolic link to \(target), which another tool may manage"
        case .notAShellHook(let path, let interpreter):
            return "\(path) is a \(interpreter.isEmpty ? "non-shell" : interpreter) script, and the git-autofix block is shell code"
        case .brokenBlock(let path, let line):
            return "\(path) has a git-autofix marker on line \(line) without its matching begin or end line"
        case .unreadableHook(let path, let reason):
            return "cannot use \(path): \(reason)"
        case .hooksPathNotADirectory(let hooks, let blocking, let hooksPath):
            let setting = hooksPath.map { "core.hooksPath is `\($0)`: " } ?? ""
            let place = blocking == hooks ? "" : " (git looks for hooks in \(hooks), below it)"
            return "\(setting)\(blocking) is a file, not a directory\(place), so git runs no hooks from there and the hook cannot be installed"
        case .unwritableHook(let path, let reason):
            return "cannot write \(path): \(reason)"
        }
    }

    var hint: String? {
        switch self {
        case .notARepository:
            return "run git autofix hook from a git checkout (or `git init` one first)"
        case .scriptNotFound:
            return "install with `make install`, or pass --script PATH to the hooks/pre-push script"
        case .scriptNotExecutable(let path):
            return "pass the path of git-autofix's hooks/pre-push, or run `chmod +x \(path)`"
        case .hookNotExecutable(let path):
            return "make it executable (`chmod +x \(path)`) or move it away, then run `git autofix hook install` again"
        case .hookIsSymlink, .notAShellHook:
            return "call the hook script from your hook yourself: feed it the push's standard input and arguments (see `git autofix hook install --help` and git-autofix(1))"
        case .brokenBlock:
            return "fix or delete the marker lines (`\(PrePushHook.beginMarker)` ... `\(PrePushHook.endMarker)`) and run the command again"
        case .unreadableHook, .unwritableHook:
            return "check the file's permissions, or set core.hooksPath to a directory you own"
        case .hooksPathNotADirectory(_, let blocking, let hooksPath):
            if hooksPath != nil {
                return "point core.hooksPath at a directory (`git config core.hooksPath .githooks`), or unset it to use the repository's own hooks directory (`git config --unset core.hooksPath`)"
            }
            return "move \(blocking) out of the way, then run the command again"
        }
    }
}
