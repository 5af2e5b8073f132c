import AutofixGit

/// The commits `git autofix fixup` looks at: `<upstream>..<tip>` along first parents, oldest
/// first, as `git rebase -i <upstream>` would list them on a linear branch. Without an upstream
/// the range goes down to the root commit, as `git rebase -i --root` does.
public struct FixupRange: Sendable {
    public let upstream: ObjectID?
    public let commits: [ObjectID]

    public static func between(_ upstream: ObjectID?, and tip: ObjectID, in repository: Repository) throws -> FixupRange {
        var commits: [ObjectID] = []
        var current: ObjectID? = tip
        while let commit = current, try upstream.map({ try !repository.isAncestor(commit, of: $0) }) ?? true {
            commits.append(commit)
            current = try repository.commit(commit).parents.first
        }
        return FixupRange(upstream: upstream, commits: commits.reversed())
    }
}
