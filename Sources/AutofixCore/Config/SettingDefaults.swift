import AutofixModel
import AutofixPatch
import AutofixSandbox
import Foundation
/// What a setting is when no flag, environment variable or git config gives it, and the bounds a
/// given value must keep. The model client's own request defaults are the same reference
/// deployment's, so they are taken from there rather than written twice.
public enum SettingDefaults {
    public static let endpoint = ModelEndpoint.defaultBaseURL
    public static let model = ModelEndpoint.defaultModel
    public static let maxRounds = 10
    public static let maxRoundsRange = 1...50
    public static let temperature = ChatRequest(model: model, messages: []).temperature
    public static let temperatureRange = 0.0...2.0
    public static let topP = ChatRequest(model: model, messages: []).topP
    public static let maxDiffTokens = ChatRequest(model: model, messages: []).maxTokens
    public static let minimumDiffTokens = 16
    /// The smallest context window a run can work in (prompt and reply).
    public static let minimumContextTokens = 1024
    public static let editFormat = EditFormat.diff
    public static let sandbox = SandboxBackendKind.bwrap
    public static let prePush = PrePushMode.block
    public static let candidates = 1
    public static let candidatesRange = 1...8
    public static let candidateTemperature = 0.7
    /// How many candidates' test runs may go on at once: one per core.
    public static let parallelTests = ProcessInfo.processInfo.activeProcessorCount
    public static let warmBuilds = true
}

/// What the pre-push hook does when the tests fail (`autofix.prePush`).
public enum PrePushMode: String, CaseIterable, Sendable {
    case block, warn, fix
}
