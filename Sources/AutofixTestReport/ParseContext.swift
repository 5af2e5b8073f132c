import Foundation

/// What every format parser shares: the repository root to make paths relative, and the rules
/// for telling the repository's frames from the framework's and the toolchain's.
struct ParseContext {
    var repositoryRoot: URL?
    /// Other directories the output says the tests ran in (pytest's `rootdir:`), tried after the root.
    var extraRoots: [String] = []

    init(repositoryRoot: URL?) {
        self.repositoryRoot = repositoryRoot
    }

    func location(_ rawPath: String, line: Int?) -> SourceLocation {
        SourceLocation(path: relativePath(rawPath), line: line)
    }

    /// `path` relative to the repository (or a known test root) when it lies inside it.
    func relativePath(_ rawPath: String) -> String {
        var path = rawPath
        if path.hasPrefix("file://") { path = String(path.dropFirst("file://".count)) }
        if path.hasPrefix("./") { path = String(path.dropFirst(2)) }
        guard path.hasPrefix("/") else { return path }
        var roots: [String] = []
        if let repositoryRoot {
            roots.append(repositoryRoot.standardizedFileURL.path)
            roots.append(repositoryRoot.resolvingSymlinksInPath().path)
        }
        roots += extraRoots
        for root in roots where !root.isEmpty {
            let prefix = root.hasSuffix("/") ? root : root + "/"
            if path.hasPrefix(prefix) { return String(path.dropFirst(prefix.count)) }
        }
        return path
    }

    /// True for frames that belong to a test framework, a language runtime or generated code,
    /// never to the code under test.
    static func isFrameworkPath(_ path: String) -> Bool {
        if path.isEmpty || path.hasPrefix("<") || path.hasPrefix("node:") || path.hasPrefix("internal/") {
            return true
        }
        let markers = [
            "site-packages/", "dist-packages/", "/_pytest/", "/pluggy/", "/unittest/", "node_modules/",
            "/.build/", "swift-generated-sources", "/.cargo/registry/", "/rustc/", "/.rustup/",
            "/library/std/", "/library/core/", "/usr/lib/", "/usr/local/go/src/", "/usr/local/lib/",
            "/go/pkg/mod/", "/.pyenv/", "/.nvm/", "/opt/swift/", "<frozen", "<anonymous>", "testing/testing.go",
        ]
        return markers.contains { path.contains($0) }
    }
}

/// Makes test ids stable across runs: no timings, addresses or seeds, single spaces.
enum TestIdentity {
    private static let address = Pattern("0x[0-9a-fA-F]{4,}")
    private static let timing = Pattern("\\s*\\((?:\\d+(?:\\.\\d+)?\\s*(?:ms|s|sec|seconds?)|\\d+:\\d+(?:\\.\\d+)?)\\)\\s*$")
    private static let seed = Pattern("(?i)(seed[ =:]+)\\d+")
    private static let spaces = Pattern("\\s+")

    static func normalize(_ raw: String) -> String {
        var id = raw.trimmingCharacters(in: .whitespaces)
        if id.contains("0x") { id = address.replacing(in: id, with: "0x?") }
        if id.hasSuffix(")") { id = timing.replacing(in: id, with: "") }
        if id.lowercased().contains("seed") { id = seed.replacing(in: id, with: "$1?") }
        return spaces.replacing(in: id, with: " ")
    }
}
