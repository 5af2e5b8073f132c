import Foundation

/// Finds the source files a failing test is about: a traceback often names only the test file,
/// but the test imports the code under test by module or type name (`from calc import add`,
/// `import Greeter`). Files whose name (or whose directory's name) appears as a word in the
/// given files are related.
struct RelatedFiles {
    let repositoryFiles: [String]

    func related(to contents: [String], excluding: Set<String>) -> [String] {
        var words = Set<String>()
        for text in contents {
            for word in text.split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "_") }) where word.count >= 3 {
                words.insert(String(word))
            }
        }
        guard !words.isEmpty else { return [] }
        return repositoryFiles.filter { path in
            guard !excluding.contains(path), Self.isSource(path) else { return false }
            let url = URL(fileURLWithPath: path)
            let stem = url.deletingPathExtension().lastPathComponent
            let directory = url.deletingLastPathComponent().lastPathComponent
            return words.contains(stem) || (!directory.isEmpty && directory != "." && words.contains(directory))
        }
    }

    private static let sourceExtensions: Set<String> = [
        "swift", "py", "go", "rs", "js", "jsx", "ts", "tsx", "mjs", "cjs", "java", "kt", "rb", "c", "h", "cc", "cpp",
        "hpp", "m", "cs", "php", "scala", "ex", "exs", "sh",
    ]

    static func isSource(_ path: String) -> Bool {
        sourceExtensions.contains(URL(fileURLWithPath: path).pathExtension.lowercased())
    }
}
