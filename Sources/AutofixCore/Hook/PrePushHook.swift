import Foundation

/// The pre-push hook file in a hooks directory: reads it, and writes it whole through a rename.
public struct PrePushHook {
    public let location: HooksLocation
    public var file: URL { location.directory.appendingPathComponent("pre-push") }

    public init(location: HooksLocation) {
        self.location = location
    }

    public func status() throws -> HookStatus {
        let manager = FileManager.default
        guard let text = try existingText() else {
            return HookStatus(file: file, exists: false, executable: false, installed: false, script: nil, scriptExists: false)
        }
        let block = try HookBlock.range(in: text, file: file)
        let script = block.flatMap { HookBlock.scriptPath(in: String(text[$0])) }.map { URL(fileURLWithPath: $0) }
        return HookStatus(
            file: file, exists: true, executable: manager.isExecutableFile(atPath: file.path), installed: block != nil,
            script: script, scriptExists: script.map { manager.isExecutableFile(atPath: $0.path) } ?? false)
    }

    public func install(calling script: URL) throws -> HookBlock.InstallOutcome {
        guard let text = try existingText() else {
            do {
                try FileManager.default.createDirectory(at: location.directory, withIntermediateDirectories: true)
            } catch {
                throw HookError.unwritableHook(location.directory.path, reason: error.localizedDescription)
            }
            try write(try HookBlock.installing(calling: script.path, into: nil, file: file).text, mode: 0o755)
            return .created
        }
        guard FileManager.default.isExecutableFile(atPath: file.path) else { throw HookError.hookNotExecutable(file.path) }
        let installed = try HookBlock.installing(calling: script.path, into: text, file: file)
        if installed.outcome != .unchanged { try write(installed.text, mode: try mode()) }
        return installed.outcome
    }

    public func uninstall() throws -> HookBlock.UninstallOutcome {
        guard let text = try existingText() else { return .notInstalled }
        let removed = try HookBlock.removing(from: text, file: file)
        switch removed.outcome {
        case .notInstalled: break
        case .removedFile: try FileManager.default.removeItem(at: file)
        case .removedBlock: try write(removed.text ?? "", mode: try mode())
        }
        return removed.outcome
    }

    private func existingText() throws -> String? {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        if let target = try? manager.destinationOfSymbolicLink(atPath: file.path) {
            throw HookError.hookIsSymlink(file.path, target: target)
        }
        guard manager.fileExists(atPath: file.path, isDirectory: &isDirectory) else { return nil }
        guard !isDirectory.boolValue else { throw HookError.unreadableHook(file.path, reason: "it is a directory") }
        do {
            return try String(contentsOf: file, encoding: .utf8)
        } catch {
            throw HookError.unreadableHook(file.path, reason: "it could not be read as UTF-8 text")
        }
    }

    private func mode() throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: file.path)
        return (attributes[.posixPermissions] as? NSNumber)?.intValue ?? 0o755
    }

    /// Writes through a temporary file and a rename, so a push never sees a half-written hook.
    private func write(_ text: String, mode: Int) throws {
        let temporary = location.directory.appendingPathComponent(".pre-push.git-autofix-\(getpid())")
        do {
            try Data(text.utf8).write(to: temporary)
            try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: temporary.path)
            guard rename(temporary.path, file.path) == 0 else {
                throw HookError.unwritableHook(file.path, reason: String(cString: strerror(errno)))
            }
        } catch let error as HookError {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw HookError.unwritableHook(file.path, reason: error.localizedDescription)
        }
    }
}

/// Whether the hook is installed and would run, and what to do when it would not.
public struct HookStatus {
    public let file: URL
    public let exists: Bool
    public let executable: Bool
    public let installed: Bool
    public let script: URL?
    public let scriptExists: Bool

    /// Whether pushes are tested right now.
    public var active: Bool { installed && executable && scriptExists }

    public var summary: String {
        if !exists { return "not installed (no pre-push hook)" }
        if !installed { return "not installed (the pre-push hook has no git-autofix block)" }
        if !executable { return "installed but inactive: the hook file is not executable" }
        if !scriptExists { return "installed but broken: the script it calls is missing" }
        return "installed"
    }

    public var advice: String? {
        if !installed { return "run `git autofix hook install`" }
        if !executable { return "run `chmod +x \(file.path)`" }
        if !scriptExists { return "run `git autofix hook install` again to point it at the current script" }
        return nil
    }
}
