import Foundation

/// The directory git runs hooks from, resolved as git resolves `git rev-parse --git-path hooks`.
public enum HooksDirectory {
    /// core.hooksPath when set (`~` expanded; a relative path from where hooks run: the top of the
    /// work tree, or the git directory of a bare repository), else the `hooks` directory shared
    /// by all linked worktrees.
    public static func resolve(hooksPath: String?, workTree: URL?, gitDirectory: URL, commonDirectory: URL) -> URL {
        guard let hooksPath, !hooksPath.isEmpty else {
            return commonDirectory.appendingPathComponent("hooks", isDirectory: true)
        }
        let expanded = (hooksPath as NSString).expandingTildeInPath
        if expanded.hasPrefix("/") { return URL(fileURLWithPath: expanded, isDirectory: true) }
        return (workTree ?? gitDirectory).appendingPathComponent(expanded, isDirectory: true)
    }
}

/// Where the pre-push hook lives for one repository, and that repository.
public struct HooksLocation {
    public let directory: URL
    /// core.hooksPath, when it is set.
    public let hooksPath: String?
    public let repository: HookRepository

    public var fromHooksPath: Bool { hooksPath != nil }
    /// The work tree's top, or nil in a bare repository.
    public var workTree: URL? { repository.workTree }
    public var commonDirectory: URL { repository.commonDirectory }

    public static func discover(from start: URL) throws -> HooksLocation {
        try HooksLocation(repository: HookRepositories.discover(from: start))
    }

    public static func current() throws -> HooksLocation {
        try discover(from: URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true))
    }

    public init(repository: HookRepository) throws {
        let configured = try repository.config(ConfigKey.hooksPath).flatMap { $0.isEmpty ? nil : $0 }
        let directory = HooksDirectory.resolve(
            hooksPath: configured, workTree: repository.workTree,
            gitDirectory: repository.gitDirectory, commonDirectory: repository.commonDirectory)
        if let blocking = Self.firstNonDirectory(on: directory) {
            throw HookError.hooksPathNotADirectory(hooks: directory.path, blocking: blocking.path, hooksPath: configured)
        }
        self.directory = directory
        self.hooksPath = configured
        self.repository = repository
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
    public var exists: Bool { FileManager.default.fileExists(atPath: directory.path) }

    /// A hooks directory that is part of the work tree (a tracked `.githooks`, say).
    public var isInsideWorkTree: Bool {
        guard fromHooksPath, let workTree else { return false }
        let root = workTree.standardizedFileURL.path
        let path = directory.standardizedFileURL.path
        return path.hasPrefix(root + "/") && !path.hasPrefix(commonDirectory.standardizedFileURL.path + "/")
    }

    /// The settings the hook reads, resolved like every other setting.
    public var settings: SettingsResolver {
        SettingsResolver(flags: RepairFlags(), environment: [:], projectRoot: workTree ?? commonDirectory,
                         config: { [repository] in try repository.config($0) })
    }
}
