/// What one run of the test command showed: which tests passed or failed and why.
public struct TestReport: Sendable, Codable {
    /// The id of the stand-in test used when the run as a whole is judged (see `TestCaseResult.isSynthetic`).
    public static let wholeRunID = "(whole run)"

    /// "xctest", "swift-testing", "pytest", "go", "cargo", "jest", "node", "junit", "tap" or
    /// "exit-code"; several joined with "+" when one output held more than one (swift test runs
    /// XCTest and Swift Testing one after the other).
    public var framework: String
    public var cases: [TestCaseResult]
    public var exitCode: Int32?
    public var timedOut: Bool
    /// Set when the run ended abnormally: a crash (signal, fatal error) or an interrupt.
    public var abnormalEnd: String?
    /// False when the format names only failing tests (pytest's default, go test without -v,
    /// jest without --verbose): then a test missing from the report may have passed.
    public var listsPassingTests: Bool
    /// The number of tests the framework said it ran or collected, when it said so.
    public var declaredTotal: Int?
    /// The number of tests the framework said passed, when its output names only failures
    /// (pytest -q: "2 failed, 82 passed").
    public var declaredPassing: Int?
    /// The build or the test collection failed, so no test ran: every test counts as failing.
    public var stoppedBeforeTests: Bool
    /// Tests that started and had not finished when the run was cut short (the time limit, a crash).
    public var unfinishedTests: [String] = []
    /// How the report was made when that matters to a reader, e.g. the exit-code fallback.
    public var note: String?

    public init(
        framework: String, cases: [TestCaseResult], exitCode: Int32?, timedOut: Bool = false,
        abnormalEnd: String? = nil, listsPassingTests: Bool = true, declaredTotal: Int? = nil,
        declaredPassing: Int? = nil, stoppedBeforeTests: Bool = false, note: String? = nil
    ) {
        self.framework = framework
        self.cases = cases
        self.exitCode = exitCode
        self.timedOut = timedOut
        self.abnormalEnd = abnormalEnd
        self.listsPassingTests = listsPassingTests
        self.declaredTotal = declaredTotal
        self.declaredPassing = declaredPassing
        self.stoppedBeforeTests = stoppedBeforeTests
        self.note = note
    }

    public var failing: [TestCaseResult] { cases.filter(\.isFailing) }
    public var failingIDs: Set<String> { Set(failing.map(\.id)) }
    public var passingIDs: Set<String> { Set(cases.filter { $0.status == .passed }.map(\.id)) }
    public var failingCount: Int { failing.count }
    /// Passing tests: what the framework counted, else those it named.
    public var passingCount: Int { declaredPassing ?? passingIDs.count }
    public var isExitCodeFallback: Bool { framework == "exit-code" }

    /// True when the run finished on its own, without a crash, interrupt or time limit.
    public var ranToCompletion: Bool { !timedOut && abnormalEnd == nil }

    /// The number of tests the run knew about: what it declared, or what it listed (stand-ins
    /// not counted).
    public var totalCount: Int { max(declaredTotal ?? 0, cases.filter { !$0.isSynthetic }.count) }

    /// Everything passed: no failing test, a clean exit, and a run that was not cut short.
    public var allPassed: Bool {
        failing.isEmpty && ranToCompletion && (exitCode ?? 0) == 0
    }

    public func result(for id: String) -> TestCaseResult? {
        cases.first { $0.id == id }
    }
}
