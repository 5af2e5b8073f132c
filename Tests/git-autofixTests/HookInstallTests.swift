import AutofixTestSupport
import XCTest

/// `git autofix hook install|uninstall|status` on real repositories, and pushes through the result.
final class HookInstallTests: XCTestCase {
    private let userHook = """
        #!/usr/bin/env bash
        # the team's own checks
        echo "user hook: remote $1" >&2
        while read -r local_ref local_oid remote_ref remote_oid; do
            echo "$local_ref $remote_ref" >>"$(git rev-parse --git-dir)/user-hook-saw"
        done
        exit 0

        """

    private func hookFile(_ fixture: PushFixture, _ relative: String = ".git/hooks/pre-push") -> URL {
        fixture.local.url.appendingPathComponent(relative)
    }

    private func read(_ url: URL) throws -> String { try String(contentsOf: url, encoding: .utf8) }

    private func mode(_ url: URL) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: url.path)[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    private func autofix(_ arguments: [String], _ fixture: PushFixture) throws -> Shell.Output {
        try AutofixCLI.run(arguments, in: fixture.local.url)
    }

    func testFreshInstallCreatesAnExecutableHookAndUninstallDeletesIt() throws {
        let fixture = try PushFixture(installHook: false)
        let before = try autofix(["hook", "status"], fixture)
        XCTAssertEqual(before.status, 0, before.stderr)
        XCTAssertTrue(before.stdout.contains("not installed"), before.stdout)

        let install = try autofix(["hook", "install", "--script", SourceTree.prePushScript.path], fixture)
        XCTAssertEqual(install.status, 0, install.stderr)
        XCTAssertTrue(install.stdout.contains("Created"), install.stdout)
        let hook = hookFile(fixture)
        XCTAssertEqual(try mode(hook), 0o755)
        let text = try read(hook)
        XCTAssertTrue(text.hasPrefix("#!/bin/sh\n# >>> git-autofix >>>\n"), text)
        XCTAssertTrue(text.hasSuffix("# <<< git-autofix <<<\n"), text)

        let again = try autofix(["hook", "install", "--script", SourceTree.prePushScript.path], fixture)
        XCTAssertTrue(again.stdout.contains("already installed"), again.stdout)
        XCTAssertEqual(try read(hook), text, "installing twice changes nothing")

        let status = try autofix(["hook", "status"], fixture)
        XCTAssertTrue(status.stdout.contains("state:     installed"), status.stdout)
        XCTAssertTrue(status.stdout.contains(SourceTree.prePushScript.path), status.stdout)
        XCTAssertTrue(status.stdout.contains("autofix.prePush"), status.stdout)

        let uninstall = try autofix(["hook", "uninstall"], fixture)
        XCTAssertEqual(uninstall.status, 0, uninstall.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: hook.path), "a hook that only held the block is removed")
        XCTAssertTrue(try autofix(["hook", "uninstall"], fixture).stdout.contains("not installed"))
    }

    func testInstallWithoutATestCommandSuggestsTheOneItDetects() throws {
        let fixture = try PushFixture(installHook: false)
        try fixture.local.git("config", "--unset", "autofix.testCommand")
        try fixture.local.write("Package.swift", "// swift-tools-version:5.9\n")
        let install = try autofix(["hook", "install", "--script", SourceTree.prePushScript.path], fixture)
        XCTAssertEqual(install.status, 0, install.stderr)
        XCTAssertTrue(install.stdout.contains("Found Package.swift"), install.stdout)
        XCTAssertTrue(install.stdout.contains("git config autofix.testCommand 'swift test'"), install.stdout)
        XCTAssertEqual(try? fixture.local.git("config", "--get", "autofix.testCommand"), nil, "install must not set it by itself")
    }

    func testExistingUserHookIsKeptThroughInstallPushAndUninstall() throws {
        let fixture = try PushFixture(installHook: false)
        let hook = hookFile(fixture)
        try fixture.local.write(".git/hooks/pre-push", userHook, executable: true)
        try FileManager.default.setAttributes([.posixPermissions: 0o750], ofItemAtPath: hook.path)

        let install = try autofix(["hook", "install", "--script", SourceTree.prePushScript.path], fixture)
        XCTAssertEqual(install.status, 0, install.stderr)
        XCTAssertTrue(install.stdout.contains("existing"), install.stdout)
        let installed = try read(hook)
        XCTAssertTrue(installed.hasPrefix("#!/usr/bin/env bash\n# >>> git-autofix >>>\n"), installed)
        XCTAssertTrue(installed.hasSuffix(String(userHook.drop { $0 != "\n" }.dropFirst())), "the user's code follows unchanged")
        XCTAssertEqual(try mode(hook), 0o750, "the file keeps its permissions")

        // Both run on one push, and the user's code still reads git's ref lines.
        let head = try fixture.commit(passing: true, "passing")
        let push = try fixture.push("origin", "main")
        XCTAssertEqual(push.status, 0, push.stderr)
        XCTAssertTrue(push.stderr.contains("tests pass on refs/heads/main"), push.stderr)
        XCTAssertTrue(push.stderr.contains("user hook: remote origin"), push.stderr)
        XCTAssertEqual(try read(fixture.local.url.appendingPathComponent(".git/user-hook-saw")), "refs/heads/main refs/heads/main\n")
        XCTAssertEqual(fixture.testedCommits(), [head])

        // A failing commit is blocked before the user's code runs.
        try fixture.commit(passing: false, "failing")
        XCTAssertNotEqual(try fixture.push("origin", "main").status, 0)

        let uninstall = try autofix(["hook", "uninstall"], fixture)
        XCTAssertEqual(uninstall.status, 0, uninstall.stderr)
        XCTAssertTrue(uninstall.stdout.contains("the rest of the hook is unchanged"), uninstall.stdout)
        XCTAssertEqual(try read(hook), userHook, "byte for byte what the user had")
        XCTAssertEqual(try mode(hook), 0o750)
    }

    func testCoreHooksPathIsWhereTheHookGoes() throws {
        let fixture = try PushFixture(installHook: false)
        try fixture.local.git("config", "core.hooksPath", ".githooks")
        let install = try autofix(["hook", "install", "--script", SourceTree.prePushScript.path], fixture)
        XCTAssertEqual(install.status, 0, install.stderr)
        XCTAssertTrue(install.stdout.contains("inside your work tree"), install.stdout)
        XCTAssertTrue(FileManager.default.fileExists(atPath: hookFile(fixture, ".githooks/pre-push").path))
        XCTAssertFalse(FileManager.default.fileExists(atPath: hookFile(fixture).path), ".git/hooks is not used")
        XCTAssertTrue(try autofix(["hook", "status"], fixture).stdout.contains("(core.hooksPath)"))

        try fixture.commit(passing: false, "failing")
        let blocked = try fixture.push("origin", "main")
        XCTAssertNotEqual(blocked.status, 0, "git ran the hook from core.hooksPath")
        XCTAssertTrue(blocked.stderr.contains("push blocked"), blocked.stderr)
        XCTAssertNil(try fixture.remote.commit(at: "refs/heads/main"))

        // An absolute hooksPath outside the repository, as shared hook directories are.
        let shared = try TemporaryDirectory(prefix: "autofix-shared-hooks")
        try fixture.local.git("config", "core.hooksPath", shared.path)
        XCTAssertEqual(try autofix(["hook", "install", "--script", SourceTree.prePushScript.path], fixture).status, 0)
        XCTAssertTrue(FileManager.default.fileExists(atPath: shared.file("pre-push").path))
        XCTAssertEqual(try autofix(["hook", "uninstall"], fixture).status, 0)
        XCTAssertFalse(FileManager.default.fileExists(atPath: shared.file("pre-push").path))
    }

    func testCoreHooksPathToAFileIsRefusedWithWhatToDo() throws {
        let fixture = try PushFixture(installHook: false)
        try fixture.local.write("hooks-file", "not a directory\n")
        try fixture.local.git("config", "core.hooksPath", "hooks-file")
        for command in [["hook", "install", "--script", SourceTree.prePushScript.path], ["hook", "status"], ["hook", "uninstall"]] {
            let output = try autofix(command, fixture)
            XCTAssertEqual(output.status, 2, "\(command): \(output.stderr)")
            XCTAssertTrue(output.stderr.contains("core.hooksPath"), output.stderr)
            XCTAssertTrue(output.stderr.contains("hooks-file"), output.stderr)
            XCTAssertTrue(output.stderr.contains("not a directory"), output.stderr)
            XCTAssertTrue(output.stderr.contains("hint: "), output.stderr)
            XCTAssertFalse(output.stderr.contains("NSCocoaErrorDomain"), output.stderr)
        }
        XCTAssertEqual(try read(fixture.local.url.appendingPathComponent("hooks-file")), "not a directory\n", "left as it was")

        try fixture.local.git("config", "core.hooksPath", "hooks-file/inside")
        let below = try autofix(["hook", "install", "--script", SourceTree.prePushScript.path], fixture)
        XCTAssertEqual(below.status, 2, below.stderr)
        XCTAssertTrue(below.stderr.contains("hooks-file"), below.stderr)
        XCTAssertFalse(below.stderr.contains("NSCocoaErrorDomain"), below.stderr)
    }

    func testAMissingCoreHooksPathDirectoryIsCreatedAndSaidSo() throws {
        let fixture = try PushFixture(installHook: false)
        try fixture.local.git("config", "core.hooksPath", "team/hooks")
        let status = try autofix(["hook", "status"], fixture)
        XCTAssertEqual(status.status, 0, status.stderr)
        XCTAssertTrue(status.stdout.contains("does not exist"), status.stdout)
        let install = try autofix(["hook", "install", "--script", SourceTree.prePushScript.path], fixture)
        XCTAssertEqual(install.status, 0, install.stderr)
        XCTAssertTrue(install.stdout.contains("Created the hooks directory"), install.stdout)
        XCTAssertTrue(install.stdout.contains("team/hooks"), install.stdout)
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: hookFile(fixture, "team/hooks/pre-push").path))
        let again = try autofix(["hook", "install", "--script", SourceTree.prePushScript.path], fixture)
        XCTAssertFalse(again.stdout.contains("Created the hooks directory"), again.stdout)
    }

    func testInstallRefusesHooksItWouldBreakAndSaysWhatToDo() throws {
        let fixture = try PushFixture(installHook: false)
        let script = SourceTree.prePushScript.path

        try fixture.local.write(".git/hooks/pre-push", "#!/bin/sh\nexit 1\n")
        let disabled = try autofix(["hook", "install", "--script", script], fixture)
        XCTAssertEqual(disabled.status, 2)
        XCTAssertTrue(disabled.stderr.contains("not executable"), disabled.stderr)
        XCTAssertTrue(disabled.stderr.contains("hint: make it executable"), disabled.stderr)
        XCTAssertEqual(try read(hookFile(fixture)), "#!/bin/sh\nexit 1\n", "left untouched")

        try fixture.local.write(".git/hooks/pre-push", "#!/usr/bin/env python3\nprint('hi')\n", executable: true)
        let python = try autofix(["hook", "install", "--script", script], fixture)
        XCTAssertEqual(python.status, 2)
        XCTAssertTrue(python.stderr.contains("python3 script"), python.stderr)

        try fixture.local.write(".git/hooks/pre-push", "#!/bin/sh\n# >>> git-autofix >>>\necho half\n", executable: true)
        let broken = try autofix(["hook", "install", "--script", script], fixture)
        XCTAssertEqual(broken.status, 2)
        XCTAssertTrue(broken.stderr.contains("line 2"), broken.stderr)
        XCTAssertEqual(try autofix(["hook", "uninstall"], fixture).status, 2, "uninstall does not guess either")

        let missing = try autofix(["hook", "install", "--script", "/nonexistent/pre-push"], fixture)
        XCTAssertEqual(missing.status, 2)
        XCTAssertTrue(missing.stderr.contains("/nonexistent/pre-push"), missing.stderr)
    }

    func testABlockWhoseScriptVanishedWarnsAndLetsThePushThrough() throws {
        let fixture = try PushFixture(installHook: false)
        let copy = try TemporaryDirectory(prefix: "autofix-script")
        let script = copy.file("pre-push")
        try FileManager.default.copyItem(at: SourceTree.prePushScript, to: script)
        XCTAssertEqual(try autofix(["hook", "install", "--script", script.path], fixture).status, 0)
        try FileManager.default.removeItem(at: script)

        let status = try autofix(["hook", "status"], fixture)
        XCTAssertTrue(status.stdout.contains("script it calls is missing"), status.stdout)
        try fixture.commit(passing: false, "failing")
        let push = try fixture.push("origin", "main")
        XCTAssertEqual(push.status, 0, push.stderr)
        XCTAssertTrue(push.stderr.contains("was not tested"), push.stderr)
    }

    func testTheBuiltBinaryFindsTheSourceTreeScriptWithoutAnOption() throws {
        let fixture = try PushFixture(installHook: false)
        let install = try autofix(["hook", "install"], fixture)
        XCTAssertEqual(install.status, 0, install.stderr)
        XCTAssertTrue(install.stdout.contains("it runs: \(SourceTree.prePushScript.resolvingSymlinksInPath().path)"), install.stdout)
    }

    func testPreCommitFrameworkRunsTheHookFromTheManifest() throws {
        let preCommit = try Shell.run(["pre-commit", "--version"])
        try XCTSkipUnless(preCommit.succeeded, "the pre-commit framework is not installed")
        // A repository holding the manifest and the script, as pre-commit clones it.
        let hooksRepo = try TestRepository(prefix: "autofix-hooks-repo")
        try hooksRepo.write(".pre-commit-hooks.yaml", String(contentsOf: SourceTree.root.appendingPathComponent(".pre-commit-hooks.yaml"), encoding: .utf8))
        try hooksRepo.write("hooks/pre-push", String(contentsOf: SourceTree.prePushScript, encoding: .utf8), executable: true)
        let rev = try hooksRepo.commitAll("hooks")

        let fixture = try PushFixture(installHook: false)
        let cache = try TemporaryDirectory(prefix: "autofix-pre-commit-cache")
        let environment = ["PRE_COMMIT_HOME": cache.path]
        try fixture.local.write(".pre-commit-config.yaml", """
            repos:
              - repo: \(hooksRepo.path)
                rev: \(rev)
                hooks:
                  - id: git-autofix

            """)
        try fixture.local.git("add", ".pre-commit-config.yaml")
        try Shell.check(["pre-commit", "install", "--hook-type", "pre-push"], in: fixture.local.url,
                        environment: GitDirectory.environment(environment))

        let good = try fixture.commit(passing: true, "passing")
        let pass = try fixture.push("origin", "main", environment: environment)
        XCTAssertEqual(pass.status, 0, pass.stdout + pass.stderr)
        XCTAssertEqual(try fixture.remote.commit(at: "refs/heads/main"), good)

        let bad = try fixture.commit(passing: false, "failing")
        let blocked = try fixture.push("origin", "main", environment: environment)
        XCTAssertNotEqual(blocked.status, 0, blocked.stdout + blocked.stderr)
        XCTAssertTrue((blocked.stdout + blocked.stderr).contains("FAIL: test_answer"), blocked.stdout + blocked.stderr)
        XCTAssertEqual(try fixture.remote.commit(at: "refs/heads/main"), good)
        XCTAssertEqual(fixture.testedCommits().suffix(1), [bad], "pre-commit handed over the pushed commit")
    }
}
