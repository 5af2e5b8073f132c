import AutofixSandbox
import AutofixSupport
import Foundation

/// Where and how tests run, resolved from flags > git config (`autofix.sandbox*`, `autofix.image`,
/// `autofix.testTimeout`) > defaults. Shared by `git autofix` and `git autofix sandbox`, so both
/// run the tests the same way.
public struct SandboxSettings: Sendable {
    public var backend: SandboxBackendKind
    public var image: String?
    public var runtime: String?
    /// Extra read-only paths (`autofix.sandboxBind`).
    public var binds: [String]
    /// Environment variable names passed in (`autofix.sandboxEnv`).
    public var environment: [String]
    /// Timeout (per test run), memory and process limits.
    public var limits: SandboxLimits
    /// The work tree the tests' checkout is made from (see `SandboxRequest.projectDirectory`).
    public var projectDirectory: URL?

    /// The values given on the command line; nil means "not given".
    public struct Flags: Sendable {
        public var backend: String?
        public var image: String?
        public var runtime: String?
        public var memory: String?
        public var disk: String?
        public var maxProcesses: Int?
        public var testTimeout: String?

        public init(backend: String? = nil, image: String? = nil, runtime: String? = nil, memory: String? = nil,
                    disk: String? = nil, maxProcesses: Int? = nil, testTimeout: String? = nil) {
            self.backend = backend
            self.image = image
            self.runtime = runtime
            self.memory = memory
            self.disk = disk
            self.maxProcesses = maxProcesses
            self.testTimeout = testTimeout
        }
    }

    public static func resolve(_ flags: Flags, config: (String) throws -> String?, configList: (String) throws -> [String]) throws -> SandboxSettings {
        let name = try flags.backend ?? config(ConfigKey.sandbox) ?? SettingDefaults.sandbox.rawValue
        guard let backend = SandboxBackendKind(rawValue: name) else {
            let source = flags.backend != nil ? "--sandbox" : "git config \(ConfigKey.sandbox)"
            throw UsageError("\(source) is `\(name)`, which is not a sandbox backend",
                             hint: "choose one of: \(SandboxBackendKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var limits = SandboxLimits()
        if let seconds = try ConfiguredDuration.seconds(flag: flags.testTimeout, flagName: "--test-timeout",
                                                        key: ConfigKey.testTimeout, config: config) {
            limits.timeout = seconds
        }
        if let text = try flags.memory ?? config(ConfigKey.sandboxMemory) {
            guard let bytes = SandboxLimits.bytes(text) else {
                let source = flags.memory != nil ? "--memory" : "git config \(ConfigKey.sandboxMemory)"
                throw UsageError("\(source) is `\(text)`, which is not a size", hint: "use e.g. 512m or 2g")
            }
            limits.memoryBytes = bytes
        }
        if let text = try flags.disk ?? config(ConfigKey.sandboxDisk) {
            guard let bytes = SandboxLimits.bytes(text) else {
                let source = flags.disk != nil ? "--disk" : "git config \(ConfigKey.sandboxDisk)"
                throw UsageError("\(source) is `\(text)`, which is not a size", hint: "use e.g. 512m or 8g")
            }
            limits.diskBytes = bytes
        }
        if let text = try flags.maxProcesses.map(String.init) ?? config(ConfigKey.sandboxProcesses) {
            guard let count = Int(text), count > 0 else {
                let source = flags.maxProcesses != nil ? "--max-processes" : "git config \(ConfigKey.sandboxProcesses)"
                throw UsageError("\(source) is `\(text)`, which is not a positive number", hint: "use e.g. 1024")
            }
            limits.maxProcesses = count
        }
        return SandboxSettings(
            backend: backend,
            image: try flags.image ?? config(ConfigKey.image),
            runtime: try flags.runtime ?? config(ConfigKey.sandboxRuntime),
            binds: try configList(ConfigKey.sandboxBind),
            environment: try configList(ConfigKey.sandboxEnv).flatMap {
                $0.split(whereSeparator: { $0 == "," || $0 == " " }).map(String.init)
            },
            limits: limits)
    }

    /// The backend, or an error saying how to make it available (never a silent fallback).
    public func makeSandbox() throws -> Sandbox {
        try SandboxFactory.make(backend, image: image, runtime: runtime)
    }

    public func request(command: String, in directory: URL, timeout: Double? = nil) -> SandboxRequest {
        var limits = self.limits
        if let timeout { limits.timeout = timeout }
        return SandboxRequest(command: command, workDirectory: directory, readOnlyBinds: binds,
                              passEnvironment: environment, limits: limits, projectDirectory: projectDirectory)
    }
}
