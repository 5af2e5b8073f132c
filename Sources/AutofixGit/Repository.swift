import AutofixSupport
internal import CGit2
import Foundation

/// An open repository. Owns the `git_repository*` and frees it when released.
public final class Repository {
    let pointer: OpaquePointer
    /// Opens this repository again, the same way, as a handle of its own.
    private let openAgain: () throws -> Repository

    private init(pointer: OpaquePointer, openAgain: @escaping () throws -> Repository) {
        self.pointer = pointer
        self.openAgain = openAgain
    }

    deinit { git_repository_free(pointer) }

    /// Opens the repository containing `directory`, honouring GIT_DIR and GIT_WORK_TREE the way
    /// git does (hooks run with GIT_DIR set).
    public static func discover(from directory: URL) throws -> Repository {
        try Libgit2.ensureInitialised()
        var handle: OpaquePointer?
        let flags = GIT_REPOSITORY_OPEN_FROM_ENV.rawValue
        guard try checkFound(git_repository_open_ext(&handle, directory.path, flags, nil),
                             "opening the repository at \(directory.path)")
        else {
            throw GitError(
                .notARepository, "\(directory.path) is not inside a git repository",
                hint: "run git autofix from a git checkout (or `git init` one first)")
        }
        return Repository(pointer: handle!, openAgain: { try discover(from: directory) })
    }

    /// Opens exactly the repository at `path` (a work tree or a .git directory), no discovery.
    public static func open(at path: URL) throws -> Repository {
        try Libgit2.ensureInitialised()
        var handle: OpaquePointer?
        try check(git_repository_open(&handle, path.path), "opening the repository at \(path.path)")
        return Repository(pointer: handle!, openAgain: { try open(at: path) })
    }

    /// A second handle on the same repository, with its own object database and index state,
    /// for work that changes how a handle behaves (a private index, objects kept in memory).
    func reopened() throws -> Repository { try openAgain() }

    public var isBare: Bool { git_repository_is_bare(pointer) == 1 }

    /// The work tree's root, or nil in a bare repository.
    public var workingDirectory: URL? {
        guard let path = git_repository_workdir(pointer) else { return nil }
        return URL(fileURLWithPath: String(cString: path), isDirectory: true)
    }

    /// This work tree's git directory (`.git`, or `.git/worktrees/NAME` in a linked worktree).
    public var gitDirectory: URL {
        URL(fileURLWithPath: String(cString: git_repository_path(pointer)), isDirectory: true)
    }

    /// The directory shared by all linked worktrees: where refs, objects and our run records live.
    public var commonDirectory: URL {
        URL(fileURLWithPath: String(cString: git_repository_commondir(pointer)), isDirectory: true)
    }

    /// A name for the repository that stays the same from run to run and is shared by its
    /// worktrees: 16 hex digits of the hash of its common directory's real path.
    public var stableID: String {
        let path = commonDirectory.resolvingSymlinksInPath().standardizedFileURL.path
        return SHA1.digest(Array(path.utf8)).prefix(8).map { String(format: "%02x", $0) }.joined()
    }

    /// The operation in progress, if any (merge, rebase, cherry-pick, bisect, ...).
    public var operationInProgress: String? {
        switch git_repository_state_t(UInt32(git_repository_state(pointer))) {
        case GIT_REPOSITORY_STATE_NONE: return nil
        case GIT_REPOSITORY_STATE_MERGE: return "merge"
        case GIT_REPOSITORY_STATE_REVERT, GIT_REPOSITORY_STATE_REVERT_SEQUENCE: return "revert"
        case GIT_REPOSITORY_STATE_CHERRYPICK, GIT_REPOSITORY_STATE_CHERRYPICK_SEQUENCE: return "cherry-pick"
        case GIT_REPOSITORY_STATE_BISECT: return "bisect"
        case GIT_REPOSITORY_STATE_REBASE, GIT_REPOSITORY_STATE_REBASE_INTERACTIVE,
            GIT_REPOSITORY_STATE_REBASE_MERGE:
            return "rebase"
        case GIT_REPOSITORY_STATE_APPLY_MAILBOX, GIT_REPOSITORY_STATE_APPLY_MAILBOX_OR_REBASE: return "am"
        default: return "another git operation"
        }
    }

    /// Where HEAD points: a branch (possibly unborn) or a detached commit.
    public func head() throws -> Head {
        if try check(git_repository_head_unborn(pointer), "reading HEAD") == 1 {
            var reference: OpaquePointer?
            try check(git_reference_lookup(&reference, pointer, "HEAD"), "reading HEAD")
            defer { git_reference_free(reference) }
            let target = git_reference_symbolic_target(reference).map { String(cString: $0) } ?? "refs/heads/main"
            return Head(branch: Head.shortName(target), commit: nil)
        }
        var reference: OpaquePointer?
        try check(git_repository_head(&reference, pointer), "reading HEAD")
        defer { git_reference_free(reference) }
        var commit: OpaquePointer?
        try check(git_reference_peel(&commit, reference, GIT_OBJECT_COMMIT), "reading the HEAD commit")
        defer { git_object_free(commit) }
        let id = ObjectID(git_object_id(commit)!.pointee)
        if try check(git_repository_head_detached(pointer), "reading HEAD") == 1 {
            return Head(branch: nil, commit: id)
        }
        let name = String(cString: git_reference_name(reference))
        return Head(branch: Head.shortName(name), commit: id)
    }

    // Config reads: only GIT_ENOTFOUND means "not set". Anything else (a config file with a
    // syntax error, a value of the wrong type) is thrown with libgit2's message, which names the
    // file and line, so a broken file never looks like an unset key.

    /// Reads a configuration value the way git does (system, global, repository, worktree); nil
    /// when it is not set.
    public func configString(_ key: String) throws -> String? {
        let config = try configSnapshot()
        defer { git_config_free(config) }
        var value: UnsafePointer<CChar>?
        guard try checkFound(git_config_get_string(&value, config, key), "reading git config \(key)"), let value else {
            return nil
        }
        return String(cString: value)
    }

    /// Every value of a multi-valued configuration key, in order.
    public func configStrings(_ key: String) throws -> [String] {
        let config = try configSnapshot()
        defer { git_config_free(config) }
        var iterator: OpaquePointer?
        guard try checkFound(git_config_multivar_iterator_new(&iterator, config, key, nil), "reading git config \(key)") else {
            return []
        }
        defer { git_config_iterator_free(iterator) }
        var values: [String] = []
        var entry: UnsafeMutablePointer<git_config_entry>?
        while try checkNext(git_config_next(&entry, iterator), "reading git config \(key)"), let current = entry {
            // A key written without `= value` has no value; git reads it as "".
            values.append(current.pointee.value.map { String(cString: $0) } ?? "")
        }
        return values
    }

    /// A boolean configuration value (true/yes/on/1, false/no/off/0, as git reads them); nil when
    /// it is not set. Throws when it is set to something else, as git refuses it too.
    public func configBool(_ key: String) throws -> Bool? {
        let config = try configSnapshot()
        defer { git_config_free(config) }
        var value: Int32 = 0
        guard try checkFound(git_config_get_bool(&value, config, key), "reading git config \(key)") else { return nil }
        return value != 0
    }

    /// How git reads `text` as a boolean, or nil when it is not one (e.g. core.safecrlf's
    /// "warn"): for values that may be a boolean or a word. (A method, not a static, because
    /// libgit2 must be initialised first, which an open repository proves.)
    func parseBool(_ text: String) -> Bool? {
        var value: Int32 = 0
        guard git_config_parse_bool(&value, text) == 0 else {
            // Not a boolean is the answer here, not a failure: drop the message libgit2 left.
            git_error_clear()
            return nil
        }
        return value != 0
    }

    /// The names of the configuration keys matching `pattern` (a regular expression).
    func configKeys(matching pattern: String) throws -> [String] {
        let config = try configSnapshot()
        defer { git_config_free(config) }
        var iterator: OpaquePointer?
        try check(git_config_iterator_glob_new(&iterator, config, pattern), "reading git config")
        defer { git_config_iterator_free(iterator) }
        var names: [String] = []
        var entry: UnsafeMutablePointer<git_config_entry>?
        while try checkNext(git_config_next(&entry, iterator), "reading git config"), let current = entry {
            names.append(String(cString: current.pointee.name))
        }
        return names
    }

    /// A read-only copy of the configuration as it is now; the caller frees it.
    private func configSnapshot() throws -> OpaquePointer? {
        var config: OpaquePointer?
        try check(git_repository_config_snapshot(&config, pointer), "reading git config")
        return config
    }

    /// The identity for commits: user.name/user.email, or a fixed tool identity when unset.
    func signature() throws -> Signature {
        var signature: UnsafeMutablePointer<git_signature>?
        // Not found: user.name or user.email is not set. Anything else (a broken config, a name
        // git would refuse too) is the user's to fix, not to paper over with our identity.
        if try checkFound(git_signature_default(&signature, pointer), "making a commit identity from user.name and user.email"),
           let signature {
            return Signature(owning: signature)
        }
        try check(git_signature_now(&signature, "git-autofix", "git-autofix@localhost"), "making a commit identity")
        return Signature(owning: signature!)
    }
}

/// What HEAD names.
public struct Head: Equatable, Sendable {
    /// The branch's short name, or nil when HEAD is detached.
    public let branch: String?
    /// The commit HEAD points at, or nil on an unborn branch.
    public let commit: ObjectID?

    /// The name used in run refs: the branch, or `detached`.
    public var refComponent: String { branch ?? "detached" }

    static func shortName(_ refName: String) -> String {
        refName.hasPrefix("refs/heads/") ? String(refName.dropFirst("refs/heads/".count)) : refName
    }
}

/// An owned `git_signature*`.
final class Signature {
    let pointer: UnsafeMutablePointer<git_signature>
    init(owning pointer: UnsafeMutablePointer<git_signature>) { self.pointer = pointer }
    deinit { git_signature_free(pointer) }
}
