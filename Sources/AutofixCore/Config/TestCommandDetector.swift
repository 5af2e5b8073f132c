import AutofixSupport
import Foundation

/// Guesses the test command of a project from the files at its root.
public struct TestCommandDetector {
    public struct Detection: Equatable, Sendable {
        public let command: String
        /// Why this command: which file made us choose it.
        public let reason: String

        public init(command: String, reason: String) {
            self.command = command
            self.reason = reason
        }
    }

    /// Executables that can be found on PATH (injectable for tests).
    let isOnPath: (String) -> Bool

    public init(isOnPath: @escaping (String) -> Bool = TestCommandDetector.onPath) {
        self.isOnPath = isOnPath
    }

    /// The command for the project rooted at `root`, or nil when nothing is recognised.
    public func detect(in root: URL) -> Detection? {
        func exists(_ name: String) -> Bool { FileManager.default.fileExists(atPath: root.appendingPathComponent(name).path) }
        for ecosystem in Ecosystem.all {
            guard let marker = ecosystem.markers.first(where: exists) else { continue }
            switch ecosystem {
            case .python:
                return Detection(command: pythonCommand(in: root) + " -m pytest -q", reason: marker)
            case .npm:
                guard hasTestScript(root.appendingPathComponent(marker)) else { continue }
                return Detection(command: ecosystem.testCommand, reason: "the test script in package.json")
            default:
                return Detection(command: ecosystem.testCommand, reason: marker)
            }
        }
        if let testFile = pythonTestFile(in: root) {
            // Plain test files without a project file: pytest when it is installed (it runs
            // unittest cases too), else the standard library's runner.
            let python = pythonCommand(in: root)
            let command = hasPytest(in: root) ? python + " -m pytest -q" : python + " -m unittest"
            return Detection(command: command, reason: testFile)
        }
        return nil
    }

    /// A file named like a Python test (`test_*.py`, `*_test.py`) at the root or in `tests/` or
    /// `test/`, as a path relative to the root.
    private func pythonTestFile(in root: URL) -> String? {
        for directory in ["", "tests", "test"] {
            let folder = directory.isEmpty ? root : root.appendingPathComponent(directory)
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { continue }
            if let name = names.sorted().first(where: { name in
                name.hasSuffix(".py") && (name.hasPrefix("test_") || name.hasSuffix("_test.py"))
            }) {
                return directory.isEmpty ? name : directory + "/" + name
            }
        }
        return nil
    }

    /// Whether pytest is installed where the tests will run: in the project's venv when it has
    /// one, else on PATH.
    private func hasPytest(in root: URL) -> Bool {
        if let venv = projectVenv(in: root) {
            return FileManager.default.isExecutableFile(atPath: venv.appendingPathComponent("bin/pytest").path)
        }
        return isOnPath("pytest") || isOnPath("pytest-3")
    }

    /// A project's own virtual environment first, then `python`, then `python3`. The venv is
    /// named by its absolute path: it is usually ignored, so it is not in the scratch checkout,
    /// and the sandbox binds it read-only from where it is.
    private func pythonCommand(in root: URL) -> String {
        if let venv = projectVenv(in: root) { return ShellWord.quoted(venv.appendingPathComponent("bin/python").path) }
        return isOnPath("python") ? "python" : "python3"
    }

    /// The project's virtual environment: the first of .venv, venv, env with a runnable python.
    private func projectVenv(in root: URL) -> URL? {
        Ecosystem.python.environmentDirectories.lazy.map { root.appendingPathComponent($0) }.first {
            FileManager.default.isExecutableFile(atPath: $0.appendingPathComponent("bin/python").path)
        }
    }

    private func hasTestScript(_ file: URL) -> Bool {
        guard let data = try? Data(contentsOf: file),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let scripts = object["scripts"] as? [String: Any],
              let test = scripts["test"] as? String
        else { return false }
        return !test.contains("no test specified")
    }

    public static func onPath(_ name: String) -> Bool {
        ExecutableSearch.find(name, in: ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin") != nil
    }
}
