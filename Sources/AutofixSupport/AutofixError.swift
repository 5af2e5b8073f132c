/// The exit codes of `git autofix`. Scripts rely on these numbers: never renumber them.
public enum ExitCategory: Int32, Sendable, CaseIterable {
    case success = 0
    case testsFailing = 1
    case usage = 2
    case model = 3
    case sandbox = 4
    case git = 5

    public var label: String {
        switch self {
        case .success: return "success"
        case .testsFailing: return "tests still failing"
        case .usage: return "usage or configuration error"
        case .model: return "model or endpoint error"
        case .sandbox: return "sandbox error"
        case .git: return "git error"
        }
    }
}

/// Every module's error type conforms to this, so the command line can print what happened, what
/// to do next, and exit with the right code without knowing the module.
public protocol AutofixError: Error, CustomStringConvertible {
    /// Which exit code the command line uses for this error.
    var category: ExitCategory { get }
    /// What happened, in one sentence a user understands.
    var message: String { get }
    /// What to do about it (a command to type, a setting to change), when there is something.
    var hint: String? { get }
}

extension AutofixError {
    public var hint: String? { nil }
    public var description: String {
        if let hint { return "\(message)\nhint: \(hint)" }
        return message
    }
}

/// A usage or configuration problem found before any work started.
public struct UsageError: AutofixError {
    public let message: String
    public let hint: String?
    public var category: ExitCategory { .usage }

    public init(_ message: String, hint: String? = nil) {
        self.message = message
        self.hint = hint
    }
}
