import Foundation

/// Finds the shell script the hook block calls.
public enum HookScript {
    public static let relativeInstallPath = "share/git-autofix/hooks/pre-push"

    /// The script installed with this program (`<prefix>/share/git-autofix/hooks/pre-push` for
    /// `<prefix>/bin/git-autofix`), or the source tree's `hooks/pre-push` for a development build.
    public static func installed() throws -> URL {
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

    public static func validated(_ url: URL) throws -> URL {
        let absolute = url.standardizedFileURL
        guard FileManager.default.isExecutableFile(atPath: absolute.path) else {
            throw HookError.scriptNotExecutable(absolute.path)
        }
        return absolute
    }
}
