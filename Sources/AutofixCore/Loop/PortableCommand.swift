import Foundation

/// The test command as recorded in commits that get cherry-picked and pushed: a path inside the
/// repository relative to it, one under the home directory with `~`, so no user's absolute
/// paths travel with the commit.
enum PortableCommand {
    static func recorded(_ command: String, repositoryRoot: String?, home: String?) -> String {
        var text = command
        for (directory, replacement) in [(repositoryRoot, ""), (home, "~/")] {
            guard let directory, directory.count > 1 else { continue }
            let prefix = directory.hasSuffix("/") ? directory : directory + "/"
            text = replacingPaths(under: prefix, with: replacement, in: text)
        }
        return text
    }

    /// Replaces `prefix` where a word (or a quoted word) starts with it, never in the middle of
    /// another path.
    private static func replacingPaths(under prefix: String, with replacement: String, in text: String) -> String {
        var result = ""
        var rest = Substring(text)
        while let range = rest.range(of: prefix) {
            let before = rest[..<range.lowerBound]
            let startsWord = (before.last ?? " ").isWhitespace || "'\"=:".contains(before.last ?? " ")
            result += before
            result += startsWord ? replacement : prefix
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}
