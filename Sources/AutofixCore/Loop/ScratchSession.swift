import Foundation
#if canImport(Glibc)
import Glibc
import AutofixSupport
import AutofixSandbox
import AutofixGit
#endif

/// The private place where one run (or one `git autofix sandbox` command) works: a fresh
/// directory only this user can enter, holding the host's own checkout of the snapshot, where
/// patches are applied, files are read for prompts and commits are built, and the view the
/// sandbox sees, which `prepareTestRun()` brings to the host's checkout before each test run.
/// Nothing the host reads or writes goes through the view.
public final class ScratchSession {
    public let root: URL
    public let checkout: ScratchCheckout
    public let view: SandboxView
    /// What was copied in from the work tree (fetched dependencies), relative paths.
    public let copiedDependencies: [String]
    private let dependencySource: URL?
    /// Further views, for test runs that overlap the main view's (a streaming reply's prefixes).
    private var spareViews: [SandboxView] = []
    private var madeViews = 1
    private var mainViewLent = false
    private var removed = false

    public static let directoryPrefix = "git-autofix-"

    /// Makes the session under `parent` (the system temp dir by default) for `commit`. `made`
    /// learns the root as soon as it exists, before the checkout (which takes a while) fills it.
    public init(repository: Repository, commit: ObjectID, under parent: URL? = nil,
                made: (URL) throws -> Void = { _ in }) throws {
        root = try PrivateDirectory.make(under: parent ?? FileManager.default.temporaryDirectory, prefix: Self.directoryPrefix)
        do {
            try made(root)
            checkout = try ScratchCheckout.create(repository: repository, commit: commit, at: root.appendingPathComponent("work"))
            view = try SandboxView(directory: root.appendingPathComponent("sandbox"))
            try view.update(from: checkout.directory)
            // Copied before any sandboxed code ran, so the host's copy tool may follow what it finds.
            dependencySource = repository.workingDirectory
            if let workTree = repository.workingDirectory {
                copiedDependencies = try FetchedDependencies.copy(from: workTree, into: view.directory)
                view.keep(copiedDependencies)
            } else {
                copiedDependencies = []
            }
        } catch {
            try? DirectoryHandle.removeItem(at: root)
            throw error
        }
    }

    /// Where the tests run next: the view, made to match the host's checkout.
    public func prepareTestRun() throws -> URL {
        try view.update(from: checkout.directory)
        return view.directory
    }

    /// A view of its own for a test run while other runs may be going on: the main view when it
    /// is free, else a spare one given back earlier (its caches warm), else a new directory next
    /// to the main view. Dependencies are copied from the user's work tree, never from a view.
    public func borrowView() throws -> SandboxView {
        if !mainViewLent {
            mainViewLent = true
            return view
        }
        if let spare = spareViews.popLast() { return spare }
        madeViews += 1
        let made = try SandboxView(directory: root.appendingPathComponent("sandbox-\(madeViews)"))
        // The copy looks for the project's markers in the view.
        try made.update(from: checkout.directory)
        if let dependencySource {
            made.keep(try FetchedDependencies.copy(from: dependencySource, into: made.directory))
        }
        return made
    }

    /// Takes back a view from `borrowView()` once no test runs in it any more.
    public func giveBack(_ borrowed: SandboxView) {
        if borrowed === view { mainViewLent = false } else { spareViews.append(borrowed) }
    }

    /// Removes everything, the sandbox's leftovers included, following no link.
    public func remove() {
        guard !removed else { return }
        removed = true
        try? DirectoryHandle.removeItem(at: root)
    }

    /// Leaves the session on disk for inspection, without setuid or setgid files in it.
    public func keep() throws {
        for each in [view] + spareViews { try each.clearSetIDBits() }
    }
}
