import AutofixSupport
import Foundation

/// Why a hook command could not do what it was asked, with what to do instead.
public enum HookError: AutofixError {
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

    public var category: ExitCategory {
        if case .notARepository = self { return .git }
        return .usage
    }

    public var message: String {
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

    public var hint: String? {
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
            return "fix or delete the marker lines (`\(HookBlock.beginMarker)` ... `\(HookBlock.endMarker)`) and run the command again"
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
