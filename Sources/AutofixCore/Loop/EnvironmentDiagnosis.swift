import AutofixSandbox
import AutofixSupport
import AutofixTestReport
import Foundation

/// Tells a failure of the sandbox's environment from a failure of the code: the test command
/// (or a program it starts) is not found, a toolchain cannot start (rustup without a toolchain,
/// pyenv without the version, a script without its interpreter), or a module the host's Python
/// imports is missing inside. A model cannot fix any of these, so a run stops before round 1 and
/// doctor fails its test run, each with the one setting that helps, looked up on the host.
public struct EnvironmentDiagnosis {
    let command: String
    let sandbox: SandboxSettings
    /// The user's environment: PATH, HOME, VIRTUAL_ENV, PYTHONPATH, RUSTUP_HOME, PYENV_ROOT.
    let environment: [String: String]
    /// The work tree, where a relative program and a project's virtualenv are.
    let project: URL?

    public init(settings: RepairSettings, environment: [String: String], project: URL?) {
        command = settings.testCommand
        sandbox = settings.sandboxSettings
        self.environment = environment
        self.project = project
    }

    /// The error to stop with, or nil when the code may be what fails.
    public func diagnose(output: String, exitCode: Int32?, report: TestReport) -> RunError? {
        // Tests that passed ran in this environment; a failure left to fix is the code's.
        guard let exitCode, exitCode != 0, !report.timedOut, report.passingCount == 0 else { return nil }
        let lines = output.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        if let failure = toolchainFailure(lines) ?? missingInterpreter(lines) { return failure }
        if report.isExitCodeFallback, exitCode == 126 || exitCode == 127 {
            return RunError.testCommandNotRunnable(command: command, sandbox: sandbox.backend, exitCode: exitCode, output: output,
                                                   fix: notRunnableFix(lines))
        }
        return missingModule(lines)
    }

    private var home: String? { environment["HOME"] }
    private var hostPath: String { environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin" }

    // MARK: Commands

    /// The program the shell could not find (`sh: 1: NAME: not found`), else the command's first word.
    private func missingProgram(_ lines: [String]) -> String? {
        for line in lines where line.hasSuffix(": not found") || line.hasSuffix(": command not found") {
            let parts = line.components(separatedBy: ": ")
            if parts.count >= 3 { return parts[parts.count - 2] }
        }
        return Doctor.program(of: command)
    }

    private func notRunnableFix(_ lines: [String]) -> String {
        guard let name = missingProgram(lines) else { return "set the test command: git config \(ConfigKey.testCommand) '<command>'" }
        guard let found = hostExecutable(name) else {
            return "`\(name)` is not found on this machine either: install it, or set the test command: git config \(ConfigKey.testCommand) '<command>'"
        }
        if let interpreter = Self.shebangProgram(of: found), interpreter.hasPrefix("/"),
           !FileManager.default.isExecutableFile(atPath: interpreter) {
            return "`\(name)` is a script for \(interpreter), which does not exist on this machine either "
                + "(a virtualenv that moved or was removed?): make that environment again, then run git autofix again"
        }
        return bindFix(for: found, what: "`\(name)` is \(found) here")
    }

    /// A hint to bind what holds `executable` (its install prefix), when the sandbox does not show it already.
    private func bindFix(for executable: String, what: String) -> String {
        let prefix = Self.installPrefix(of: executable)
        if sandbox.binds.contains(prefix) || ToolchainDiscovery.isSystemPath(prefix) {
            return "\(what), but the \(sandbox.backend.rawValue) sandbox does not run it; see what it does there with `git autofix sandbox -- \(command)`"
        }
        return "\(what), which the sandbox does not show: git config --add \(ConfigKey.sandboxBind) \(prefix)"
    }

    private func hostExecutable(_ name: String) -> String? {
        if name.hasPrefix("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
        if name.contains("/") {
            guard let project else { return nil }
            let path = project.appendingPathComponent(name).path
            return FileManager.default.isExecutableFile(atPath: path) ? path : nil
        }
        return ExecutableSearch.find(name, in: hostPath)
    }

    // MARK: Toolchains

    private func toolchainFailure(_ lines: [String]) -> RunError? {
        if let line = lines.first(where: { $0.contains("rustup could not choose a version of") || Self.rustupMissingToolchain($0) }) {
            return rustup(line)
        }
        if let line = lines.first(where: { $0.hasPrefix("pyenv: version `") && $0.contains("' is not installed") }) {
            return pyenv(line)
        }
        return nil
    }

    private static func rustupMissingToolchain(_ line: String) -> Bool {
        line.hasPrefix("error: toolchain '") && line.contains("' is not installed")
    }

    private func rustup(_ line: String) -> RunError {
        let problem = "rustup could not start a toolchain in the sandbox: \(line.trimmingCharacters(in: .whitespaces))"
        guard let rustupHome = Self.home(named: "RUSTUP_HOME", in: environment),
              let toolchains = try? FileManager.default.contentsOfDirectory(atPath: rustupHome + "/toolchains"), !toolchains.isEmpty
        else {
            return .sandboxEnvironment(problem, fix: "no rustup toolchain is installed on this machine either: rustup default stable")
        }
        let settings = (try? String(contentsOfFile: rustupHome + "/settings.toml", encoding: .utf8)) ?? ""
        let pinned = ["rust-toolchain", "rust-toolchain.toml"].contains { name in
            project.map { FileManager.default.fileExists(atPath: $0.appendingPathComponent(name).path) } ?? false
        }
        if !settings.contains("default_toolchain"), !pinned {
            return .sandboxEnvironment(problem, fix: "rustup has no default toolchain on this machine either: rustup default \(toolchains.sorted()[0])")
        }
        return .sandboxEnvironment(problem, fix: homeFix(rustupHome, variable: "RUSTUP_HOME", what: "rustup's toolchains are in \(rustupHome)"))
    }

    private func pyenv(_ line: String) -> RunError {
        let version = line.dropFirst("pyenv: version `".count).prefix { $0 != "'" }
        let problem = "pyenv could not start Python \(version) in the sandbox: \(line)"
        guard let root = Self.home(named: "PYENV_ROOT", in: environment),
              FileManager.default.fileExists(atPath: "\(root)/versions/\(version)")
        else {
            return .sandboxEnvironment(problem, fix: "Python \(version) is not installed on this machine either: pyenv install \(version)")
        }
        return .sandboxEnvironment(problem, fix: homeFix(root, variable: "PYENV_ROOT", what: "pyenv's Python \(version) is in \(root)"))
    }

    /// Bind a version manager's home and pass its variable, leaving out what is set already.
    private func homeFix(_ path: String, variable: String, what: String) -> String {
        var steps: [String] = []
        if !sandbox.binds.contains(path) { steps.append("git config --add \(ConfigKey.sandboxBind) \(path)") }
        if !sandbox.environment.contains(variable) {
            steps.append("export \(variable)=\(path) and git config --add \(ConfigKey.sandboxEnv) \(variable)")
        }
        if steps.isEmpty { return "\(what); check what the toolchain sees with `git autofix sandbox -- \(command)`" }
        return "\(what), which the sandbox does not see: " + steps.joined(separator: "; ")
    }

    /// Where a version manager keeps its toolchains on the host, as the catalogue says.
    static func home(named variable: String, in environment: [String: String]) -> String? {
        Ecosystem.all.lazy.flatMap(\.toolchainHomes).first { $0.variable == variable }?.path(in: environment)
    }

    // MARK: Interpreters

    /// `env: 'python3.11': No such file or directory` or bash's `bad interpreter: No such file or directory`.
    private func missingInterpreter(_ lines: [String]) -> RunError? {
        for line in lines where line.hasSuffix("No such file or directory") {
            let parts = line.components(separatedBy: ": ")
            var interpreter: String?
            if let bad = parts.firstIndex(of: "bad interpreter"), bad > 0 {
                interpreter = parts[bad - 1]
            } else if parts.count >= 3, (parts[0] as NSString).lastPathComponent == "env" {
                interpreter = parts[1].trimmingCharacters(in: CharacterSet(charactersIn: "'‘’\""))
            }
            guard let interpreter, !interpreter.isEmpty else { continue }
            let problem = "the interpreter `\(interpreter)` of a script the tests run is not in the sandbox: \(line)"
            guard let found = hostExecutable(interpreter) else {
                return .sandboxEnvironment(problem, fix: "`\(interpreter)` does not exist on this machine either "
                                           + "(a virtualenv that moved or was removed?): make that environment again, or install it")
            }
            return .sandboxEnvironment(problem, fix: bindFix(for: found, what: "`\(interpreter)` is \(found) here"))
        }
        return nil
    }

    static func shebangProgram(of path: String) -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 256)) ?? Data()
        guard head.starts(with: Array("#!".utf8)) else { return nil }
        let line = String(decoding: head.dropFirst(2).prefix { $0 != UInt8(ascii: "\n") }, as: UTF8.self)
        return line.split(whereSeparator: { $0 == " " || $0 == "\t" }).first.map(String.init)
    }

    static func installPrefix(of executable: String) -> String {
        let bin = (executable as NSString).deletingLastPathComponent
        return (bin as NSString).lastPathComponent == "bin" ? (bin as NSString).deletingLastPathComponent : bin
    }

    // MARK: Python modules

    private func missingModule(_ lines: [String]) -> RunError? {
        var names: [String] = []
        for line in lines {
            guard let range = line.range(of: "ModuleNotFoundError: No module named '") else { continue }
            let name = String(line[range.upperBound...].prefix { $0 != "'" })
            // A dotted name means its package imported fine: a submodule the code lacks is the code's.
            guard !name.isEmpty, !name.contains("."), !names.contains(name) else { continue }
            names.append(name)
        }
        let pythons = HostPythons(environment: environment, project: project, command: command)
        for name in names.prefix(3) {
            guard let found = pythons.firstImporting(name), let fix = moduleFix(found, sandboxPython: pythons.testsPython) else { continue }
            return .sandboxEnvironment("the tests could not import `\(name)` in the sandbox (ModuleNotFoundError), "
                                       + "but \(found.python) on this machine imports it" + (found.entry.isEmpty ? "" : " from \(found.entry)"),
                                       fix: fix)
        }
        return nil
    }

    private func moduleFix(_ found: HostPythons.Import, sandboxPython: String?) -> String? {
        if found.python != sandboxPython {
            let bin = (found.python as NSString).deletingLastPathComponent
            let activate = FileManager.default.fileExists(atPath: bin + "/activate") ? "source \(bin)/activate" : "put \(bin) first on PATH"
            return "the tests ran \(sandboxPython ?? "another Python"): \(activate) before git autofix, "
                + "or start the test command with \(found.python) -m"
        }
        let pythonPath = (environment["PYTHONPATH"] ?? "").split(separator: ":").map(String.init)
        if pythonPath.contains(found.entry) {
            var steps: [String] = []
            if !sandbox.environment.contains("PYTHONPATH") { steps.append("git config --add \(ConfigKey.sandboxEnv) PYTHONPATH") }
            if !sandbox.binds.contains(found.entry), !ToolchainDiscovery.isSystemPath(found.entry) {
                steps.append("git config --add \(ConfigKey.sandboxBind) \(found.entry)")
            }
            return steps.isEmpty ? nil : "it is on your PYTHONPATH, which the sandbox does not get: " + steps.joined(separator: "; ")
        }
        if found.isUserSite {
            return "it is in your user site-packages (\(found.entry)), which the sandbox's own HOME leaves out: install it "
                + "into a virtualenv (python3 -m venv .venv && .venv/bin/pip install \(found.module)) and activate it before git autofix"
        }
        guard !found.entry.isEmpty, !sandbox.binds.contains(found.entry), !ToolchainDiscovery.isSystemPath(found.entry) else { return nil }
        return "it is in \(found.entry), which the sandbox does not show: git config --add \(ConfigKey.sandboxBind) \(found.entry)"
    }
}
