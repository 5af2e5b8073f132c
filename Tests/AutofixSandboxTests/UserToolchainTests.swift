import AutofixTestSupport
import Foundation
import XCTest
@testable import AutofixSandbox

/// The test command must behave in the sandbox as in the user's shell: with an activated
/// virtualenv, a project `.venv`, pyenv, rustup and nvm, each laid out here as those tools lay
/// themselves out.
final class UserToolchainTests: XCTestCase {
    private var scratch: TemporaryDirectory!
    private var checkout: URL { scratch.url.appendingPathComponent("checkout") }
    private var home: URL { scratch.url.appendingPathComponent("home") }

    override func setUpWithError() throws {
        scratch = try TemporaryDirectory(prefix: "autofix-user-toolchains")
        for directory in [checkout, home] {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        }
    }

    private func write(_ text: String, to path: String, executable: Bool = false) throws {
        let url = scratch.url.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
        if executable { try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: url.path) }
    }

    private func path(_ relative: String) -> String { scratch.url.appendingPathComponent(relative).path }

    private func run(_ command: String, environment: [String: String], project: URL? = nil) async throws -> SandboxResult {
        var host = environment
        host["HOME"] = home.path
        let discovery = ToolchainDiscovery(environment: host)
        let sandbox = BubblewrapSandbox(program: "/usr/bin/bwrap", discovery: discovery)
        return try await sandbox.run(SandboxRequest(command: command, workDirectory: checkout,
                                                    limits: SandboxLimits(timeout: 60), projectDirectory: project))
    }

    /// A Python installation outside /usr (as pyenv, uv or a build from source make), and a
    /// virtualenv made from it with a stand-in pytest: PyPI is not reachable from the tests.
    private func makeVenv(at venv: String, base: String? = nil) throws {
        var python = "/usr/bin/python3"
        if let base {
            try FileManager.default.createDirectory(atPath: path(base + "/lib"), withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: path(base + "/bin"), withIntermediateDirectories: true)
            let real = URL(fileURLWithPath: "/usr/bin/python3").resolvingSymlinksInPath()
            try FileManager.default.copyItem(atPath: real.path, toPath: path(base + "/bin/" + real.lastPathComponent))
            try FileManager.default.createSymbolicLink(atPath: path(base + "/lib/" + real.lastPathComponent),
                                                       withDestinationPath: "/usr/lib/" + real.lastPathComponent)
            python = path(base + "/bin/" + real.lastPathComponent)
        }
        try Shell.check([python, "-m", "venv", "--without-pip", path(venv)])
        let sitePackages = try Shell.check([path(venv + "/bin/python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"])
            .trimmingCharacters(in: .whitespacesAndNewlines)
        try write("def console_main():\n    import sys\n    print('venv pytest 9.2 from', sys.prefix)\n",
                  to: String(sitePackages.dropFirst(scratch.url.path.count + 1)) + "/pytest/__init__.py")
        try write("from pytest import console_main\nconsole_main()\n",
                  to: String(sitePackages.dropFirst(scratch.url.path.count + 1)) + "/pytest/__main__.py")
        try write("#!\(path(venv + "/bin/python"))\nfrom pytest import console_main\nconsole_main()\n",
                  to: venv + "/bin/pytest", executable: true)
    }

    func testActivatedVirtualenvRunsItsOwnPytestWhoseInterpreterLivesOutsideUsr() async throws {
        try makeVenv(at: "venv", base: "python-base")
        let result = try await run("pytest && echo \"VIRTUAL_ENV=$VIRTUAL_ENV\"", environment: [
            "PATH": path("venv/bin") + ":/usr/bin:/bin", "VIRTUAL_ENV": path("venv"),
        ])
        XCTAssertTrue(result.succeeded, result.combinedOutput)
        XCTAssertTrue(result.stdout.contains("venv pytest 9.2 from \(path("venv"))"), result.combinedOutput)
        XCTAssertTrue(result.stdout.contains("VIRTUAL_ENV=\(path("venv"))"), result.combinedOutput)
    }

    func testRelativeCommandNamesTheProjectsIgnoredVenv() async throws {
        try makeVenv(at: "project/.venv")
        let result = try await run(".venv/bin/python -m pytest -q", environment: ["PATH": "/usr/bin:/bin"],
                                   project: scratch.url.appendingPathComponent("project"))
        XCTAssertEqual(result.exitCode, 0, result.combinedOutput)
        XCTAssertTrue(result.stdout.contains("venv pytest 9.2 from \(checkout.path)/.venv"), result.combinedOutput)
    }

    func testPyenvShimWithPyenvInstalledOutsideItsRoot() async throws {
        try write("#!/bin/sh\necho \"Python 3.12.0 of pyenv\"\n", to: "pyenv-root/versions/3.12.0/bin/python3", executable: true)
        try write("""
            #!/bin/sh
            [ -x "$PYENV_ROOT/versions/3.12.0/bin/python3" ] || { echo "pyenv: version not found" >&2; exit 127; }
            exec "$PYENV_ROOT/versions/3.12.0/bin/python3" "$@"

            """, to: "pyenv-root/shims/python3", executable: true)
        // pyenv from a package manager: its program is on PATH, not in PYENV_ROOT.
        try write("#!/bin/sh\n[ \"$1\" = which ] && echo \"$PYENV_ROOT/versions/3.12.0/bin/$2\"\n",
                  to: "packages/bin/pyenv", executable: true)
        let result = try await run("python3 --version && echo \"PYENV_ROOT=$PYENV_ROOT\"", environment: [
            "PATH": path("pyenv-root/shims") + ":" + path("packages/bin") + ":/usr/bin:/bin", "PYENV_ROOT": path("pyenv-root"),
        ])
        XCTAssertTrue(result.succeeded, result.combinedOutput)
        XCTAssertTrue(result.stdout.contains("Python 3.12.0 of pyenv"), result.combinedOutput)
        XCTAssertTrue(result.stdout.contains("PYENV_ROOT=\(path("pyenv-root"))"), result.combinedOutput)
    }

    func testRustupProxyFindsItsToolchainThroughRustupHome() async throws {
        let toolchain = "home/.rustup/toolchains/stable-x86_64-unknown-linux-gnu"
        try write("#!/bin/sh\necho \"test result: ok. 1 passed; CARGO_HOME=$CARGO_HOME\"\n", to: toolchain + "/bin/cargo", executable: true)
        try write("default_toolchain = \"stable-x86_64-unknown-linux-gnu\"\n", to: "home/.rustup/settings.toml")
        try write("""
            #!/bin/sh
            toolchain="${RUSTUP_HOME:-$HOME/.rustup}/toolchains/stable-x86_64-unknown-linux-gnu"
            [ -x "$toolchain/bin/cargo" ] || { echo "error: rustup could not choose a version of cargo to run" >&2; exit 1; }
            exec "$toolchain/bin/cargo" "$@"

            """, to: "home/.cargo/bin/cargo", executable: true)
        let result = try await run("cargo test", environment: ["PATH": path("home/.cargo/bin") + ":/usr/bin:/bin"])
        XCTAssertTrue(result.succeeded, result.combinedOutput)
        XCTAssertTrue(result.stdout.contains("test result: ok. 1 passed; CARGO_HOME=\(path("home/.cargo"))"), result.combinedOutput)
    }

    func testNvmNodeAndItsNpmScript() async throws {
        let version = "home/.nvm/versions/node/v20.11.0"
        try write("#!/bin/sh\necho \"node v20.11.0 runs ${1##*/}\"\n", to: version + "/bin/node", executable: true)
        try write("#!/usr/bin/env node\n", to: version + "/lib/node_modules/npm/bin/npm-cli.js", executable: true)
        try FileManager.default.createSymbolicLink(atPath: path(version + "/bin/npm"),
                                                   withDestinationPath: "../lib/node_modules/npm/bin/npm-cli.js")
        let result = try await run("npm test && echo \"NVM_DIR=$NVM_DIR\"", environment: [
            "PATH": path(version + "/bin") + ":/usr/bin:/bin", "NVM_DIR": path("home/.nvm"),
        ])
        XCTAssertTrue(result.succeeded, result.combinedOutput)
        XCTAssertTrue(result.stdout.contains("node v20.11.0 runs npm"), result.combinedOutput)
        XCTAssertTrue(result.stdout.contains("NVM_DIR=\(path("home/.nvm"))"), result.combinedOutput)
    }
}
