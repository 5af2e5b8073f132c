/// Syntactic checks on a repository-relative path, before any file system access.
enum RepoPath {
    /// Removes a leading `./` (models write it) and repeated slashes.
    static func normalize(_ path: String) -> String {
        var result = path
        while result.hasPrefix("./") { result.removeFirst(2) }
        while result.contains("//") { result = result.replacingOccurrences(of: "//", with: "/") }
        return result
    }

    /// Why `path` can never be a safe repository-relative path, or nil when it can.
    static func problem(_ path: String) -> String? {
        if path.isEmpty { return "the path is empty" }
        if path.hasPrefix("/") { return "'\(path)' is an absolute path; use a path relative to the repository root" }
        if path.hasPrefix("~") { return "'\(path)' points into a home directory; use a path relative to the repository root" }
        if path.contains("\0") { return "the path contains a NUL byte" }
        let components = path.split(separator: "/", omittingEmptySubsequences: false)
        if components.contains(where: { $0 == ".." }) {
            return "'\(path)' contains '..'; paths must stay inside the repository"
        }
        if components.contains(where: { $0.isEmpty || $0 == "." }) {
            return "'\(path)' has an empty or '.' component"
        }
        return GitPathRules.problem(path)
    }
}
