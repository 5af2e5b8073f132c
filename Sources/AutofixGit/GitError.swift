import AutofixSupport
internal import CGit2

/// A failure in repository work. libgit2 failures copy `git_error_last()` the moment the call
/// returns, before any other libgit2 call can overwrite it.
public struct GitError: AutofixError, Equatable {
    /// What kind of failure, so callers match on it instead of parsing text.
    public enum Code: Equatable, Sendable {
        case notFound
        case exists
        case ambiguous
        case locked
        case modified
        case conflict
        case unbornBranch
        case bareRepository
        case notARepository
        case repositoryBusy
        case unsupportedFilter
        case unresolvedConflicts
        case dirtyWorkingTree
        case invalid
        case other
    }

    public let code: Code
    /// libgit2's error code (`git_error_code`) when the failure came from libgit2, else 0.
    public let libgit2Code: Int32
    /// libgit2's error class (`git_error_t`) when the failure came from libgit2, else 0.
    public let libgit2Class: Int32
    public let message: String
    public let hint: String?
    /// `.git` for failures of git itself; `.usage` when the command refused what it was asked
    /// (a dirty tree, a run that does not exist), which the user fixes, not git.
    public let category: ExitCategory

    public init(_ code: Code, _ message: String, hint: String? = nil) {
        self.init(code, message, hint: hint, category: .git)
    }

    /// A refusal: the repository is fine, but it is not in a state (or has no run) that lets the
    /// command do what it was asked.
    public static func refusal(_ code: Code, _ message: String, hint: String? = nil) -> GitError {
        GitError(code, message, hint: hint, category: .usage)
    }

    private init(_ code: Code, _ message: String, hint: String?, category: ExitCategory) {
        self.code = code
        self.message = message
        self.hint = hint
        self.category = category
        self.libgit2Code = 0
        self.libgit2Class = 0
    }

    /// Copies libgit2's last error for a call that returned `result` while doing `operation`,
    /// then clears it, so a later failure that sets no message of its own never reports this one.
    init(libgit2 result: Int32, operation: String) {
        var detail = "unknown error"
        var errorClass: Int32 = 0
        if let last = git_error_last() {
            if let text = last.pointee.message { detail = String(cString: text) }
            errorClass = last.pointee.klass
        }
        git_error_clear()
        libgit2Code = result
        libgit2Class = errorClass
        code = GitError.code(for: result)
        message = "\(operation): \(detail.trimmingCharacters(in: .whitespacesAndNewlines))"
        hint = GitError.hint(for: code)
        category = .git
    }

    private static func code(for result: Int32) -> Code {
        switch git_error_code(rawValue: result) {
        case GIT_ENOTFOUND: return .notFound
        case GIT_EEXISTS: return .exists
        case GIT_EAMBIGUOUS: return .ambiguous
        case GIT_ELOCKED: return .locked
        case GIT_EMODIFIED: return .modified
        case GIT_ECONFLICT, GIT_EMERGECONFLICT: return .conflict
        case GIT_EUNBORNBRANCH: return .unbornBranch
        case GIT_EBAREREPO: return .bareRepository
        case GIT_EINVALIDSPEC, GIT_EINVALID: return .invalid
        case GIT_EUNMERGED: return .unresolvedConflicts
        default: return .other
        }
    }

    private static func hint(for code: Code) -> String? {
        switch code {
        case .locked:
            return "another git process holds a lock; wait for it to finish (or remove a stale lock file it left behind)"
        case .modified:
            return "the ref changed while git autofix was updating it; run the command again"
        case .unresolvedConflicts:
            return "resolve the conflicts and `git add` the files first"
        default:
            return nil
        }
    }
}

// Every libgit2 return code goes through one of these three, as every FFI call in git2-rs goes
// through `call::c_try`: a failure becomes a `GitError` at once, and a code that is an answer
// rather than a failure (not found, end of iteration) has its error cleared, not left behind.

/// Turns a libgit2 return code into a thrown `GitError`; passes non-negative results through.
@discardableResult
func check(_ result: Int32, _ operation: @autoclosure () -> String) throws -> Int32 {
    if result < 0 { throw GitError(libgit2: result, operation: operation()) }
    return result
}

/// For calls where GIT_ENOTFOUND means "there is none": false then, true on success, and a
/// thrown `GitError` for any other failure.
func checkFound(_ result: Int32, _ operation: @autoclosure () -> String) throws -> Bool {
    if result == GIT_ENOTFOUND.rawValue {
        git_error_clear()
        return false
    }
    try check(result, operation())
    return true
}

/// For an iterator's `next`: true for an item, false at the end (GIT_ITEROVER), and a thrown
/// `GitError` for any other failure, which would otherwise look like the end.
func checkNext(_ result: Int32, _ operation: @autoclosure () -> String) throws -> Bool {
    if result == GIT_ITEROVER.rawValue {
        git_error_clear()
        return false
    }
    try check(result, operation())
    return true
}
