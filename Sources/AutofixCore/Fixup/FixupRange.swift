import AutofixGit

/// The commits `git autofix fixup` looks at: `<upstream>..<tip>` along first parents, oldest
/// first, as `git rebase -i <upstream>` would list them on a linear branch.
public struct FixupRange: Sendable {
    public let upstream: ObjectID
    public let commits: [ObjectID]

    public static func between(_ upstream: ObjectID, and tip: ObjectID, in repository: Repository) throws -> FixupRange {
        var commits: [ObjectID] = []
        var current: ObjectID? = tip
        while let commit = current, try !repository.isAncestor(commit, of: upstream) {
            commits.append(commit)
            current = try repository.commit(commit).parents.first
        }
        return FixupRange(upstream: upstream, commits: commits.reversed())
    }
}
