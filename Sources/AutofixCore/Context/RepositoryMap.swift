import Foundation

/// The repository's shape within a budget: the files next to the relevant ones in full, the
/// top-level definitions of the relevant files, then directories with their file counts, most
/// relevant first. Whatever does not fit is counted, never dropped silently.
struct RepositoryMap {
    let files: [String]

    func render(relevant: [String], outlines: [String: [String]], budgetTokens: Int) -> String {
        var text = "## Repository map (\(files.count) files)\n"
        var left = budgetTokens - PromptBuilder.estimatedTokens(text)
        func take(_ line: String) -> Bool {
            let cost = PromptBuilder.estimatedTokens(line)
            guard cost <= left else { return false }
            text += line
            left -= cost
            return true
        }

        var byDirectory: [String: [String]] = [:]
        for path in files { byDirectory[Self.directory(of: path), default: []].append(path) }
        let relevantDirectories = Self.unique(relevant.map(Self.directory))

        var neighbours: [String] = []
        for directory in relevantDirectories { neighbours += byDirectory[directory] ?? [] }
        if !neighbours.isEmpty, take("Files beside the relevant ones:\n") {
            var listed = 0
            for path in neighbours {
                guard take(path + (relevant.contains(path) ? "  (shown above)\n" : "\n")) else { break }
                listed += 1
            }
            if listed < neighbours.count { _ = take("(\(neighbours.count - listed) more files there not listed)\n") }
        }

        let outlined = relevant.filter { !(outlines[$0] ?? []).isEmpty }
        if !outlined.isEmpty, take("Definitions in the relevant files (line: definition):\n") {
            for path in outlined {
                guard take("\(path):\n") else { break }
                for line in outlines[path] ?? [] where !take("  " + line + "\n") { break }
            }
        }

        // Directories nearest the relevant ones first, then the biggest.
        let directories = byDirectory.keys.sorted { a, b in
            let (ra, rb) = (Self.nearness(a, relevantDirectories), Self.nearness(b, relevantDirectories))
            if ra != rb { return ra > rb }
            let (ca, cb) = (byDirectory[a]?.count ?? 0, byDirectory[b]?.count ?? 0)
            return ca != cb ? ca > cb : a < b
        }
        if take("Directories (files in each):\n") {
            var listed = 0
            for directory in directories {
                guard take("\(directory)/ (\(byDirectory[directory]?.count ?? 0))\n") else { break }
                listed += 1
            }
            if listed < directories.count { text += "(\(directories.count - listed) more directories not listed)\n" }
        }
        return text
    }

    static func directory(of path: String) -> String {
        let directory = (path as NSString).deletingLastPathComponent
        return directory.isEmpty ? "." : directory
    }

    /// How many leading path components `directory` shares with the closest relevant directory.
    private static func nearness(_ directory: String, _ relevant: [String]) -> Int {
        let parts = directory.split(separator: "/")
        return relevant.map { other in
            zip(parts, other.split(separator: "/")).prefix { $0 == $1 }.count
        }.max() ?? 0
    }

    private static func unique(_ items: [String]) -> [String] {
        var seen = Set<String>()
        return items.filter { seen.insert($0).inserted }
    }
}
