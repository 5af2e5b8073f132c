internal import CGit2
import Foundation

extension Repository {
    /// The ref that tracks `branch`'s upstream, as `git rev-parse BRANCH@{upstream}` finds it:
    /// `branch.<b>.remote` and `branch.<b>.merge`, the merge ref mapped through the remote's fetch
    /// refspecs (remote `.` is this repository). Nil when the branch has no upstream.
    public func upstreamReference(ofBranch branch: String) throws -> String? {
        guard let remote = try configString("branch.\(branch).remote"),
              let merge = try configString("branch.\(branch).merge"), !remote.isEmpty, !merge.isEmpty
        else { return nil }
        if remote == "." { return merge }
        for spec in try configStrings("remote.\(remote).fetch") {
            if let tracking = Self.mapped(merge, through: spec) { return tracking }
        }
        return nil
    }

    /// `name` mapped by a fetch refspec (`+refs/heads/*:refs/remotes/origin/*`), or nil when the
    /// refspec does not cover it.
    static func mapped(_ name: String, through refspec: String) -> String? {
        var spec = Substring(refspec)
        if spec.hasPrefix("^") { return nil }
        if spec.hasPrefix("+") { spec = spec.dropFirst() }
        let sides = spec.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        guard sides.count == 2, !sides[1].isEmpty else { return nil }
        let source = sides[0], destination = sides[1]
        guard let star = source.firstIndex(of: "*") else { return source == name ? String(destination) : nil }
        let prefix = source[..<star], suffix = source[source.index(after: star)...]
        guard name.count >= prefix.count + suffix.count, name.hasPrefix(prefix), name.hasSuffix(suffix) else { return nil }
        let matched = name.dropFirst(prefix.count).dropLast(suffix.count)
        return destination.replacingOccurrences(of: "*", with: matched)
    }

    /// The best common ancestor of two commits, as `git merge-base` picks it; nil when their
    /// histories never meet.
    public func mergeBase(_ one: ObjectID, _ other: ObjectID) throws -> ObjectID? {
        var first = try one.raw
        var second = try other.raw
        var base = git_oid()
        guard try checkFound(git_merge_base(&base, pointer, &first, &second),
                             "finding the merge base of \(one.short) and \(other.short)") else { return nil }
        return ObjectID(base)
    }
}
