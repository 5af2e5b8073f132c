/// Finds the first commit whose tests fail while its parent's pass, asking `passes` as few
/// times as it can: one by one for a few commits, by bisection for more (which assumes, like
/// `git bisect`, that once the tests fail they fail on every later commit).
struct FirstFailingCommit<Commit: Equatable> {
    enum Finding: Equatable {
        /// The tests pass on the last commit: nothing to fix.
        case allPass
        /// The tests already fail on the upstream commit, so no commit of the range broke them.
        case upstreamFails
        case found(Commit)
    }

    /// Up to this many commits are tested in order rather than bisected.
    static var few: Int { 3 }

    /// nil for a range that starts at the root commit, which has no parent to compare with.
    let upstream: Commit?
    let commits: [Commit]
    let passes: (Commit) async throws -> Bool

    func find() async throws -> Finding {
        guard let last = commits.last else { return .allPass }
        if commits.count <= Self.few {
            for (index, commit) in commits.enumerated() where try await !passes(commit) {
                if index == 0, let upstream, try await !passes(upstream) { return .upstreamFails }
                return .found(commit)
            }
            return .allPass
        }
        guard try await !passes(last) else { return .allPass }
        if let upstream, try await !passes(upstream) { return .upstreamFails }
        // commits[good] passes (-1: the upstream), commits[bad] fails.
        var (good, bad) = (-1, commits.count - 1)
        while bad - good > 1 {
            let middle = (good + bad) / 2
            if try await passes(commits[middle]) { good = middle } else { bad = middle }
        }
        return .found(commits[bad])
    }
}
