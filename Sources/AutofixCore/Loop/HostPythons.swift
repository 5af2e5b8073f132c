import AutofixSandbox
import Foundation

/// The Pythons of this machine that the test command could mean (the one it runs, an activated
/// or project virtualenv, python3 on PATH), asked whether they can import a module. Only the
/// module's spec is looked up, so no code of the module runs.
struct HostPythons {
    struct Import {
        let module: String
        let python: String
        /// The `sys.path` entry the module was found under ("" for a built-in one).
        let entry: String
        let isUserSite: Bool
    }

    let environment: [String: String]
    let project: URL?
    /// The Python the test command starts, as the sandbox finds it.
    let testsPython: String?
    private let candidates: [String]

    init(environment: [String: String], project: URL?, command: String) {
        self.environment = environment
        self.project = project
        let discovery = ToolchainDiscovery(environment: environment)
        let directory = project ?? URL(fileURLWithPath: "/")
        var tests: String?
        if let venv = environment["VIRTUAL_ENV"], FileManager.default.isExecutableFile(atPath: venv + "/bin/python") {
            tests = venv + "/bin/python"
        } else if let program = Doctor.program(of: command),
                  let found = discovery.locate(program, checkout: directory, project: project) {
            if Self.isPython(found) {
                tests = found
            } else if let interpreter = discovery.interpreter(of: found), Self.isPython(interpreter) {
                tests = interpreter
            }
        }
        testsPython = tests
        var candidates = [tests].compactMap { $0 }
        for relative in [".venv/bin/python", "venv/bin/python"] {
            if let project { candidates.append(project.appendingPathComponent(relative).path) }
        }
        if let python3 = discovery.locate("python3", checkout: directory) { candidates.append(python3) }
        var seen = Set<String>()
        self.candidates = candidates.filter { FileManager.default.isExecutableFile(atPath: $0) && seen.insert($0).inserted }
    }

    static func isPython(_ path: String) -> Bool {
        (path as NSString).lastPathComponent.hasPrefix("python")
    }

    func firstImporting(_ module: String) -> Import? {
        candidates.lazy.compactMap { lookUp(module, with: $0) }.first
    }

    // The current directory is dropped from the path: only installed modules count.
    private static let script = """
        import sys
        if sys.path and sys.path[0] == '': del sys.path[0]
        import importlib.util, os, site
        spec = importlib.util.find_spec(sys.argv[1])
        if spec is None: sys.exit(1)
        origin = spec.origin if spec.origin not in (None, 'built-in', 'frozen') else next(iter(spec.submodule_search_locations or []), '')
        entry = next((p for p in sys.path if p and origin.startswith(os.path.join(p, ''))), '')
        user = getattr(site, 'ENABLE_USER_SITE', False) and entry == site.getusersitepackages()
        print(entry)
        print('user' if user else '')
        """

    private func lookUp(_ module: String, with python: String) -> Import? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-c", Self.script, module]
        process.environment = environment
        process.currentDirectoryURL = FileManager.default.temporaryDirectory
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return nil }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        return Import(module: module, python: python, entry: lines.first ?? "", isUserSite: lines.dropFirst().first == "user")
    }
}
