import AutofixSandbox
import AutofixSupport
import Foundation

/// Dependencies that a package manager has already fetched into the user's work tree, copied
/// into a scratch checkout so the tests can build there with the network off. They are ignored
/// files, so the checkout of the snapshot lacks them, and the sandbox cannot fetch them again.
///
/// Only what the package manager keeps inside the project is copied, and only what the
/// checkout does not have already (a committed lock file wins). Nothing in the work tree is
/// written.
public enum FetchedDependencies {
    /// The ecosystems whose package manager keeps what it fetched inside the project.
    static let ecosystems = Ecosystem.all.filter { $0.fetchedDependencies != nil }

    /// Copies the fetched dependencies found in `workTree` into `checkout` and returns the
    /// relative paths copied.
    @discardableResult
    public static func copy(from workTree: URL, into checkout: URL) throws -> [String] {
        let files = FileManager.default
        var copied: [String] = []
        for ecosystem in ecosystems where files.fileExists(atPath: checkout.appendingPathComponent(ecosystem.markers[0]).path) {
            for path in ecosystem.fetchedDependencies?.paths ?? [] {
                let source = workTree.appendingPathComponent(path)
                let destination = checkout.appendingPathComponent(path)
                guard exists(source), !exists(destination) else { continue }
                try files.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
                do {
                    try files.copyItem(at: source, to: destination)
                } catch {
                    throw FetchedDependenciesError(path: path, underlying: error)
                }
                copied.append(path)
            }
        }
        return copied
    }

    /// The same into a view that sandboxed code ran in before (a warm place's), while no sandbox
    /// runs there: the markers are looked for in the host's `checkout`, and every directory on the
    /// way to a destination is made a real one, without following a link the sandbox left. What
    /// an earlier session copied stays unless its source in the work tree changed since `copiedFrom`
    /// (the package manager fetched again): then the whole set is copied again. Returns the paths
    /// copied and the sources' stamps now, for the next session.
    public static func copy(from workTree: URL, into view: SandboxView, checkout: URL,
                            copiedFrom: [String: FileStamp]) throws -> (copied: [String], sources: [String: FileStamp]) {
        let files = FileManager.default
        var copied: [String] = []
        var sources: [String: FileStamp] = [:]
        for ecosystem in ecosystems where files.fileExists(atPath: checkout.appendingPathComponent(ecosystem.markers[0]).path) {
            let paths = ecosystem.fetchedDependencies?.paths ?? []
            var now: [String: FileStamp] = [:]
            for path in paths {
                var info = stat()
                if lstat(workTree.appendingPathComponent(path).path, &info) == 0 { now[path] = FileStamp(info) }
            }
            sources.merge(now) { _, new in new }
            let fetchedAgain = paths.contains { now[$0] != copiedFrom[$0] }
            for path in paths {
                let source = workTree.appendingPathComponent(path)
                // A committed lock file wins, as above: the view has it from the host's checkout.
                guard exists(source), !exists(checkout.appendingPathComponent(path)) else { continue }
                var directory = try DirectoryHandle.open(view.directory.path)
                let components = path.split(separator: "/").map(String.init)
                for name in components.dropLast() { directory = try directory.makeSubdirectory(name) }
                guard let last = components.last else { continue }
                if fetchedAgain { try directory.remove(last) }
                guard directory.status(last) == nil else { continue }
                do {
                    try files.copyItem(at: source, to: view.directory.appendingPathComponent(path))
                } catch {
                    throw FetchedDependenciesError(path: path, underlying: error)
                }
                copied.append(path)
            }
        }
        return (copied, sources)
    }

    /// What to run when `workTree` is a package whose dependencies were never fetched there:
    /// then the sandbox cannot build it. Nil when there is nothing to fetch, or it was fetched.
    /// With `testCommand`, only package managers that command runs through count.
    public static func fetchCommandIfMissing(in workTree: URL, testCommand: String? = nil) -> String? {
        for ecosystem in ecosystems where testCommand.map({ command in
            ecosystem.runners.contains { command.hasPrefix($0 + " ") }
        }) ?? true {
            let manifest = workTree.appendingPathComponent(ecosystem.markers[0])
            guard let layout = ecosystem.fetchedDependencies,
                  let text = try? String(contentsOf: manifest, encoding: .utf8), text.contains(layout.dependencyDeclaration),
                  !exists(workTree.appendingPathComponent(layout.fetched))
            else { continue }
            return layout.fetchCommand
        }
        return nil
    }

    /// True for anything at `url`, a dangling symlink included.
    private static func exists(_ url: URL) -> Bool {
        var info = stat()
        return lstat(url.path, &info) == 0
    }
}

struct FetchedDependenciesError: AutofixError {
    let path: String
    let underlying: Error
    var message: String { "could not copy the fetched dependencies in \(path) into the scratch checkout: \(underlying.localizedDescription)" }
    var hint: String? { "check the disk space of the temporary directory (TMPDIR), or delete \(path) and fetch it again" }
    var category: ExitCategory { .sandbox }
}
