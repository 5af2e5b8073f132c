import AutofixGit

/// Where a run starts: a snapshot of the work tree, or a commit (`git autofix fixup` repairs
/// the commit that broke the tests, without reading the work tree).
public enum RunStart: Sendable {
    case workingTree
    case commit(ObjectID, branch: String)

    func snapshot(in repository: Repository) throws -> Snapshot {
        switch self {
        case .workingTree: return try Snapshotter(repository: repository).snapshot()
        case .commit(let commit, let branch): return try Snapshotter(repository: repository).snapshot(of: commit, branch: branch)
        }
    }
}
