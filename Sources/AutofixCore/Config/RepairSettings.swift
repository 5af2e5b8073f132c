import Foundation

/// Everything a repair run needs to know, resolved from flags > environment > git config
/// (`autofix.*`) > defaults.
public struct RepairSettings: Sendable {
    public static let defaultEndpoint = "http://localhost:8000/v1"
    public static let defaultModel = "mistralai/Devstral-Small-2505"
    public static let defaultMaxRounds = 10
    public static let maxRoundsCap = 50

    public var testCommand: String
    /// Where the test command came from, said to the user (`--test`, `git config autofix.testCommand`, `detected from Package.swift`).
    public var testCommandSource: String
    public var issueText: String?
    public var endpoint: String
    public var model: String
    public var maxRounds: Int
    public var sandboxSettings: SandboxSettings
    /// The whole run's time budget in seconds (nil: none).
    public var timeout: Double?
    public var temperature: Double
    public var topP: Double
    public var maxDiffTokens: Int
    public var editFormat: EditFormat
    public var protectedGlobs: [String]
    public var apiKeyVariable: String?
    /// Certificate authorities to trust for an https endpoint instead of the system's
    /// (`AUTOFIX_SSL_CAINFO`, `autofix.sslCAInfo`).
    public var sslCAInfo: String?
    /// Server-specific request fields (`autofix.requestFields`, a JSON object), e.g.
    /// `{"repetition_penalty": 1.05}`; they cannot replace model, messages or stream.
    public var requestFields: [String: JSONValue] = [:]

    public var sandbox: SandboxBackendKind { sandboxSettings.backend }
    /// The time limit of one test run, in seconds.
    public var testTimeout: Double { sandboxSettings.limits.timeout }
}

/// The values given on the command line; nil means "not given".
public struct RepairFlags: Sendable {
    public var test: String?
    public var issue: String?
    public var issueFile: String?
    public var endpoint: String?
    public var model: String?
    public var maxRounds: Int?
    public var sandbox: String?
    public var timeout: String?
    public var testTimeout: String?
    public var temperature: Double?
    public var topP: Double?
    public var maxDiffTokens: Int?
    public var editFormat: String?
    public var noTestEdits = false
    public var apiKeyEnv: String?

    public init() {}
}

/// Resolves `RepairSettings`; every bad value becomes a `UsageError` naming where it came from.
public struct SettingsResolver {
    let flags: RepairFlags
    let environment: [String: String]
    let config: (String) throws -> String?
    let configList: (String) throws -> [String]
    let projectRoot: URL
    let detector: TestCommandDetector

    public init(flags: RepairFlags, environment: [String: String], projectRoot: URL,
                config: @escaping (String) throws -> String?, configList: @escaping (String) throws -> [String] = { _ in [] },
                detector: TestCommandDetector = TestCommandDetector()) {
        self.flags = flags
        self.environment = environment
        self.config = config
        self.configList = configList
        self.projectRoot = projectRoot
        self.detector = detector
    }

    public func resolve() throws -> RepairSettings {
        let (testCommand, source) = try resolveTestCommand()
        let rounds = try flags.maxRounds ?? configInt("autofix.maxRounds") ?? RepairSettings.defaultMaxRounds
        guard (1...RepairSettings.maxRoundsCap).contains(rounds) else {
            throw UsageError("--max-rounds must be between 1 and \(RepairSettings.maxRoundsCap) (got \(rounds))")
        }
        let sandbox = try SandboxSettings.resolve(
            SandboxSettings.Flags(backend: flags.sandbox, testTimeout: flags.testTimeout), config: config, configList: configList)
        let formatName = try flags.editFormat ?? config("autofix.editFormat") ?? EditFormat.diff.rawValue
        guard let format = EditFormat(rawValue: formatName) else {
            throw UsageError("unknown edit format `\(formatName)`", hint: "choose diff or whole")
        }
        let temperature = try flags.temperature ?? configDouble("autofix.temperature") ?? 0.15
        guard (0...2).contains(temperature) else { throw UsageError("--temperature must be between 0 and 2 (got \(temperature))") }
        let topP = try flags.topP ?? configDouble("autofix.topP") ?? 0.95
        guard topP > 0, topP <= 1 else { throw UsageError("--top-p must be in (0, 1] (got \(topP))") }
        let maxTokens = try flags.maxDiffTokens ?? configInt("autofix.maxDiffTokens") ?? 2048
        guard maxTokens >= 16 else { throw UsageError("--max-diff-tokens must be at least 16 (got \(maxTokens))") }
        let protected = PathPolicy.protectedGlobs(configured: try configList("autofix.protect"), noTestEdits: flags.noTestEdits)
        return RepairSettings(
            testCommand: testCommand,
            testCommandSource: source,
            issueText: try resolveIssue(),
            endpoint: try flags.endpoint ?? environment["AUTOFIX_ENDPOINT"] ?? config("autofix.endpoint") ?? RepairSettings.defaultEndpoint,
            model: try flags.model ?? environment["AUTOFIX_MODEL"] ?? config("autofix.model") ?? RepairSettings.defaultModel,
            maxRounds: rounds,
            sandboxSettings: sandbox,
            timeout: try ConfiguredDuration.seconds(flag: flags.timeout, flagName: "--timeout", key: "autofix.timeout", config: config),
            temperature: temperature,
            topP: topP,
            maxDiffTokens: maxTokens,
            editFormat: format,
            protectedGlobs: protected,
            apiKeyVariable: flags.apiKeyEnv,
            sslCAInfo: try sslCAInfo(),
            requestFields: try requestFields())
    }

    private func resolveTestCommand() throws -> (String, String) {
        if let test = flags.test {
            guard !test.trimmingCharacters(in: .whitespaces).isEmpty else { throw UsageError("--test needs a command") }
            return (test, "--test")
        }
        if let configured = try config("autofix.testCommand"), !configured.isEmpty {
            return (configured, "git config autofix.testCommand")
        }
        if let detected = detector.detect(in: projectRoot) {
            return (detected.command, "detected from \(detected.reason)")
        }
        throw UsageError("no test command: nothing at the repository root says how to run the tests",
                         hint: "pass --test 'CMD', or set it once: git config autofix.testCommand 'CMD'")
    }

    private func sslCAInfo() throws -> String? {
        let (value, source): (String?, String) = try environment["AUTOFIX_SSL_CAINFO"].map { ($0, "AUTOFIX_SSL_CAINFO") }
            ?? (config("autofix.sslCAInfo"), "git config autofix.sslCAInfo")
        guard let value, !value.isEmpty else { return nil }
        let path = (value as NSString).expandingTildeInPath
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw UsageError("\(source) names \(value), which is not a readable file",
                             hint: "point it at the PEM file of the CA that signed the server's certificate")
        }
        return path
    }

    private func requestFields() throws -> [String: JSONValue] {
        guard let text = try config("autofix.requestFields") else { return [:] }
        guard case .object(let fields)? = JSONValue.parse(text) else {
            throw UsageError("git config autofix.requestFields is not a JSON object: \(text)",
                             hint: #"set it like: git config autofix.requestFields '{"repetition_penalty": 1.05}'"#)
        }
        return fields
    }

    private func resolveIssue() throws -> String? {
        if flags.issue != nil && flags.issueFile != nil { throw UsageError("give --issue or --issue-file, not both") }
        if let issue = flags.issue { return issue }
        guard let file = flags.issueFile else { return nil }
        let url = URL(fileURLWithPath: file, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            throw UsageError("cannot read --issue-file \(file)", hint: "check the path; use - for none")
        }
        return text
    }

    private func configInt(_ key: String) throws -> Int? {
        guard let value = try config(key) else { return nil }
        guard let number = Int(value) else { throw UsageError("git config \(key) is `\(value)`, not a whole number") }
        return number
    }

    private func configDouble(_ key: String) throws -> Double? {
        guard let value = try config(key) else { return nil }
        guard let number = Double(value) else { throw UsageError("git config \(key) is `\(value)`, not a number") }
        return number
    }
}
