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
///
/// In a `WarmPlace` the checkout, the view and the sandbox's HOME are those the last run left,
/// brought to the new commit by writing only what differs, so builds start warm; `root` then
/// holds only the spare views.
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
    private let warm: WarmPlace?
    /// The HOME the sandbox keeps from run to run (in a warm place), nil for an empty one.
    public var sandboxHome: URL? { warm?.home }
    private let commit: ObjectID
    /// The checkout's stamps once it matched `commit`, for the next run in the warm place.
    private var checkoutStamps: [String: FileStamp] = [:]
    /// The work tree's fetched dependencies as this session copied them, for the next one.
    private var dependencyStamps: [String: FileStamp] = [:]

    public static let directoryPrefix = "git-autofix-"

    /// Makes the session under `parent` (the system temp dir by default) for `commit`. `made`
    /// learns the root as soon as it exists, before the checkout (which takes a while) fills it.
    public init(repository: Repository, commit: ObjectID, under parent: URL? = nil,
                made: (URL) throws -> Void = { _ in }) throws {
        root = try PrivateDirectory.make(under: parent ?? FileManager.default.temporaryDirectory, prefix: Self.directoryPrefix)
        warm = nil
        self.commit = commit
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

    /// Makes the session in `place`, which stays after the session (its state saved when the
    /// session ends); the spare views go into a private directory under `parent` as above.
    public init(repository: Repository, commit: ObjectID, warm place: WarmPlace, under parent: URL? = nil,
                made: (URL) throws -> Void = { _ in }) throws {
        root = try PrivateDirectory.make(under: parent ?? FileManager.default.temporaryDirectory, prefix: Self.directoryPrefix)
        warm = place
        self.commit = commit
        do {
            try made(root)
            checkout = try Self.warmCheckout(in: place, commit: commit, repository: repository)
            try place.prepareSubdirectory("home")
            var record = place.state?.view
            var info = stat()
            if lstat(place.view.path, &info) != 0 || info.st_mode & S_IFMT != S_IFDIR || info.st_uid != geteuid() {
                try place.prepareSubdirectory("sandbox")
                record = nil
            }
            view = try SandboxView(reopening: place.view, record: record)
            try view.update(from: checkout.directory)
            dependencySource = repository.workingDirectory
            if let workTree = repository.workingDirectory {
                let copy = try FetchedDependencies.copy(from: workTree, into: view, checkout: checkout.directory,
                                                        copiedFrom: record == nil ? [:] : place.state?.dependencies ?? [:])
                copiedDependencies = copy.copied
                dependencyStamps = copy.sources
                view.keep(copiedDependencies)
            } else {
                copiedDependencies = []
            }
            checkoutStamps = try checkout.stamps()
        } catch {
            try? DirectoryHandle.removeItem(at: root)
            throw error
        }
    }

    /// The kept checkout brought to `commit`, or, without a state to trust, a new one.
    private static func warmCheckout(in place: WarmPlace, commit: ObjectID, repository: Repository) throws -> ScratchCheckout {
        var info = stat()
        if let state = place.state, lstat(place.checkout.path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR,
           info.st_uid == geteuid() {
            let kept = ScratchCheckout.reopen(at: place.checkout)
            // A recorded commit that is gone (its run dropped and collected) means a new checkout.
            if (try? kept.bring(to: commit, from: state.commit, stamps: state.checkout, repository: repository)) != nil {
                return kept
            }
        }
        try place.removeEntry("work")
        return try ScratchCheckout.create(repository: repository, commit: commit, at: place.checkout)
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

    /// The kept HOME for test runs in `borrowed`: only the main view has one, so that no two
    /// runs at once share a HOME.
    public func sandboxHome(for borrowed: SandboxView) -> URL? {
        borrowed === view ? sandboxHome : nil
    }

    /// Takes back a view from `borrowView()` once no test runs in it any more.
    public func giveBack(_ borrowed: SandboxView) {
        if borrowed === view { mainViewLent = false } else { spareViews.append(borrowed) }
    }

    /// Removes everything, the sandbox's leftovers included, following no link. A warm place
    /// stays, with its state saved for the next run.
    public func remove() {
        guard !removed else { return }
        removed = true
        closeWarmPlace()
        try? DirectoryHandle.removeItem(at: root)
    }

    /// Leaves the session on disk for inspection, without setuid or setgid files in it.
    public func keep() throws {
        for each in [view] + spareViews { try each.clearSetIDBits() }
        closeWarmPlace()
    }

    /// Saves what the next run needs to trust the warm place, and lets it in. Nothing the
    /// sandbox left there keeps a setuid or setgid bit.
    private func closeWarmPlace() {
        guard let warm else { return }
        defer { warm.unlock() }
        do {
            try view.clearSetIDBits()
            try DirectoryHandle.open(warm.home.path).clearSetIDBits()
            try warm.save(WarmState(commit: commit, checkout: checkoutStamps, view: view.record, dependencies: dependencyStamps))
        } catch {
            // Without a state the next run rebuilds the checkout; nothing is lost.
        }
    }
}
