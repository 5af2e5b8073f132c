import AutofixSupport
import Foundation

/// The test command narrowed to some of its tests, in the framework's own selection syntax:
/// pytest node ids, `swift test --filter`, `go test -run`, `cargo test -- --exact`, jest's
/// `--testNamePattern` with the test files, `node --test --test-name-pattern`. Nil whenever
/// the narrowed command might run something else than those tests of the same suite: a
/// compound shell command, a command that already selects (its own filter, paths, `--`), an
/// unknown framework, an id the syntax cannot name. Then the whole suite runs.
public enum TestSelection {
    public static func command(_ testCommand: String, selecting ids: [String], framework: String) -> String? {
        guard !ids.isEmpty, let words = simpleWords(testCommand) else { return nil }
        let selection: [String]
        switch framework {
        case "pytest": selection = pytest(words, ids) ?? []
        // `swift test` runs XCTest and Swift Testing; XCTest's `Class.test` ids take the same filter.
        case "xctest", "xctest+swift-testing": selection = swiftTest(words, ids) ?? []
        case "go": selection = goTest(words, ids) ?? []
        case "cargo": selection = cargoTest(words, ids) ?? []
        case "jest": selection = jest(words, ids) ?? []
        case "node": return node(words, ids)
        default: return nil
        }
        guard !selection.isEmpty else { return nil }
        return testCommand.trimmingCharacters(in: .whitespaces) + " " + selection.joined(separator: " ")
    }

    /// The words of a command that is one plain program call, or nil: shell syntax (lists,
    /// pipes, redirections, expansions, quotes) could make appended words land elsewhere.
    private static func simpleWords(_ command: String) -> [String]? {
        let shellSyntax = CharacterSet(charactersIn: ";&|<>()$`\\'\"*?[]{}~#\n")
        guard command.rangeOfCharacter(from: shellSyntax) == nil else { return nil }
        let words = command.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        return words.isEmpty ? nil : words
    }

    /// The arguments after the runner (`pytest`, `python -m pytest`), when they are all flags.
    private static func arguments(after runner: [String], in words: [String]) -> [String]? {
        guard let start = (0...max(0, words.count - runner.count)).first(where: {
            Array(words[$0..<min(words.count, $0 + runner.count)]).enumerated().allSatisfy { index, word in
                runner[index] == word || (index == 0 && word.hasSuffix("/" + runner[index]))
            }
        }) else { return nil }
        return Array(words[(start + runner.count)...])
    }

    private static func pytest(_ words: [String], _ ids: [String]) -> [String]? {
        let nodes = ids.map(pytestNode)
        guard let rest = arguments(after: ["pytest"], in: words), onlyPytestOptions(rest),
              nodes.allSatisfy({ $0.contains("::") }) else { return nil }
        var seen = Set<String>()
        return nodes.filter { seen.insert($0).inserted }.map(ShellWord.quoted)
    }

    /// The node id a pytest id names: a subtest (`t.py::test_x (case=1)`) runs with its test,
    /// which pytest selects by the part before the description; a parameter with a space
    /// (`t.py::test_p[a b]`) stays whole.
    private static func pytestNode(_ id: String) -> String {
        guard let space = id.firstIndex(of: " ") else { return id }
        let head = id[..<space]
        return head.filter { $0 == "[" }.count == head.filter { $0 == "]" }.count ? String(head) : id
    }

    /// Options that do not select tests, with the values of those that take one (`-p no:cacheprovider`);
    /// anything else (a path, `-k`, `--lf`) could leave out a test the ids name or add others.
    private static func onlyPytestOptions(_ words: [String]) -> Bool {
        let selecting: Set = ["-k", "-m", "--lf", "--last-failed", "--ff", "--failed-first", "--deselect", "--sw", "--stepwise"]
        let takingValue: Set = ["-p", "-o", "-W", "-r", "--tb", "--maxfail", "--durations", "--color", "--import-mode",
                                "--capture", "--log-level"]
        var index = 0
        while index < words.count {
            let word = words[index]
            guard word.hasPrefix("-"), !selecting.contains(String(word.prefix { $0 != "=" })) else { return false }
            index += takingValue.contains(word) ? 2 : 1
        }
        return index == words.count
    }

    /// XCTest ids are `Class.test`; `--filter` matches `Module.Class/test`, several filters adding up.
    private static func swiftTest(_ words: [String], _ ids: [String]) -> [String]? {
        guard let rest = arguments(after: ["swift", "test"], in: words),
              !rest.contains(where: { $0 == "--filter" || $0.hasPrefix("--filter=") || !$0.hasPrefix("-") }) else { return nil }
        var filters: [String] = []
        for id in ids {
            let parts = id.split(separator: ".")
            guard parts.count == 2, parts.allSatisfy(isIdentifier) else { return nil }
            filters += ["--filter", ShellWord.quoted("(^|\\.)\(parts[0])/\(parts[1])$")]
        }
        return filters
    }

    /// Go ids are `package.TestName[/subtest]`; `-run` selects top-level names in every package.
    private static func goTest(_ words: [String], _ ids: [String]) -> [String]? {
        guard let rest = arguments(after: ["go", "test"], in: words),
              !rest.contains(where: { $0 == "-run" || $0.hasPrefix("-run=") || $0 == "--" }) else { return nil }
        var names: [String] = []
        for id in ids {
            // The package path has dots and slashes too: the name is the identifier after a dot
            // that starts like a test and ends the id or its first subtest.
            guard let range = id.range(of: #"\.(Test|Example|Fuzz)[A-Za-z0-9_]*(?=/|$)"#, options: .regularExpression)
            else { return nil }
            let name = String(id[range].dropFirst())
            if !names.contains(name) { names.append(name) }
        }
        return ["-run", ShellWord.quoted("^(" + names.joined(separator: "|") + ")$")]
    }

    /// Cargo ids are `target::path::to::test`; `--exact` names the path within each binary.
    private static func cargoTest(_ words: [String], _ ids: [String]) -> [String]? {
        guard let rest = arguments(after: ["cargo", "test"], in: words), !rest.contains("--"),
              rest.allSatisfy({ $0.hasPrefix("-") }) else { return nil }
        var names: [String] = []
        for id in ids {
            var path = id
            if let separator = id.range(of: "::") {
                let target = id[..<separator.lowerBound]
                if target.contains(" ") || target.contains("/") { path = String(id[separator.upperBound...]) }
            }
            guard path.split(separator: ":", omittingEmptySubsequences: true).allSatisfy(isIdentifier) else { return nil }
            if !names.contains(path) { names.append(path) }
        }
        return ["--", "--exact"] + names
    }

    /// Jest ids are `file › describe › test`; `--testNamePattern` matches the names joined by
    /// spaces, and the path patterns keep jest from loading the other test files.
    private static func jest(_ words: [String], _ ids: [String]) -> [String]? {
        guard let rest = arguments(after: ["jest"], in: words), rest.allSatisfy({ $0.hasPrefix("-") }),
              !rest.contains(where: { ["-t", "--testNamePattern", "--testPathPattern", "--findRelatedTests", "--onlyChanged", "-o"]
                  .contains(String($0.prefix { $0 != "=" })) }) else { return nil }
        var files: [String] = []
        var names: [String] = []
        for id in ids {
            let parts = id.components(separatedBy: " › ")
            guard parts.count >= 2, !parts.contains(where: \.isEmpty) else { return nil }
            if !files.contains(parts[0]) { files.append(parts[0]) }
            names.append(parts.dropFirst().joined(separator: " "))
        }
        return ["--testNamePattern", ShellWord.quoted("^(" + names.map(javaScriptRegexLiteral).joined(separator: "|") + ")$")]
            + files.map { ShellWord.quoted("(^|/)" + javaScriptRegexLiteral($0) + "$") }
    }

    /// Node ids are `test > subtest`; the pattern names the top-level tests, which node runs with
    /// their subtests (older releases match each subtest on its own and skip it: then the failing
    /// test does not fail again, and the whole suite judges). The option goes right after `--test`,
    /// before any file the command names.
    private static func node(_ words: [String], _ ids: [String]) -> String? {
        guard let program = words.first, program == "node" || program.hasSuffix("/node"),
              let test = words.firstIndex(of: "--test"),
              !words.contains(where: { $0.hasPrefix("--test-name-pattern") || $0.hasPrefix("--test-skip-pattern") || $0.hasPrefix("--test-only") })
        else { return nil }
        var names: [String] = []
        for id in ids {
            guard let name = id.components(separatedBy: " > ").first, !name.isEmpty else { return nil }
            if !names.contains(name) { names.append(name) }
        }
        var narrowed = words
        narrowed.insert("--test-name-pattern=" + ShellWord.quoted("^(" + names.map(javaScriptRegexLiteral).joined(separator: "|") + ")$"),
                        at: test + 1)
        return narrowed.joined(separator: " ")
    }

    /// `text` as a JavaScript regular expression that matches it literally.
    private static func javaScriptRegexLiteral(_ text: String) -> String {
        var escaped = ""
        for character in text {
            if "\\^$.*+?()[]{}|/-".contains(character) { escaped.append("\\") }
            escaped.append(character)
        }
        return escaped
    }

    private static func isIdentifier<S: StringProtocol>(_ word: S) -> Bool {
        guard let first = word.unicodeScalars.first, !CharacterSet.decimalDigits.contains(first) else { return false }
        return word.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) || $0 == "_" }
    }
}
