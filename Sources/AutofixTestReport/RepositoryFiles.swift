import AutofixSupport
import Foundation

/// Maps the paths a test run printed to files in the repository: relative paths as they are,
/// absolute paths under the root, and paths from elsewhere (a sandbox mount, a CI checkout, a
/// bare "File.swift") by the longest unique suffix of path components.
final class RepositoryFiles {
    private let root: URL
    private let rootPath: String
    private lazy var index: [String: [String]] = buildIndex()
    /// Enough for any repository a model can work on; deeper walks only cost time.
    private let fileLimit = 50_000
    private static let skippedDirectories: Set<String> = Ecosystem.generatedDirectories.union([".git"])

    init(root: URL) {
        self.root = root.standardizedFileURL
        rootPath = self.root.path.hasSuffix("/") ? self.root.path : self.root.path + "/"
    }

    /// The repository-relative path of an existing file, or nil.
    func resolve(_ printed: String) -> String? {
        var path = printed
        if path.hasPrefix("./") { path = String(path.dropFirst(2)) }
        if path.hasPrefix(rootPath) { path = String(path.dropFirst(rootPath.count)) }
        let resolvedRoot = root.resolvingSymlinksInPath().path + "/"
        if path.hasPrefix(resolvedRoot) { path = String(path.dropFirst(resolvedRoot.count)) }
        if !path.hasPrefix("/"), isInside(path) { return path }
        let components = path.split(separator: "/").map(String.init)
        guard let name = components.last, let candidates = index[name] else { return nil }
        // The candidate sharing the longest tail with the printed path; a tie means we cannot tell.
        var best: (path: String, shared: Int)?
        var tie = false
        for candidate in candidates {
            let shared = zip(candidate.split(separator: "/").reversed(), components.reversed()).prefix { $0 == $1 }.count
            if shared > best?.shared ?? 0 {
                best = (candidate, shared)
                tie = false
            } else if shared == best?.shared {
                tie = true
            }
        }
        guard !tie, let found = best?.path, isInside(found) else { return nil }
        return found
    }

    /// An existing regular file whose real location is inside the repository and outside .git:
    /// the caller reads these files into a prompt, so a traceback naming "../../etc/passwd" or a
    /// symlink out of the checkout must not pass.
    private func isInside(_ relative: String) -> Bool {
        let components = relative.split(separator: "/")
        guard !components.contains(".."), components.first != ".git" else { return false }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: rootPath + relative, isDirectory: &isDirectory), !isDirectory.boolValue else {
            return false
        }
        let real = URL(fileURLWithPath: rootPath + relative).resolvingSymlinksInPath().path
        return real.hasPrefix(realRootPath)
    }

    private lazy var realRootPath: String = {
        let path = root.resolvingSymlinksInPath().path
        return path.hasSuffix("/") ? path : path + "/"
    }()

    private func buildIndex() -> [String: [String]] {
        var index: [String: [String]] = [:]
        var count = 0
        var pending = [""]
        let manager = FileManager.default
        while let relative = pending.popLast(), count < fileLimit {
            guard let names = try? manager.contentsOfDirectory(atPath: rootPath + relative) else { continue }
            for name in names.sorted() {
                let child = relative.isEmpty ? name : relative + "/" + name
                var isDirectory: ObjCBool = false
                guard manager.fileExists(atPath: rootPath + child, isDirectory: &isDirectory) else { continue }
                if isDirectory.boolValue {
                    if !Self.skippedDirectories.contains(name) { pending.append(child) }
                } else {
                    index[name, default: []].append(child)
                    count += 1
                }
            }
        }
        return index
    }
}
