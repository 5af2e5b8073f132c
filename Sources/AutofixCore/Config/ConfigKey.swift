/// Every git config key git autofix reads, and the environment variables that stand in for some
/// of them. Messages name a setting by these, so what a user is told to set is what is read.
public enum ConfigKey {
    public static let testCommand = "autofix.testCommand"
    public static let endpoint = "autofix.endpoint"
    public static let model = "autofix.model"
    public static let maxRounds = "autofix.maxRounds"
    public static let timeout = "autofix.timeout"
    public static let temperature = "autofix.temperature"
    public static let topP = "autofix.topP"
    public static let maxDiffTokens = "autofix.maxDiffTokens"
    public static let contextTokens = "autofix.contextTokens"
    public static let editFormat = "autofix.editFormat"
    public static let protect = "autofix.protect"
    public static let sslCAInfo = "autofix.sslCAInfo"
    public static let requestFields = "autofix.requestFields"
    public static let prePush = "autofix.prePush"
    public static let candidates = "autofix.candidates"
    public static let candidateTemperature = "autofix.candidateTemperature"
    public static let parallelTests = "autofix.parallelTests"
    public static let reuseResults = "autofix.reuseResults"
    public static let onePatchPerRequest = "autofix.onePatchPerRequest"
    public static let warmBuilds = "autofix.warmBuilds"

    public static let sandbox = "autofix.sandbox"
    public static let image = "autofix.image"
    public static let sandboxRuntime = "autofix.sandboxRuntime"
    public static let testTimeout = "autofix.testTimeout"
    public static let sandboxMemory = "autofix.sandboxMemory"
    public static let sandboxDisk = "autofix.sandboxDisk"
    public static let sandboxProcesses = "autofix.sandboxProcesses"
    public static let sandboxBind = "autofix.sandboxBind"
    public static let sandboxEnv = "autofix.sandboxEnv"

    /// Git's own key for where hooks live.
    public static let hooksPath = "core.hooksPath"
}

/// The environment variables read as settings (the API key ones are ModelEndpoint's).
public enum EnvironmentKey {
    public static let endpoint = "AUTOFIX_ENDPOINT"
    public static let model = "AUTOFIX_MODEL"
    public static let sslCAInfo = "AUTOFIX_SSL_CAINFO"
}
