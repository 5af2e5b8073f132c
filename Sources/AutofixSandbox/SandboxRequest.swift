import Foundation

/// The limits every backend applies to one test run.
public struct SandboxLimits: Sendable, Equatable {
    /// Wall-clock seconds before the whole process tree is killed and the run counts as failing.
    public var timeout: Double
    /// Memory for the whole run (all processes together where a cgroup or container enforces it).
    public var memoryBytes: UInt64?
    /// Processes and threads the run may have at once.
    public var maxProcesses: Int?
    /// Bytes kept per stream; beyond it the head and the tail are kept and the middle dropped.
    public var outputBytes: Int
    /// What the writable space may hold: the checkout the tests see (with a kept HOME, beyond
    /// what they held when the run started), and /tmp on its own.
    public var diskBytes: UInt64?

    public static let defaultTimeout: Double = 600
    public static let defaultMaxProcesses = 4096
    public static let defaultOutputBytes = 4 << 20
    public static let defaultDiskBytes: UInt64 = 4 << 30

    public init(
        timeout: Double = SandboxLimits.defaultTimeout,
        memoryBytes: UInt64? = nil,
        maxProcesses: Int? = SandboxLimits.defaultMaxProcesses,
        outputBytes: Int = SandboxLimits.defaultOutputBytes,
        diskBytes: UInt64? = SandboxLimits.defaultDiskBytes
    ) {
        self.timeout = timeout
        self.memoryBytes = memoryBytes
        self.maxProcesses = maxProcesses
        self.outputBytes = outputBytes
        self.diskBytes = diskBytes
    }
}

extension SandboxLimits {
    /// Bytes for sizes users type: `512m`, `2g`, `1.5G`, `800k`, `1048576` (powers of 1024).
    public static func bytes(_ text: String) -> UInt64? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        let kib = 1024.0, mib = kib * 1024, gib = mib * 1024
        let units: [(String, Double)] = [("kib", kib), ("mib", mib), ("gib", gib), ("kb", kib), ("mb", mib), ("gb", gib),
                                         ("k", kib), ("m", mib), ("g", gib), ("b", 1)]
        for (suffix, scale) in units where trimmed.hasSuffix(suffix) {
            guard let value = Double(trimmed.dropLast(suffix.count)), value > 0 else { return nil }
            return UInt64(value * scale)
        }
        guard let plain = UInt64(trimmed), plain > 0 else { return nil }
        return plain
    }
}

/// One test run: a shell command in the scratch checkout.
public struct SandboxRequest: Sendable {
    /// Run by `/bin/sh -c` inside the sandbox.
    public var command: String
    /// The scratch checkout: the working directory and the only writable place.
    public var workDirectory: URL
    /// Extra host paths the command may read (`autofix.sandboxBind`), e.g. a toolchain.
    public var readOnlyBinds: [String]
    /// Names of host environment variables to pass through (`autofix.sandboxEnv`).
    public var passEnvironment: [String]
    public var limits: SandboxLimits
    /// Resolve the command's executables on the host PATH and bind their prefixes read-only.
    public var discoverToolchains: Bool
    /// The work tree the checkout was made from, where ignored environments (a `.venv`) that a
    /// relative command names are found.
    public var projectDirectory: URL?
    /// A host directory bound writable as the command's HOME, so its caches (SwiftPM's, cargo's)
    /// last from run to run; nil gives an empty HOME that goes with the run.
    public var home: URL?

    public init(
        command: String,
        workDirectory: URL,
        readOnlyBinds: [String] = [],
        passEnvironment: [String] = [],
        limits: SandboxLimits = SandboxLimits(),
        discoverToolchains: Bool = true,
        projectDirectory: URL? = nil,
        home: URL? = nil
    ) {
        self.command = command
        self.workDirectory = workDirectory
        self.readOnlyBinds = readOnlyBinds
        self.passEnvironment = passEnvironment
        self.limits = limits
        self.discoverToolchains = discoverToolchains
        self.projectDirectory = projectDirectory
        self.home = home
    }
}

/// Which limit ended or truncated a run.
public enum LimitHit: String, Sendable, Equatable {
    case timeout, memory, processes, output, disk
}

/// What a test run did.
public struct SandboxResult: Sendable {
    /// The exit status when the command exited normally.
    public var exitCode: Int32?
    /// The signal that ended it, when one did.
    public var signal: Int32?
    public var stdout: String
    public var stderr: String
    /// Both streams in the order they were read, for test-report parsers.
    public var combinedOutput: String
    public var wallSeconds: Double
    public var limitHit: LimitHit?

    /// Exit status 0 with no limit that ended the run (a truncated log alone does not fail it).
    public var succeeded: Bool {
        exitCode == 0 && signal == nil && (limitHit == nil || limitHit == .output)
    }

    public init(exitCode: Int32?, signal: Int32?, stdout: String, stderr: String, combinedOutput: String,
                wallSeconds: Double, limitHit: LimitHit?) {
        self.exitCode = exitCode
        self.signal = signal
        self.stdout = stdout
        self.stderr = stderr
        self.combinedOutput = combinedOutput
        self.wallSeconds = wallSeconds
        self.limitHit = limitHit
    }

    /// One line for people: how it ended and how long it took.
    public var summary: String {
        var parts: [String] = []
        if let exitCode { parts.append("exit \(exitCode)") }
        if let signal { parts.append("signal \(signal)") }
        if let limitHit { parts.append("\(limitHit.rawValue) limit hit") }
        parts.append(String(format: "%.2fs", wallSeconds))
        return parts.joined(separator: ", ")
    }
}
