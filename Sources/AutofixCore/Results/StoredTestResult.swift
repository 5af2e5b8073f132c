import Foundation

/// What a stored result is a result of: the tree the tests ran on, the exact test command, and
/// the environment that could change what they showed (`TestEnvironment`).
public struct TestResultKey: Codable, Sendable, Equatable {
    public let tree: String
    public let command: String
    public let environment: String

    public init(tree: String, command: String, environment: String) {
        self.tree = tree
        self.command = command
        self.environment = environment
    }
}

/// One test run kept by tree: what it showed and who ran it when.
public struct StoredTestResult: Codable, Sendable, Equatable {
    public let key: TestResultKey
    public let exitCode: Int32?
    public let timedOut: Bool
    public let seconds: Double
    public let limitNote: String?
    public let at: Date
    /// Who ran it: `run <id>`, `doctor`, `fixup` or `pre-push hook` (`TestResultSource`).
    public let by: String
    /// The directory the output names as the checkout; a reader puts its own in its place.
    public let root: String?
    public let output: String

    public init(key: TestResultKey, exitCode: Int32?, timedOut: Bool, seconds: Double, limitNote: String?, at: Date,
                by: String, root: String?, output: String) {
        self.key = key
        self.exitCode = exitCode
        self.timedOut = timedOut
        self.seconds = seconds
        self.limitNote = limitNote
        self.at = at
        self.by = by
        self.root = root
        self.output = output
    }

    /// The output with the checkout it names moved to `root`.
    public func output(naming root: String?) -> String {
        guard let stored = self.root, let root, stored != root else { return output }
        return output.replacingOccurrences(of: stored + "/", with: root + "/")
    }
}

/// The names a stored result gives its runner.
public enum TestResultSource {
    public static let prePushHook = "pre-push hook"
    public static let doctor = "doctor"
    public static let fixup = "fixup"

    public static func run(_ id: String) -> String { "run \(id)" }

    /// How a message names the run a result came from: "the pre-push hook's run".
    public static func described(_ by: String) -> String {
        switch by {
        case prePushHook: return "the pre-push hook's run"
        case doctor: return "doctor's test run"
        case fixup: return "fixup's test run"
        default: return by
        }
    }
}

/// When a reused result was made, as messages say it: "14:02" on the same day, else with the date.
public enum ReusedTime {
    public static func text(_ date: Date, now: Date = Date(), timeZone: TimeZone = .current) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = timeZone
        formatter.dateFormat = "yyyy-MM-dd"
        let sameDay = formatter.string(from: date) == formatter.string(from: now)
        formatter.dateFormat = sameDay ? "HH:mm" : "yyyy-MM-dd HH:mm"
        return formatter.string(from: date)
    }
}
