/// What one format parser found in an output, before the run as a whole is judged.
struct ParsedOutput {
    var framework: String
    private(set) var cases: [TestCaseResult] = []
    private var indexByID: [String: Int] = [:]
    var listsPassingTests = true
    var declaredTotal: Int?
    var declaredPassing: Int?
    /// The output says the tests were never run: collection failed.
    var stoppedBeforeTests = false
    /// Tests that started and never reported a result, in the order they started.
    var unfinished: [UnfinishedTest] = []
    /// A crash or interrupt the format itself reported (a crashed test binary, a bail-out).
    var abnormalEnd: String?
    /// Where the output says the run stopped, when no test can be blamed.
    var abnormalLocations: [SourceLocation] = []

    init(framework: String) {
        self.framework = framework
    }

    /// Adds `result`, or merges it into an earlier report of the same test; with `detailsWin` its
    /// message and assertion replace the earlier ones (a full failure section after a clipped summary).
    mutating func add(_ result: TestCaseResult, detailsWin: Bool = false) {
        var result = result
        result.id = TestIdentity.normalize(result.id)
        if let index = indexByID[result.id] {
            // A test reported twice (a summary repeating failures, a retry): keep the worse
            // outcome and whatever detail either report had.
            var merged = cases[index]
            if result.isFailing && !merged.isFailing { merged.status = result.status }
            if detailsWin {
                merged.message = result.message ?? merged.message
                merged.assertion = result.assertion ?? merged.assertion
            } else {
                merged.message = merged.message ?? result.message
                merged.assertion = merged.assertion ?? result.assertion
            }
            for location in result.locations where !merged.locations.contains(location) {
                merged.locations.append(location)
            }
            cases[index] = merged
        } else {
            indexByID[result.id] = cases.count
            cases.append(result)
        }
    }

    func hasResult(for id: String) -> Bool {
        indexByID[TestIdentity.normalize(id)] != nil
    }
}

/// A test that started but did not report, and what the output says about where it stopped.
struct UnfinishedTest {
    var id: String
    var locations: [SourceLocation] = []
    /// True when the crash report names this test (its frame is on the crashed thread).
    var blamed = false
    /// True when the id names a file or binary rather than one test.
    var isSynthetic = false
}

/// One output format: recognises its own output and turns it into results.
protocol TestOutputFormat: Sendable {
    static func detect(_ lines: [String]) -> Bool
    static func parse(_ lines: [String], context: ParseContext) -> ParsedOutput
}
