import AutofixTestSupport
import Foundation
import XCTest

/// `make install` and `make uninstall` with the built binary, and what git and man find after.
final class InstallTests: XCTestCase {
    private static let installedFiles = [
        "bin/git-autofix",
        "share/man/man1/git-autofix.1",
        "share/git-autofix/hooks/pre-push",
        "share/bash-completion/completions/git-autofix",
        "share/zsh/site-functions/_git-autofix",
        "share/fish/vendor_completions.d/git-autofix.fish",
    ]

    private func make(_ arguments: [String]) throws -> Shell.Output {
        // BINARY skips `swift build`: the test run already holds the build directory.
        try Shell.run(["make", "-C", SourceTree.root.path] + arguments + ["BINARY=\(BuiltProducts.executable("git-autofix").path)"])
    }

    private func regularFiles(under root: URL) -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: root.path) else { return [] }
        return walker.compactMap { $0 as? String }.filter { relative in
            var isDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: root.appendingPathComponent(relative).path, isDirectory: &isDirectory)
            return !isDirectory.boolValue
        }.sorted()
    }

    /// What a user's shell has once `prefix` is installed: its programs and man pages first.
    private func installedEnvironment(_ prefix: TemporaryDirectory) -> [String: String] {
        [
            "PATH": prefix.file("bin").path + ":" + Hermetic.environment["PATH"]!,
            "MANPATH": prefix.file("share/man").path + ":",
            "MANPAGER": "cat", "PAGER": "cat", "MANWIDTH": "100",
        ]
    }

    func testInstallPutsEveryPieceWhereGitManAndTheShellsLookAndUninstallRemovesThem() throws {
        try XCTSkipUnless(try Shell.run(["sh", "-c", "command -v make"]).succeeded, "make is not installed")
        let prefix = try TemporaryDirectory(prefix: "autofix-prefix")
        let install = try make(["install", "PREFIX=\(prefix.path)"])
        XCTAssertEqual(install.status, 0, install.stdout + install.stderr)
        XCTAssertEqual(regularFiles(under: prefix.url), Self.installedFiles.sorted())
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: prefix.file("bin/git-autofix").path))
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: prefix.file("share/git-autofix/hooks/pre-push").path))

        let environment = installedEnvironment(prefix)
        let repo = try TestRepository()
        func git(_ arguments: String...) throws -> Shell.Output {
            var env = Hermetic.environment
            for (key, value) in environment { env[key] = value }
            return try Shell.run(["git"] + arguments, in: repo.url, environment: env)
        }

        let version = try git("autofix", "--version")
        XCTAssertEqual(version.status, 0, version.stderr)
        XCTAssertTrue(version.stdout.hasPrefix("0."), version.stdout)

        for help in [try git("help", "autofix"), try git("autofix", "--help")] {
            XCTAssertEqual(help.status, 0, help.stderr)
            XCTAssertTrue(help.stdout.contains("git-autofix"), help.stdout)
            XCTAssertTrue(help.stdout.contains("PRE-PUSH HOOK"), "git found the installed man page: \(help.stdout.prefix(400))")
        }
        let whichPage = try Shell.run(["man", "-w", "git-autofix"], environment: Hermetic.environment.merging(environment) { $1 })
        XCTAssertEqual(whichPage.stdout.trimmingCharacters(in: .whitespacesAndNewlines),
                       prefix.file("share/man/man1/git-autofix.1").path)

        // The installed program finds the installed hook script by itself.
        let hook = try git("autofix", "hook", "install")
        XCTAssertEqual(hook.status, 0, hook.stderr)
        XCTAssertTrue(hook.stdout.contains("it runs: \(prefix.url.resolvingSymlinksInPath().path)/share/git-autofix/hooks/pre-push"), hook.stdout)

        // Completions: each shell accepts its script, and the script knows the commands.
        let completions = [
            ("bash", "share/bash-completion/completions/git-autofix"),
            ("zsh", "share/zsh/site-functions/_git-autofix"),
            ("fish", "share/fish/vendor_completions.d/git-autofix.fish"),
        ]
        for (shell, relative) in completions {
            let script = try String(contentsOf: prefix.file(relative), encoding: .utf8)
            XCTAssertTrue(script.contains("snapshot") && script.contains("hook") && script.contains("uninstall"), relative)
            guard try Shell.run(["sh", "-c", "command -v \(shell)"]).succeeded else { continue }
            let check = try Shell.run([shell, "-n", prefix.file(relative).path])
            XCTAssertEqual(check.status, 0, "\(shell) -n \(relative): \(check.stderr)")
        }
        let bash = try Shell.run(["bash", "-c", "source '\(prefix.file(completions[0].1).path)' && complete -p git-autofix"])
        XCTAssertEqual(bash.status, 0, bash.stderr)

        let uninstall = try make(["uninstall", "PREFIX=\(prefix.path)"])
        XCTAssertEqual(uninstall.status, 0, uninstall.stderr)
        XCTAssertEqual(regularFiles(under: prefix.url), [])
    }

    /// `git autofix <TAB>` goes through git's own bash completion, which loads our script and
    /// calls `_git_autofix`; the installed binary then answers as for `git-autofix <TAB>`.
    func testGitsOwnBashCompletionCompletesTheSubcommand() throws {
        try XCTSkipUnless(try Shell.run(["sh", "-c", "command -v make && command -v bash"]).succeeded, "make or bash is not installed")
        let gitCompletion = "/usr/share/bash-completion/completions/git"
        guard FileManager.default.fileExists(atPath: gitCompletion) else {
            throw XCTSkip("git's bash completion is not at \(gitCompletion), so `git autofix <TAB>` cannot be tried here")
        }
        let prefix = try TemporaryDirectory(prefix: "autofix-prefix")
        let install = try make(["install", "PREFIX=\(prefix.path)"])
        XCTAssertEqual(install.status, 0, install.stdout + install.stderr)
        let script = prefix.file("share/bash-completion/completions/git-autofix")
        let environment = installedEnvironment(prefix)
        let complete = """
            source \(gitCompletion); source "$1"
            COMP_LINE="$2"; read -ra COMP_WORDS <<<"$2"; [[ "$2" == *" " ]] && COMP_WORDS+=("")
            COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMP_POINT=${#COMP_LINE}
            __git_wrap__git_main; printf '%s\\n' "${COMPREPLY[@]}"
            """
        let cases = [
            ("git autofix sn", ["snapshot"]),
            ("git -C /tmp autofix d", ["doctor", "drop"]),
            ("git autofix snapshot --j", ["--json"]),
        ]
        for (line, expected) in cases {
            let output = try Shell.run(["bash", "-c", complete, "bash", script.path, line],
                                       environment: Hermetic.environment.merging(environment) { $1 })
            XCTAssertEqual(output.stdout.split(separator: "\n").map(String.init).sorted(), expected, "\(line): \(output.stderr)")
        }
    }

    func testDestdirStagesUnderThePrefixForPackaging() throws {
        try XCTSkipUnless(try Shell.run(["sh", "-c", "command -v make"]).succeeded, "make is not installed")
        let stage = try TemporaryDirectory(prefix: "autofix-stage")
        let install = try make(["install", "PREFIX=/usr/local", "DESTDIR=\(stage.path)"])
        XCTAssertEqual(install.status, 0, install.stdout + install.stderr)
        XCTAssertEqual(regularFiles(under: stage.url), Self.installedFiles.map { "usr/local/" + $0 }.sorted())
        let uninstall = try make(["uninstall", "PREFIX=/usr/local", "DESTDIR=\(stage.path)"])
        XCTAssertEqual(uninstall.status, 0, uninstall.stderr)
        XCTAssertEqual(regularFiles(under: stage.url), [])
    }
}
