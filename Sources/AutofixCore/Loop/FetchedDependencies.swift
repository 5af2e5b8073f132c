import Foundation

/// Dependencies that a package manager has already fetched into the user's work tree, copied
/// into a scratch checkout so the tests can build there with the network off. They are ignored
/// files, so the checkout of the snapshot lacks them, and the sandbox cannot fetch them again.
///
/// Only what the package manager keeps inside the project is copied, and only what the
/// checkout does not have already (a committed lock file wins). Nothing in the work tree is
/// written.
public enum FetchedDependencies {
    /// How one package manager keeps what it fetched inside a project.
    struct Layout {
        /// The manifest that marks its projects.
        let marker: String
        /// Text in the manifest that declares a dependency.
        let dependencyDeclaration: String
        /// Paths, relative to the project root, holding what it fetched.
        let paths: [String]
        /// The path that exists once the dependencies were fetched.
        let fetched: String
        let fetchCommand: String
        /// The program of test commands that build through it.
        let tool: String
    }

    static let layouts = [
        // SwiftPM: the fetched clones, their checkouts, its record of both, and the pins.
        Layout(marker: "Package.swift", dependencyDeclaration: ".package(",
               paths: [".build/repositories", ".build/checkouts", ".build/workspace-state.json", "Package.resolved"],
               fetched: ".build/checkouts", fetchCommand: "swift package resolve", tool: "swift"),
    ]

    /// Copies the fetched dependencies found in `workTree` into `checkout` and returns the
    /// relative paths copied.
    @discardableResult
    public static func copy(from workTree: URL, into checkout: URL) throws -> [String] {
        let files = FileManager.default
        var copied: [String] = []
        for layout in layouts where files.fileExists(atPath: checkout.appendingPathComponent(layout.marker).path) {
            for path in layout.paths {
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

    /// What to run when `workTree` is a package whose dependencies were never fetched there:
    /// then the sandbox cannot build it. Nil when there is nothing to fetch, or it was fetched.
    /// With `testCommand`, only package managers that command runs through count.
    public static func fetchCommandIfMissing(in workTree: URL, testCommand: String? = nil) -> String? {
        for layout in layouts where testCommand.map({ $0.hasPrefix(layout.tool + " ") }) ?? true {
            let manifest = workTree.appendingPathComponent(layout.marker)
            guard let text = try? String(contentsOf: manifest, encoding: .utf8), text.contains(layout.dependencyDeclaration),
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
