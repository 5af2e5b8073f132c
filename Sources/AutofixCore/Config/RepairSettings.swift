import AutofixModel
import AutofixPatch
import AutofixSandbox
import AutofixSupport
import Foundation

/// Everything a repair run needs to know, resolved from flags > environment > git config
/// (`autofix.*`) > defaults.
public struct RepairSettings: Sendable {
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
    /// The model's context window in tokens (`--context-tokens`, `autofix.contextTokens`); nil:
    /// what the server reports.
    public var contextTokens: Int?
    public var editFormat: EditFormat
    public var protectedGlobs: [String]
    public var apiKeyVariable: String?
    /// Certificate authorities to trust for an https endpoint instead of the system's
    /// (`AUTOFIX_SSL_CAINFO`, `autofix.sslCAInfo`).
    public var sslCAInfo: String?
    /// Server-specific request fields (`autofix.requestFields`, a JSON object), e.g.
    /// `{"repetition_penalty": 1.05}`; they cannot replace model, messages or stream.
    public var requestFields: [String: JSONValue] = [:]
    /// Replies asked for at once in each round (`--candidates`, `autofix.candidates`).
    public var candidates = SettingDefaults.candidates
    /// The temperature of every candidate but the first (`autofix.candidateTemperature`).
    public var candidateTemperature = SettingDefaults.candidateTemperature
    /// The most candidates' test runs going on at once (`autofix.parallelTests`).
    public var parallelTests = SettingDefaults.parallelTests
    /// Whether a baseline may be a stored result for the same tree, command and environment
    /// instead of a new run (`--no-reuse`, `autofix.reuseResults`).
    public var reuseResults = true
    /// Each request of a round asks for one file patch, which is tested before the next is
    /// asked for (`--one-patch-per-request`, `autofix.onePatchPerRequest`).
    public var onePatchPerRequest = false
    /// What turned warm builds off (`--no-warm-builds`, `autofix.warmBuilds`); nil when on.
    public var warmBuildsOffBy: String?

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
    public var contextTokens: Int?
    public var editFormat: String?
    public var noTestEdits = false
    public var apiKeyEnv: String?
    public var candidates: Int?
    public var noReuse = false
    /// nil: not given, so git config decides.
    public var onePatchPerRequest: Bool?
    public var noWarmBuilds = false

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
        let sandbox = try sandboxSettings()
        let candidates = try candidates()
        let protected = PathPolicy.protectedGlobs(configured: try configList(ConfigKey.protect), noTestEdits: flags.noTestEdits)
        return RepairSettings(
            testCommand: testCommand,
            testCommandSource: source,
            issueText: try resolveIssue(),
            endpoint: try endpoint(),
            model: try model(),
            maxRounds: try maxRounds(),
            sandboxSettings: sandbox,
            timeout: try ConfiguredDuration.seconds(flag: flags.timeout, flagName: "--timeout", key: ConfigKey.timeout, config: config),
            temperature: try temperature(),
            topP: try topP(),
            maxDiffTokens: try maxDiffTokens(),
            contextTokens: try contextTokens(),
            editFormat: try editFormat(),
            protectedGlobs: protected,
            apiKeyVariable: flags.apiKeyEnv,
            sslCAInfo: try sslCAInfo(),
            requestFields: try requestFields(),
            candidates: candidates,
            candidateTemperature: try candidateTemperature(),
            parallelTests: try parallelTests(),
            reuseResults: try reuseResults(),
            onePatchPerRequest: try onePatchPerRequest(candidates: candidates),
            warmBuildsOffBy: try warmBuildsOffBy())
    }

    /// Where and how the tests run (`--sandbox`, `--test-timeout`, autofix.sandbox*).
    public func sandboxSettings() throws -> SandboxSettings {
        var settings = try SandboxSettings.resolve(
            SandboxSettings.Flags(backend: flags.sandbox, testTimeout: flags.testTimeout), config: config, configList: configList)
        // Relative test commands (`.venv/bin/python -m pytest`) are found in the work tree.
        settings.projectDirectory = projectRoot
        return settings
    }

    /// The model server's base URL: `--endpoint`, AUTOFIX_ENDPOINT, autofix.endpoint, the default.
    public func endpoint() throws -> String {
        try flags.endpoint ?? environment[EnvironmentKey.endpoint] ?? config(ConfigKey.endpoint) ?? SettingDefaults.endpoint
    }

    /// The model's name: `--model`, AUTOFIX_MODEL, autofix.model, the default.
    public func model() throws -> String {
        try flags.model ?? environment[EnvironmentKey.model] ?? config(ConfigKey.model) ?? SettingDefaults.model
    }

    /// The test command autofix.testCommand sets, if any (empty counts as unset).
    public func configuredTestCommand() throws -> String? {
        try config(ConfigKey.testCommand).flatMap { $0.isEmpty ? nil : $0 }
    }

    /// What the pre-push hook does on failure, as written in autofix.prePush (the hook script
    /// reads it too, and takes anything else for `block`).
    public func prePushSetting() throws -> String {
        try config(ConfigKey.prePush) ?? SettingDefaults.prePush.rawValue
    }

    private func maxRounds() throws -> Int {
        let range = SettingDefaults.maxRoundsRange
        return try checked(configInt(flag: flags.maxRounds, "--max-rounds", ConfigKey.maxRounds), or: SettingDefaults.maxRounds,
                           range.contains, "must be between \(range.lowerBound) and \(range.upperBound)")
    }

    private func temperature() throws -> Double {
        let range = SettingDefaults.temperatureRange
        return try checked(configDouble(flag: flags.temperature, "--temperature", ConfigKey.temperature), or: SettingDefaults.temperature,
                           range.contains, "must be between \(Self.text(range.lowerBound)) and \(Self.text(range.upperBound))")
    }

    private func candidates() throws -> Int {
        let range = SettingDefaults.candidatesRange
        return try checked(configInt(flag: flags.candidates, "--candidates", ConfigKey.candidates), or: SettingDefaults.candidates,
                           range.contains, "must be between \(range.lowerBound) and \(range.upperBound)")
    }

    /// One file patch per request plays a round as one conversation, which several candidates
    /// at once cannot share: asking for both is a usage error naming where each was given.
    private func onePatchPerRequest(candidates: Int) throws -> Bool {
        let given = try flags.onePatchPerRequest.map { Sourced(value: $0, source: "--one-patch-per-request") }
            ?? configBool(ConfigKey.onePatchPerRequest)
        guard let given, given.value else { return false }
        if candidates > 1 {
            let source = flags.candidates != nil ? "--candidates" : "git config \(ConfigKey.candidates)"
            throw UsageError("\(given.source) asks for one reply at a time, so it cannot be combined with \(source) (\(candidates) candidates)",
                             hint: "leave out one of them: one file patch per request, or several candidates per round")
        }
        return true
    }

    private func candidateTemperature() throws -> Double {
        let range = SettingDefaults.temperatureRange
        return try checked(configDouble(flag: nil, "", ConfigKey.candidateTemperature), or: SettingDefaults.candidateTemperature,
                           range.contains, "must be between \(Self.text(range.lowerBound)) and \(Self.text(range.upperBound))")
    }

    private func warmBuildsOffBy() throws -> String? {
        if flags.noWarmBuilds { return "--no-warm-builds" }
        guard let text = try config(ConfigKey.warmBuilds) else {
            return SettingDefaults.warmBuilds ? nil : "\(ConfigKey.warmBuilds) is false by default"
        }
        switch text.lowercased() {
        case "true", "yes", "on", "1", "": return nil
        case "false", "no", "off", "0": return "\(ConfigKey.warmBuilds) is false"
        default:
            throw UsageError("git config \(ConfigKey.warmBuilds) is `\(text)`, which is not a boolean",
                             hint: "use `git config \(ConfigKey.warmBuilds) false` (or true)")
        }
    }

    private func parallelTests() throws -> Int {
        try checked(configInt(flag: nil, "", ConfigKey.parallelTests), or: SettingDefaults.parallelTests,
                    { $0 >= 1 }, "must be at least 1")
    }

    private func reuseResults() throws -> Bool {
        if flags.noReuse { return false }
        guard let text = try config(ConfigKey.reuseResults) else { return true }
        switch text.lowercased() {
        case "true", "yes", "on", "1": return true
        case "false", "no", "off", "0": return false
        default: throw UsageError("git config \(ConfigKey.reuseResults) is `\(text)`, not true or false")
        }
    }

    private func topP() throws -> Double {
        try checked(configDouble(flag: flags.topP, "--top-p", ConfigKey.topP), or: SettingDefaults.topP,
                    { $0 > 0 && $0 <= 1 }, "must be in (0, 1]")
    }

    private func maxDiffTokens() throws -> Int {
        let least = SettingDefaults.minimumDiffTokens
        return try checked(configInt(flag: flags.maxDiffTokens, "--max-diff-tokens", ConfigKey.maxDiffTokens), or: SettingDefaults.maxDiffTokens,
                           { $0 >= least }, "must be at least \(least)")
    }

    /// nil: the window the server reports, else the default (see ContextBudget).
    private func contextTokens() throws -> Int? {
        guard let given = try configInt(flag: flags.contextTokens, "--context-tokens", ConfigKey.contextTokens) else { return nil }
        let least = SettingDefaults.minimumContextTokens
        return try checked(given, or: least, { $0 >= least }, "must be at least \(least)")
    }

    private func editFormat() throws -> EditFormat {
        let given = try flags.editFormat.map { Sourced(value: $0, source: "--edit-format") }
            ?? config(ConfigKey.editFormat).map { Sourced(value: $0, source: "git config \(ConfigKey.editFormat)") }
        guard let given else { return SettingDefaults.editFormat }
        guard let format = EditFormat(rawValue: given.value) else {
            throw UsageError("\(given.source) is `\(given.value)`, which is not an edit format",
                             hint: "choose one of: \(EditFormat.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return format
    }

    /// The given value when `isValid` accepts it, else a usage error naming where it came from.
    private func checked<Value>(_ given: Sourced<Value>?, or fallback: Value, _ isValid: (Value) -> Bool, _ rule: String) throws -> Value {
        guard let given else { return fallback }
        guard isValid(given.value) else { throw UsageError("\(given.source) \(rule) (got \(given.value))") }
        return given.value
    }

    private static func text(_ bound: Double) -> String {
        bound == bound.rounded() ? String(Int(bound)) : String(bound)
    }

    private func resolveTestCommand() throws -> (String, String) {
        if let test = flags.test {
            guard !test.trimmingCharacters(in: .whitespaces).isEmpty else { throw UsageError("--test needs a command") }
            return (test, "--test")
        }
        if let configured = try configuredTestCommand() {
            return (configured, "git config \(ConfigKey.testCommand)")
        }
        if let detected = detector.detect(in: projectRoot) {
            return (detected.command, "detected from \(detected.reason)")
        }
        throw UsageError("no test command: nothing at the repository root says how to run the tests",
                         hint: "pass --test 'CMD', or set it once: git config autofix.testCommand 'CMD'")
    }

    private func sslCAInfo() throws -> String? {
        let (value, source): (String?, String) = try environment[EnvironmentKey.sslCAInfo].map { ($0, EnvironmentKey.sslCAInfo) }
            ?? (config(ConfigKey.sslCAInfo), "git config \(ConfigKey.sslCAInfo)")
        guard let value, !value.isEmpty else { return nil }
        let path = (value as NSString).expandingTildeInPath
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw UsageError("\(source) names \(value), which is not a readable file",
                             hint: "point it at the PEM file of the CA that signed the server's certificate")
        }
        return path
    }

    private func requestFields() throws -> [String: JSONValue] {
        guard let text = try config(ConfigKey.requestFields) else { return [:] }
        guard case .object(let fields)? = JSONValue.parse(text) else {
            throw UsageError("git config \(ConfigKey.requestFields) is not a JSON object: \(text)",
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

    private func configInt(flag: Int?, _ flagName: String, _ key: String) throws -> Sourced<Int>? {
        if let flag { return Sourced(value: flag, source: flagName) }
        guard let value = try config(key) else { return nil }
        guard let number = Int(value) else { throw UsageError("git config \(key) is `\(value)`, not a whole number") }
        return Sourced(value: number, source: "git config \(key)")
    }

    /// A boolean as git reads one: true, yes, on, 1 or false, no, off, 0, in any case.
    private func configBool(_ key: String) throws -> Sourced<Bool>? {
        guard let value = try config(key) else { return nil }
        switch value.lowercased() {
        case "true", "yes", "on", "1": return Sourced(value: true, source: "git config \(key)")
        case "false", "no", "off", "0", "": return Sourced(value: false, source: "git config \(key)")
        default: throw UsageError("git config \(key) is `\(value)`, not a boolean", hint: "set it to true or false")
        }
    }

    private func configDouble(flag: Double?, _ flagName: String, _ key: String) throws -> Sourced<Double>? {
        if let flag { return Sourced(value: flag, source: flagName) }
        guard let value = try config(key) else { return nil }
        guard let number = Double(value) else { throw UsageError("git config \(key) is `\(value)`, not a number") }
        return Sourced(value: number, source: "git config \(key)")
    }
}

/// A setting's value and where it was given (`--max-rounds`, `git config autofix.maxRounds`),
/// so that an error about it names the place to correct it.
struct Sourced<Value> {
    let value: Value
    let source: String
}
