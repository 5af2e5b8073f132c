import AutofixTestSupport
import Foundation
import XCTest

/// The man page renders cleanly and documents every command and option `--help` shows, every
/// setting, variable and exit code.
final class ManPageTests: XCTestCase {
    static let page = SourceTree.root.appendingPathComponent("man/git-autofix.1")

    private func requireTool(_ name: String) throws {
        let found = try Shell.run(["sh", "-c", "command -v \(name)"])
        try XCTSkipUnless(found.succeeded, "\(name) is not installed (.ci/run installs it)")
    }

    /// The page as a reader sees it, without the overstrike sequences for bold and underline.
    static func rendered() throws -> String {
        let output = try Shell.check(["mandoc", "-T", "ascii", "-O", "width=200", page.path])
        return output.replacingOccurrences(of: ".\u{8}", with: "", options: .regularExpression)
    }

    func testMandocLintAndGroffFindNothing() throws {
        try requireTool("mandoc")
        let lint = try Shell.run(["mandoc", "-T", "lint", Self.page.path])
        // mandoc also reports on the machine's own manual database; only findings in our page count.
        let findings = (lint.stdout + lint.stderr).split(separator: "\n").filter { $0.contains("git-autofix.1:") }.map(String.init)
        XCTAssertEqual(findings, [], "mandoc -T lint")
        XCTAssertEqual(lint.status, 0, lint.stderr)

        try requireTool("groff")
        let groff = try Shell.run(["groff", "-ww", "-mandoc", "-z", Self.page.path])
        XCTAssertEqual(groff.status, 0)
        XCTAssertEqual(groff.stderr, "", "groff -ww")
    }

    func testEveryCommandAndOptionInHelpIsInTheManPage() throws {
        try requireTool("mandoc")
        let text = try Self.rendered()
        let dir = try TemporaryDirectory()
        let commands = try HelpTree.commands(in: dir.url)
        XCTAssertTrue(commands.contains { $0.path == ["hook", "install"] }, "nested commands are found: \(commands.map(\.path))")
        XCTAssertGreaterThan(commands.count, 8)
        for command in commands {
            let name = command.path.joined(separator: " ")
            if !command.path.isEmpty {
                XCTAssertTrue(text.contains(name), "the man page has no `\(name)`")
            }
            for option in command.options {
                XCTAssertTrue(HelpTree.mentions(text, option: option),
                              "`git autofix \(name) --help` shows \(option), the man page does not")
            }
        }
    }

    func testEveryOptionInTheManPageExistsInHelp() throws {
        try requireTool("mandoc")
        let text = try Self.rendered()
        let dir = try TemporaryDirectory()
        let commands = try HelpTree.commands(in: dir.url)
        let known = Set(commands.flatMap(\.options))
        // Long options written in the page's own paragraphs (examples use them too).
        let documented = Set(HelpTree.longOptions(in: text))
        var unknown = documented.subtracting(known).subtracting(HelpTree.gitOptions)
        let root = try XCTUnwrap(commands.first { $0.path.isEmpty })
        if !root.hasDefaultSubcommand && root.options.allSatisfy({ ["--version", "-h", "--help"].contains($0) }) {
            // A build without the repair command (`git autofix` with no command) cannot show its
            // options; those are the ones the page lists before the other commands.
            let start = try XCTUnwrap(text.range(of: "Without a command"))
            let end = try XCTUnwrap(text.range(of: "The commands are:"))
            let repairOptions = Set(HelpTree.longOptions(in: String(text[start.upperBound..<end.lowerBound])))
            print("note: this build has no repair command; not comparing \(repairOptions.sorted())")
            unknown.subtract(repairOptions)
        }
        XCTAssertEqual(unknown.sorted(), [], "the man page documents options no --help shows")
    }

    func testSettingsEnvironmentExitCodesRefsAndTrailersAreDocumented() throws {
        try requireTool("mandoc")
        let text = try Self.rendered()
        let keys = [
            "autofix.endpoint", "autofix.model", "autofix.testCommand", "autofix.sandbox", "autofix.maxRounds",
            "autofix.testTimeout", "autofix.timeout", "autofix.temperature", "autofix.topP", "autofix.maxDiffTokens",
            "autofix.editFormat", "autofix.protect", "autofix.sandboxBind", "autofix.sandboxEnv", "autofix.image",
            "autofix.prePush", "autofix.warmBuilds",
        ]
        let environment = ["AUTOFIX_ENDPOINT", "AUTOFIX_MODEL", "AUTOFIX_API_KEY", "MISTRAL_API_KEY", "OPENAI_API_KEY", "NO_COLOR"]
        let files = ["refs/autofix/<branch>/<run-id>", "refs/autofix-backup/<id>", "refs/notes/autofix"]
        let trailers = ["Autofix-Run", "Autofix-Round", "Autofix-Model", "Autofix-Test-Command", "Autofix-Failing",
                        "Autofix-Snapshot", "Autofix-Index-Tree"]
        for word in keys + environment + files + trailers + ["block", "warn", "fix", "# >>> git-autofix >>>"] {
            XCTAssertTrue(text.contains(word), "the man page does not mention \(word)")
        }
        let exitStatus = try XCTUnwrap(text.range(of: "\nEXIT STATUS\n")).upperBound
        let section = String(text[exitStatus...].prefix(1200))
        for (code, words) in [(0, "Success"), (1, "tests still fail"), (2, "usage or configuration"),
                              (3, "model or endpoint"), (4, "sandbox"), (5, "git error")] {
            XCTAssertNotNil(section.range(of: "\\b\(code)\\s+[^\\n]*\(words)", options: [.regularExpression, .caseInsensitive]),
                            "exit status \(code) (\(words)) is not documented: \(section)")
        }
    }
}

/// Walks `git-autofix --help` and every subcommand's help, as printed by the built binary.
enum HelpTree {
    struct Command {
        let path: [String]
        let options: [String]
        /// Runs a subcommand when given none (the repair, `git autofix` alone).
        let hasDefaultSubcommand: Bool
    }

    /// Options that belong to git commands quoted in the page, not to git-autofix.
    static let gitOptions: Set<String> = ["--no-verify", "--local-env-vars", "--hook-type", "--autosquash"]

    static func commands(in directory: URL) throws -> [Command] {
        var result: [Command] = []
        var queue: [[String]] = [[]]
        while !queue.isEmpty {
            let path = queue.removeFirst()
            let help = try AutofixCLI.run(path + ["--help"], in: directory)
            XCTAssertEqual(help.status, 0, "git-autofix \(path.joined(separator: " ")) --help: \(help.stderr)")
            result.append(Command(path: path, options: options(in: help.stdout),
                                  hasDefaultSubcommand: section("SUBCOMMANDS", of: help.stdout).contains { $0.contains("(default)") }))
            queue += subcommands(in: help.stdout).map { path + [$0] }
        }
        return result
    }

    static func section(_ name: String, of help: String) -> [Substring] {
        let lines = help.split(separator: "\n", omittingEmptySubsequences: false)
        guard let start = lines.firstIndex(where: { $0.hasPrefix(name + ":") }) else { return [] }
        return Array(lines[(start + 1)...].prefix { !$0.hasSuffix(":") || $0.hasPrefix(" ") })
    }

    static func subcommands(in help: String) -> [String] {
        section("SUBCOMMANDS", of: help).compactMap { line in
            guard line.hasPrefix("  "), !line.hasPrefix("   ") else { return nil }
            let word = line.dropFirst(2).prefix { !$0.isWhitespace }
            guard let first = word.first, first.isLowercase, word != "help" else { return nil }
            return String(word)
        }
    }

    static func options(in help: String) -> [String] {
        section("OPTIONS", of: help).flatMap { line -> [String] in
            guard line.hasPrefix("  -") else { return [] }
            // The names column ends at the first run of two spaces; value names are in <>.
            let names = (line.dropFirst(2).components(separatedBy: "  ").first ?? "")
                .replacingOccurrences(of: "<[^>]*>", with: "", options: .regularExpression)
            return matches(of: "(?<![\\w-])--?[A-Za-z0-9][A-Za-z0-9-]*", in: names)
        }
    }

    static func longOptions(in text: String) -> [String] {
        matches(of: "(?<![\\w-])--[a-z][a-z0-9-]*", in: text)
    }

    static func mentions(_ text: String, option: String) -> Bool {
        let escaped = NSRegularExpression.escapedPattern(for: option)
        return !matches(of: "(?<![\\w-])\(escaped)(?![\\w-])", in: text).isEmpty
    }

    static func matches(of pattern: String, in text: String) -> [String] {
        guard let regex = try? NSRegularExpression(pattern: pattern) else { return [] }
        let range = NSRange(text.startIndex..., in: text)
        return regex.matches(in: text, range: range).compactMap { Range($0.range, in: text).map { String(text[$0]) } }
    }
}
