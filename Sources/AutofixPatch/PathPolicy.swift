import AutofixSupport
import Foundation

/// Decides whether a patch may touch the paths it names, before anything is written. Patches are
/// applied by the tool itself, outside the sandbox, so this is the only guard there.
public struct PathPolicy: Sendable {
    public let root: URL
    public let protectedGlobs: [Glob]
    /// Patterns given as `!glob`: what they match is not protected, whatever else says so.
    public let unprotectedGlobs: [Glob]
    public let allowModeChanges: Bool
    private let resolvedRoot: String

    /// `protectedGlobs` as `protectedGlobs(configured:noTestEdits:)` returns them: a `!glob`
    /// lifts the protection of what it matches.
    public init(root: URL, protectedGlobs: [String] = PathPolicy.defaultProtectedGlobs, allowModeChanges: Bool = false) {
        self.root = root
        let patterns = protectedGlobs.filter { !$0.isEmpty && $0 != "!" }
        self.protectedGlobs = patterns.filter { !$0.hasPrefix("!") }.map(Glob.init)
        unprotectedGlobs = patterns.filter { $0.hasPrefix("!") }.map { Glob(String($0.dropFirst())) }
        self.allowModeChanges = allowModeChanges
        resolvedRoot = Self.realPath(root.path) ?? root.standardizedFileURL.path
    }

    /// Protected unless the user says otherwise: `.gitmodules` decides what git fetches and
    /// runs on `submodule update`, `.gitattributes` which filters and diff drivers git runs on
    /// checkout and diff, so a patch to either reaches beyond the files it changes.
    /// `git config --add autofix.protect '!.gitattributes'` lifts it.
    public static let defaultProtectedGlobs = [".gitmodules", ".gitattributes"]

    /// Where tests usually live, for `--no-test-edits`: the model may then fix code, not tests.
    public static let testFileGlobs: [String] = Ecosystem.allTestFileGlobs

    /// The globs to protect: the defaults, the user's `autofix.protect` values (each may hold
    /// several patterns separated by commas or spaces; `!glob` lifts a protection), plus the
    /// test files when test edits are not allowed.
    public static func protectedGlobs(configured: [String], noTestEdits: Bool) -> [String] {
        var globs = defaultProtectedGlobs
        globs += configured.flatMap { $0.split(whereSeparator: { $0 == "," || $0 == " " }).map(String.init) }
        if noTestEdits { globs += testFileGlobs }
        return globs
    }

    /// Throws `PatchError` (unsafePath, protectedPath, modeChange) when the patch may not be
    /// applied; the error's feedback tells the model what to do instead.
    public func check(_ patch: FilePatch) throws {
        for path in patch.touchedPaths {
            try checkPath(path)
        }
        try checkModes(patch)
    }

    /// Checks one repository-relative path: syntax, protection, and where it really leads.
    public func checkPath(_ path: String) throws {
        if let problem = RepoPath.problem(path) {
            throw PatchError(.unsafePath, path: path, message: "Refused to write \(GitPathRules.visible(path)): \(problem).",
                             feedback: "Not applied: \(problem).")
        }
        if let glob = protectingGlob(path) {
            let isDefault = PathPolicy.defaultProtectedGlobs.contains(glob.pattern)
            throw PatchError(
                .protectedPath, path: path,
                message: "Refused to change \(path): it matches the protected pattern '\(glob.pattern)'"
                    + (isDefault ? ", protected by default because it changes what git runs and how it filters files." : "."),
                feedback: "Not applied: \(path) is protected (pattern '\(glob.pattern)') and must not be changed. Fix the problem in other files.",
                hint: isDefault
                    ? "to let the model change it: git config --add autofix.protect '!\(glob.pattern)'"
                    : "remove the pattern from `git config autofix.protect` to allow it")
        }
        try checkResolution(path)
    }

    /// The glob that protects `path`, or nil. Another spelling of a special dot file
    /// (`GITMOD~1`, `.gitattributes.`) counts as that file, for protecting and for lifting.
    private func protectingGlob(_ path: String) -> Glob? {
        let canonical = GitPathRules.canonical(path)
        let spellings = canonical == path ? [path] : [path, canonical]
        if unprotectedGlobs.contains(where: { glob in spellings.contains(where: glob.matches) }) { return nil }
        return protectedGlobs.first { glob in spellings.contains(where: glob.matches) }
    }

    /// Every existing component must be a directory or file that stays inside the checkout;
    /// the file itself must not be a symbolic link (writing would replace or follow it).
    private func checkResolution(_ path: String) throws {
        let components = path.split(separator: "/").map(String.init)
        var current = resolvedRoot
        for (index, component) in components.enumerated() {
            let next = current + "/" + component
            var info = stat()
            guard lstat(next, &info) == 0 else { return }
            let isLast = index == components.count - 1
            if info.st_mode & S_IFMT == S_IFLNK {
                let prefix = components[...index].joined(separator: "/")
                guard let target = Self.realPath(next), target == resolvedRoot || target.hasPrefix(resolvedRoot + "/") else {
                    throw PatchError(
                        .unsafePath, path: path,
                        message: "Refused to write \(path): \(prefix) is a symbolic link that leads outside the checkout.",
                        feedback: "Not applied: \(prefix) is a symbolic link to a place outside the repository; only files inside the repository can be changed.")
                }
                if isLast {
                    throw PatchError(
                        .unsafePath, path: path,
                        message: "Refused to write \(path): it is a symbolic link.",
                        feedback: "Not applied: \(path) is a symbolic link; change the file it points to instead.")
                }
                current = target
                continue
            }
            if !isLast && info.st_mode & S_IFMT != S_IFDIR {
                throw PatchError(
                    .unsafePath, path: path,
                    message: "Refused to write \(path): \(components[...index].joined(separator: "/")) is not a directory.",
                    feedback: "Not applied: \(components[...index].joined(separator: "/")) is a file, so \(path) cannot exist.")
            }
            current = next
        }
    }

    private func checkModes(_ patch: FilePatch) throws {
        let path = patch.newPath ?? patch.oldPath ?? "?"
        for mode in [patch.oldMode, patch.newMode].compactMap({ $0 }) where mode == "120000" || mode == "160000" {
            let what = mode == "120000" ? "symbolic links" : "submodules"
            throw PatchError(
                .modeChange, path: path,
                message: "Refused to apply the patch for \(path): it changes \(what).",
                feedback: "Not applied: patches may not create or change \(what); edit regular files only.")
        }
        guard patch.changesMode, !allowModeChanges else { return }
        let change = patch.kind == .create
            ? "creates it with mode \(patch.newMode ?? "?")"
            : "changes its mode from \(patch.oldMode ?? "?") to \(patch.newMode ?? "?")"
        throw PatchError(
            .modeChange, path: path,
            message: "Refused to apply the patch for \(path): it \(change).",
            feedback: "Not applied: the patch for \(path) \(change); file modes may not be changed. Send the diff without 'old mode'/'new mode' lines.",
            hint: "allow mode changes explicitly if this is intended")
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
