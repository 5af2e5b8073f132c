import Foundation

/// Finds the source files a failing test is about: a traceback often names only the test file,
/// but the test imports the code under test (`from mypy.util import split`, `import Greeter`,
/// `require('./lib/calc')`). Only import lines count, not every word of a file: a word like
/// `mypy` names a package, not each of its files.
struct RelatedFiles {
    let repositoryFiles: [String]
    /// Most files returned.
    var limit = 12

    func related(to contents: [String], excluding: Set<String>) -> [String] {
        var modules: [String] = []
        var words = Set<String>()
        var plainNames = Set<String>()
        for text in contents {
            for line in text.split(separator: "\n") where Self.isImport(line) {
                for token in line.split(whereSeparator: { !($0.isLetter || $0.isNumber || "_./".contains($0)) }) {
                    let name = token.trimmingCharacters(in: CharacterSet(charactersIn: "./"))
                    guard name.count >= 2, !Self.keywords.contains(name) else { continue }
                    if name.contains(".") || name.contains("/") {
                        modules.append(name.replacingOccurrences(of: ".", with: "/"))
                    } else {
                        plainNames.insert(name)
                    }
                    for part in name.split(whereSeparator: { $0 == "." || $0 == "/" }) where part.count >= 3 {
                        words.insert(String(part))
                    }
                }
            }
        }
        guard !words.isEmpty else { return [] }
        let candidates = repositoryFiles.filter { !excluding.contains($0) && Self.isSource($0) }
        var found: [String] = []
        func add(_ paths: [String]) {
            for path in paths where !found.contains(path) && found.count < limit { found.append(path) }
        }
        // A dotted module names its file exactly (`a/b/c.py`, `a/b/c/__init__.py`), or a name inside it.
        func files(of module: String) -> [String] {
            candidates.filter { path in
                let stem = (path as NSString).deletingPathExtension
                return ["", "/__init__", "/index", "/mod"].contains { tail in stem == module + tail || stem.hasSuffix("/" + module + tail) }
            }
        }
        for module in modules {
            let exact = files(of: module)
            let parent = (module as NSString).deletingLastPathComponent
            add(exact.isEmpty && !parent.isEmpty ? files(of: parent) : exact)
        }
        add(candidates.filter { words.contains(URL(fileURLWithPath: $0).deletingPathExtension().lastPathComponent) })
        // `import Greeter` in Swift names a module: the files of its directory, when it is small.
        for word in plainNames.sorted() {
            let inDirectory = candidates.filter { URL(fileURLWithPath: $0).deletingLastPathComponent().lastPathComponent == word }
            if inDirectory.count <= 8 { add(inDirectory) }
        }
        return found
    }

    /// The names import lines bring in (`split_words` of `from mypy.util import split_words`).
    static func importedNames(in contents: [String]) -> Set<String> {
        var names = Set<String>()
        for text in contents {
            for line in text.split(separator: "\n") where isImport(line) {
                for word in line.split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "_") }) where word.count >= 2 {
                    if !keywords.contains(String(word)) { names.insert(String(word)) }
                }
            }
        }
        return names
    }

    private static let keywords: Set<String> = ["import", "from", "require", "use", "include", "as", "export", "const", "let",
                                                "var", "crate", "self", "super", "testable"]

    static func isImport(_ line: Substring) -> Bool {
        let text = line.drop(while: { $0 == " " || $0 == "\t" })
        return text.hasPrefix("import ") || text.hasPrefix("from ") || text.hasPrefix("use ") || text.hasPrefix("#include")
            || text.hasPrefix("@testable import ") || text.contains("require(") || text.hasPrefix("export ") && text.contains(" from ")
    }

    private static let sourceExtensions: Set<String> = [
        "swift", "py", "go", "rs", "js", "jsx", "ts", "tsx", "mjs", "cjs", "java", "kt", "rb", "c", "h", "cc", "cpp",
        "hpp", "m", "cs", "php", "scala", "ex", "exs", "sh",
    ]

    static func isSource(_ path: String) -> Bool {
        sourceExtensions.contains(URL(fileURLWithPath: path).pathExtension.lowercased())
    }

    /// README, docs, notes, changelogs: shown only when a failure names them.
    static func isProse(_ path: String) -> Bool {
        let name = URL(fileURLWithPath: path).lastPathComponent.lowercased()
        let ext = URL(fileURLWithPath: path).pathExtension.lowercased()
        let directories = path.lowercased().split(separator: "/").dropLast()
        return ["md", "rst", "txt", "adoc", "markdown", "org"].contains(ext) || !directories.isEmpty && directories.contains { ["docs", "doc", "notes"].contains($0) }
            || ["readme", "todo", "changelog", "changes", "license", "authors", "contributing"].contains { name.hasPrefix($0) }
    }
}
