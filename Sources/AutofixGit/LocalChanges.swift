internal import CGit2

extension Repository {
    /// Whether the work tree or index differs from HEAD (untracked files count, ignored ones do
    /// not): where `git cherry-pick` would refuse. Reads only; the index is not refreshed or written.
    public func hasLocalChanges() throws -> Bool {
        var options = git_status_options()
        try check(git_status_options_init(&options, UInt32(GIT_STATUS_OPTIONS_VERSION)), "preparing to read the status")
        options.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR
        options.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED.rawValue | GIT_STATUS_OPT_EXCLUDE_SUBMODULES.rawValue
            | GIT_STATUS_OPT_NO_REFRESH.rawValue
        var list: OpaquePointer?
        try check(git_status_list_new(&list, pointer, &options), "reading the status of the work tree")
        defer { git_status_list_free(list) }
        return git_status_list_entrycount(list) > 0
    }
}
