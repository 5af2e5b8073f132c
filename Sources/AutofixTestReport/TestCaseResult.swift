/// One test as a run reported it.
public struct TestCaseResult: Hashable, Sendable, Codable {
    /// Stable across runs: no timings, addresses or seeds, so two reports can be compared.
    public var id: String
    public var status: TestStatus
    /// What the framework said went wrong (first lines only), for failed and errored tests.
    public var message: String?
    /// The failing assertion or expression when the framework shows it.
    public var assertion: String?
    /// Where the failure points, innermost repository frame last, as the framework printed them.
    public var locations: [SourceLocation]
    /// True for a stand-in the parser made up: the whole run judged by its exit code, a crashed
    /// test binary, an interrupted run that named no test.
    public var isSynthetic: Bool

    public init(
        id: String, status: TestStatus, message: String? = nil, assertion: String? = nil,
        locations: [SourceLocation] = [], isSynthetic: Bool = false
    ) {
        self.id = id
        self.status = status
        self.message = message
        self.assertion = assertion
        self.locations = locations
        self.isSynthetic = isSynthetic
    }

    public var isFailing: Bool { status == .failed || status == .errored }
}
