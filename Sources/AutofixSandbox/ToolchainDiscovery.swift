import AutofixSupport
import Foundation

/// Finds the toolchains a test command needs outside the system directories, so the sandbox can
/// bind them read-only: the first word of the command and any well-known runner it names are
/// resolved on the host PATH, version-manager shims (pyenv, asdf) and symlinks followed, and the
/// install prefix of the real executable returned (e.g. /opt/swift/usr, ~/.pyenv/versions/3.11.7).
public struct ToolchainDiscovery: Sendable {
    public static let commonRunners: Set<String> = Ecosystem.allRunners

    /// Prefixes that are bound anyway (or must never be bound whole).
    static let systemPrefixes = ["/usr", "/bin", "/sbin", "/lib", "/lib64", "/etc"]

    /// A path every backend shows already (or never binds).
    public static func isSystemPath(_ path: String) -> Bool {
        systemPrefixes.contains { path == $0 || path.hasPrefix($0 + "/") }
    }

    let hostPath: String
    let home: String?
    /// The host's environment: an activated virtualenv, version managers' homes.
    let environment: [String: String]

    public init(hostPath: String? = nil, home: String? = nil,
                environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.hostPath = hostPath ?? environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        self.home = home ?? environment["HOME"]
        var environment = environment
        environment["HOME"] = self.home
        self.environment = environment
    }

    /// What to bind for `command` run in `checkout`: install prefixes, the bin directories
    /// to put first on PATH inside, variables the toolchains need, and environments that live in
    /// the project's work tree but not in the checkout.
    public struct Toolchains: Equatable, Sendable {
        public var prefixes: [String] = []
        public var binDirectories: [String] = []
        public var environment: [String: String] = [:]
        /// Read-only binds of a path of the work tree (`source`) at the same place in the checkout.
        public var projectMounts: [ProjectMount] = []
    }

    /// An ignored directory of the work tree (a `.venv`) that a relative test command names.
    public struct ProjectMount: Equatable, Sendable {
        public var source: String
        public var destination: String
    }

    /// `project` is the work tree the checkout was made from: a relative program missing from
    /// the checkout (an ignored `.venv/bin/python`) is looked up there.
    public func discover(command: String, checkout: URL, project: URL? = nil) -> Toolchains {
        var result = Toolchains()
        if let venv = environment["VIRTUAL_ENV"], venv.hasPrefix("/"),
           FileManager.default.isExecutableFile(atPath: venv + "/bin/python") {
            // An activated virtualenv comes first on PATH, as in the user's shell.
            include(venv + "/bin/python", checkout: checkout, into: &result)
            result.environment["VIRTUAL_ENV"] = venv
        }
        for name in programNames(in: command) {
            guard let found = locate(name, checkout: checkout, project: project, into: &result) else { continue }
            include(found, checkout: checkout, into: &result)
            // A script runs only when its interpreter can start: a venv's pytest needs the venv's
            // python and the installation that python links to, or the shell tries the next pytest on PATH.
            if let interpreter = interpreter(of: found) { include(interpreter, checkout: checkout, into: &result) }
        }
        includeToolchainHomes(into: &result, checkout: checkout)
        return result
    }

    /// Binds the install prefix of `found`, both as found (a venv's bin/python is a symlink, yet
    /// the venv must be visible for Python to use it) and after symlinks.
    private func include(_ found: String, checkout: URL, into result: inout Toolchains) {
        for path in [found, URL(fileURLWithPath: found).resolvingSymlinksInPath().path] {
            let bin = (path as NSString).deletingLastPathComponent
            let prefix = (bin as NSString).lastPathComponent == "bin" ? (bin as NSString).deletingLastPathComponent : bin
            guard isBindable(prefix, checkout: checkout) else { continue }
            bind(prefix, into: &result)
            if !result.binDirectories.contains(bin) { result.binDirectories.append(bin) }
        }
    }

    private func bind(_ prefix: String, into result: inout Toolchains) {
        guard !result.prefixes.contains(where: { prefix == $0 || prefix.hasPrefix($0 + "/") }) else { return }
        result.prefixes.removeAll { $0.hasPrefix(prefix + "/") }
        result.prefixes.append(prefix)
    }

    /// Version managers whose programs were found: their variables pass in, and the homes they
    /// need whole (rustup's toolchains behind its proxies) are bound.
    private func includeToolchainHomes(into result: inout Toolchains, checkout: URL) {
        let found = result.binDirectories
        for ecosystem in Ecosystem.all {
            let homes = ecosystem.toolchainHomes.compactMap { home in home.path(in: environment).map { (home, $0) } }
            guard homes.contains(where: { _, path in found.contains { $0.hasPrefix(path + "/") } }) else { continue }
            for (home, path) in homes where FileManager.default.fileExists(atPath: path) {
                result.environment[home.variable] = path
                if home.isNeededWhole, isBindable(path, checkout: checkout) { bind(path, into: &result) }
            }
        }
    }

    /// The program a `#!` line starts, found as the kernel (or `env`) would find it.
    public func interpreter(of path: String) -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 256)) ?? Data()
        guard head.starts(with: Array("#!".utf8)) else { return nil }
        let line = String(decoding: head.dropFirst(2).prefix { $0 != UInt8(ascii: "\n") }, as: UTF8.self)
        let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard let program = words.first, program.hasPrefix("/") else { return nil }
        if (program as NSString).lastPathComponent == "env" {
            guard let name = words.dropFirst().first(where: { !$0.hasPrefix("-") && !$0.contains("=") }) else { return nil }
            return ExecutableSearch.find(name, in: hostPath)
        }
        return FileManager.default.isExecutableFile(atPath: program) ? program : nil
    }

    /// The first word and every word that names a common runner (`a && swift test`, `.venv/bin/pytest`).
    func programNames(in command: String) -> [String] {
        let separators = CharacterSet(charactersIn: " \t\n;&|()`$<>\"'")
        let words = command.components(separatedBy: separators).filter { !$0.isEmpty && !$0.contains("=") }
        var names: [String] = []
        if let first = words.first { names.append(first) }
        for word in words.dropFirst() where ToolchainDiscovery.commonRunners.contains((word as NSString).lastPathComponent) {
            if !names.contains(word) { names.append(word) }
        }
        return names
    }

    /// The executable `name` runs: a path relative to the checkout (or to the project, for what
    /// the checkout lacks, which is then mounted into it), or found on PATH, with version-manager
    /// shims replaced by what they would run.
    public func locate(_ name: String, checkout: URL, project: URL? = nil) -> String? {
        var ignored = Toolchains()
        return locate(name, checkout: checkout, project: project, into: &ignored)
    }

    private func locate(_ name: String, checkout: URL, project: URL?, into result: inout Toolchains) -> String? {
        var candidate: String?
        if name.hasPrefix("/") {
            candidate = name
        } else if name.contains("/") {
            candidate = checkout.appendingPathComponent(name).path
            if let project, !FileManager.default.fileExists(atPath: candidate!),
               let mount = projectMount(for: name, checkout: checkout, project: project) {
                if !result.projectMounts.contains(mount) { result.projectMounts.append(mount) }
                candidate = project.appendingPathComponent(name).path
            }
        } else {
            candidate = ExecutableSearch.find(name, in: hostPath)
        }
        guard var path = candidate, FileManager.default.isExecutableFile(atPath: path) else { return nil }
        if let shimmed = followShim(path, name: (name as NSString).lastPathComponent, checkout: checkout) {
            path = shimmed
        }
        return path
    }

    /// The top directory of a relative `name` as the work tree has it and the checkout does not
    /// (ignored files never reach the checkout), when it stays inside the work tree.
    private func projectMount(for name: String, checkout: URL, project: URL) -> ProjectMount? {
        let components = name.split(separator: "/").map(String.init).drop { $0 == "." }
        guard let top = components.first, components.count > 1, !components.contains(".."), top != ".git" else { return nil }
        let projectRoot = project.resolvingSymlinksInPath().path
        let source = URL(fileURLWithPath: projectRoot).appendingPathComponent(top)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: source.path, isDirectory: &isDirectory), isDirectory.boolValue,
              source.resolvingSymlinksInPath().path.hasPrefix(projectRoot + "/")
        else { return nil }
        return ProjectMount(source: source.path, destination: checkout.resolvingSymlinksInPath().appendingPathComponent(top).path)
    }

    /// pyenv and asdf put scripts on PATH that pick a version at run time; ask the manager which
    /// executable it would run from the checkout (so `.python-version` there counts).
    func followShim(_ path: String, name: String, checkout: URL) -> String? {
        let components = path.split(separator: "/").map(String.init)
        guard let shims = components.lastIndex(of: "shims"), shims > 0 else { return nil }
        let root = "/" + components[..<shims].joined(separator: "/")
        let manager: [String]
        if FileManager.default.isExecutableFile(atPath: root + "/bin/pyenv") {
            manager = [root + "/bin/pyenv", "which", name]
        } else if FileManager.default.isExecutableFile(atPath: root + "/bin/asdf") {
            manager = [root + "/bin/asdf", "which", name]
        } else if FileManager.default.fileExists(atPath: root + "/versions"),
                  let pyenv = ExecutableSearch.find("pyenv", in: hostPath) {
            // pyenv from a package manager keeps its program outside the root, on PATH.
            manager = [pyenv, "which", name]
        } else {
            return nil
        }
        var environment = self.environment
        environment["PATH"] = hostPath
        if manager[0].hasSuffix("/pyenv") { environment["PYENV_ROOT"] = root }
        var spec = ProcessSpec(manager, environment: environment, directory: checkout.path)
        spec.stderr = .discard
        guard let result = try? ProcessLauncher.run(spec, outputBytes: 64 << 10), result.succeeded else { return nil }
        let found = result.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        return found.hasPrefix("/") && !found.contains("/shims/") ? found : nil
    }

    /// Never bind a system directory (already there), the root, HOME itself or anything that
    /// contains it, or something inside the checkout (already bound).
    func isBindable(_ prefix: String, checkout: URL) -> Bool {
        if prefix == "/" || prefix.isEmpty { return false }
        if ToolchainDiscovery.systemPrefixes.contains(where: { prefix == $0 || prefix.hasPrefix($0 + "/") }) { return false }
        if let home, home == prefix || home.hasPrefix(prefix + "/") { return false }
        let checkoutPath = checkout.resolvingSymlinksInPath().path
        if prefix == checkoutPath || prefix.hasPrefix(checkoutPath + "/") || checkoutPath.hasPrefix(prefix + "/") { return false }
        return true
    }
}
