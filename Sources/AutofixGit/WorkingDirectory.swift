import Foundation

extension Repository {
    /// The work tree's root; in a bare repository, an error that says so. Every command that
    /// needs a work tree asks here first, so a bare repository gets this answer and not a
    /// later, unrelated one (such as finding no test command in a directory without files).
    public func requireWorkingDirectory() throws -> URL {
        guard let workdir = workingDirectory, !isBare else {
            throw GitError(.bareRepository, "this is a bare repository: it has no working tree to snapshot",
                           hint: "run git autofix from a checkout (a clone or `git worktree add`)")
        }
        return workdir
    }
}
