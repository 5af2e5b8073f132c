import AutofixSupport

/// The outcome of one test case.
public enum TestStatus: String, Sendable, Codable {
    case passed
    case failed
    case errored
    case skipped
}
