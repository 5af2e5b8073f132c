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

    let hostPath: String
    let home: String?

    public init(hostPath: String = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin",
                home: String? = ProcessInfo.processInfo.environment["HOME"]) {
        self.hostPath = hostPath
        self.home = home
    }

    /// What to bind for `command` run in `checkout`: install prefixes and the bin directories
    /// to put first on PATH inside.
    public struct Toolchains: Equatable, Sendable {
        public var prefixes: [String] = []
        public var binDirectories: [String] = []
    }

    public func discover(command: String, checkout: URL) -> Toolchains {
        var result = Toolchains()
        for name in programNames(in: command) {
            guard let found = locate(name, checkout: checkout) else { continue }
            // Both the path as found (a venv's bin/python is a symlink, yet the venv must be
            // visible for Python to use it) and the real file after symlinks.
            for path in [found, URL(fileURLWithPath: found).resolvingSymlinksInPath().path] {
                let bin = (path as NSString).deletingLastPathComponent
                let prefix = (bin as NSString).lastPathComponent == "bin" ? (bin as NSString).deletingLastPathComponent : bin
                let bindable = isBindable(prefix, checkout: checkout)
                if bindable, !result.prefixes.contains(where: { prefix == $0 || prefix.hasPrefix($0 + "/") }) {
                    result.prefixes.removeAll { $0.hasPrefix(prefix + "/") }
                    result.prefixes.append(prefix)
                }
                if bindable, !result.binDirectories.contains(bin) { result.binDirectories.append(bin) }
            }
        }
        return result
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

    /// The executable `name` runs: a path relative to the checkout, or found on PATH, with
    /// version-manager shims replaced by what they would run.
    func locate(_ name: String, checkout: URL) -> String? {
        var candidate: String?
        if name.contains("/") {
            candidate = name.hasPrefix("/") ? name : checkout.appendingPathComponent(name).path
        } else {
            candidate = ExecutableSearch.find(name, in: hostPath)
        }
        guard var path = candidate, FileManager.default.isExecutableFile(atPath: path) else { return nil }
        if let shimmed = followShim(path, name: (name as NSString).lastPathComponent, checkout: checkout) {
            path = shimmed
        }
        return path
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
        } else {
            return nil
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: manager[0])
        process.arguments = Array(manager.dropFirst())
        process.currentDirectoryURL = checkout
        var environment = ProcessInfo.processInfo.environment
        environment["PATH"] = hostPath
        if components[shims - 1] == ".pyenv" { environment["PYENV_ROOT"] = root }
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return nil }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        let found = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
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
