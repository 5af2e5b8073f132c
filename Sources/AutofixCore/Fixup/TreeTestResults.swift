import AutofixGit

/// Whether the tests passed on a tree, remembered for one `fixup`: two commits with the same
/// tree (a revert, a reworded commit) are tested once.
struct TreeTestResults {
    private var passed: [ObjectID: Bool] = [:]

    subscript(tree: ObjectID) -> Bool? {
        get { passed[tree] }
        set { passed[tree] = newValue }
    }
}
