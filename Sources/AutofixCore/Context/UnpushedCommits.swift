import AutofixGit
import Foundation

/// The commits on the branch that its upstream does not have yet, as the model reads them: their
/// subjects, and their changes as one diff against where the branch and its upstream meet. After
/// the uncommitted work, they are where a fresh bug most likely is.
struct UnpushedCommits {
    /// The upstream as the user names it (`origin/main`).
    let upstream: String
    /// `<short id> <subject>`, newest first, at most `listed` of them.
    let subjects: [String]
    /// Whether there are more commits than `subjects` lists.
    let more: Bool
    let changes: WorkingChanges

    static let listed = 20
    static let none = UnpushedCommits(upstream: "", subjects: [], more: false, changes: WorkingChanges(files: []))

    var isEmpty: Bool { subjects.isEmpty }

    init(upstream: String, subjects: [String], more: Bool, changes: WorkingChanges) {
        self.upstream = upstream
        self.subjects = subjects
        self.more = more
        self.changes = changes
    }

    /// What `head`'s branch has that its upstream lacks: none on a detached HEAD, on a branch
    /// without an upstream (`branch.<b>.remote`, `branch.<b>.merge`), or when the upstream's
    /// ref is not there (never fetched).
    init(repository: Repository, head: Head) throws {
        guard let branch = head.branch, let tip = head.commit,
              let reference = try repository.upstreamReference(ofBranch: branch),
              let upstreamTip = try repository.referenceTarget(reference),
              let base = try repository.mergeBase(tip, upstreamTip), base != tip
        else {
            self = .none
            return
        }
        var subjects: [String] = []
        var next: ObjectID? = tip
        // First parents only: the branch's own line, as `git log --first-parent @{u}..` shows it.
        while let id = next, subjects.count <= Self.listed, try !repository.isAncestor(id, of: upstreamTip) {
            let commit = try repository.commit(id)
            subjects.append("\(id.short) \(commit.summary)")
            next = commit.parents.first
        }
        let diff = try repository.patchText(from: repository.commit(base).tree, to: repository.commit(tip).tree)
        self.init(upstream: Self.displayName(reference), subjects: Array(subjects.prefix(Self.listed)),
                  more: subjects.count > Self.listed, changes: WorkingChanges(patchText: diff))
    }

    /// `refs/remotes/origin/main` as `origin/main`, `refs/heads/main` as `main`.
    private static func displayName(_ reference: String) -> String {
        for prefix in ["refs/remotes/", "refs/heads/"] where reference.hasPrefix(prefix) {
            return String(reference.dropFirst(prefix.count))
        }
        return reference
    }
}
