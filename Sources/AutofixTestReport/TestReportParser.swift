import Foundation

/// Turns a test command's output (and the JUnit XML files it wrote) into a `TestReport`.
public enum TestReportParser {
    /// Output formats tried in this order; every one that recognises the output contributes.
    private static let formats: [TestOutputFormat.Type] = [
        GoTestJSONFormat.self, TAPFormat.self, NodeSpecFormat.self, JestFormat.self, PytestFormat.self,
        CargoTestFormat.self, GoTestFormat.self, XCTestFormat.self, SwiftTestingFormat.self, SpectreFormat.self, UnittestFormat.self,
    ]

    /// - Parameters:
    ///   - output: stdout and stderr of the test command, as it printed them.
    ///   - exitCode: its exit status (128 + n when a shell reports a signal), nil when unknown.
    ///   - timedOut: the runner stopped it at its time limit.
    ///   - junitXMLFiles: JUnit XML reports it wrote; when they hold test cases they are trusted
    ///     over the console output.
    ///   - repositoryRoot: where the tests ran, to make paths in ids and locations relative.
    public static func parse(
        output: String, exitCode: Int32?, timedOut: Bool = false, junitXMLFiles: [URL] = [],
        repositoryRoot: URL? = nil
    ) -> TestReport {
        let lines = OutputText.lines(output)
        let context = ParseContext(repositoryRoot: repositoryRoot)
        var notes: [String] = []

        var found: [ParsedOutput] = []
        for file in junitXMLFiles {
            do {
                found.append(try JUnitXMLFormat.parse(data: try Data(contentsOf: file), name: file.lastPathComponent, context: context))
            } catch {
                notes.append("JUnit XML \(file.lastPathComponent) unreadable (\(error)); used the console output")
            }
        }
        found.removeAll { $0.cases.isEmpty }
        if found.isEmpty, JUnitXMLFormat.looksLikeJUnit(output),
           let xml = try? JUnitXMLFormat.parse(data: Data(output.utf8), name: "output", context: context) {
            found.append(xml)
        }
        if found.isEmpty {
            for format in formats where format.detect(lines) {
                found.append(format.parse(lines, context: context))
            }
        }
        let crashSummary = AbnormalEnd.detect(lines: lines, exitCode: exitCode)

        guard !found.isEmpty else {
            return fallback(lines: lines, exitCode: exitCode, timedOut: timedOut, abnormalEnd: crashSummary,
                            context: context, notes: notes)
        }
        return judge(found, lines: lines, exitCode: exitCode, timedOut: timedOut, crashSummary: crashSummary,
                     context: context, notes: notes)
    }

    private static func judge(
        _ found: [ParsedOutput], lines: [String], exitCode: Int32?, timedOut: Bool, crashSummary: String?,
        context: ParseContext, notes: [String]
    ) -> TestReport {
        var merged = ParsedOutput(framework: found.map(\.framework).joined(separator: "+"))
        merged.listsPassingTests = found.allSatisfy(\.listsPassingTests)
        let totals = found.compactMap(\.declaredTotal)
        merged.declaredTotal = totals.isEmpty ? nil : totals.reduce(0, +)
        let passingCounts = found.compactMap(\.declaredPassing)
        // Only a count for every part adds up to the run's; otherwise the named tests are counted.
        merged.declaredPassing = passingCounts.count == found.count ? passingCounts.reduce(0, +) : nil
        var stoppedBeforeTests = found.contains(where: \.stoppedBeforeTests)
        for part in found {
            for result in part.cases { merged.add(result) }
        }
        let formatEnd = found.compactMap(\.abnormalEnd).first
        let abnormalEnd = formatEnd ?? crashSummary
        let cutShort = timedOut || abnormalEnd != nil || (exitCode ?? 0) != 0
        let unfinished = found.flatMap(\.unfinished).filter { !merged.hasResult(for: $0.id) }
        if cutShort {
            let reason = timedOut ? "did not finish before the time limit" : "did not finish: \(abnormalEnd ?? "the run stopped")"
            for test in unfinished {
                merged.add(TestCaseResult(id: test.id, status: .errored,
                                          message: test.blamed ? (abnormalEnd ?? reason) : reason,
                                          locations: test.locations, isSynthetic: test.isSynthetic))
            }
        }
        let runLocations = found.flatMap(\.abnormalLocations)
        if merged.cases.allSatisfy({ !$0.isFailing }) {
            if timedOut || abnormalEnd != nil {
                merged.add(TestCaseResult(
                    id: TestReport.wholeRunID, status: .errored,
                    message: timedOut ? "the test run did not finish before the time limit" : abnormalEnd,
                    locations: runLocations, isSynthetic: true))
            } else if let exitCode, exitCode != 0 {
                let diagnostics = CompilerDiagnostics.scan(lines, context: context)
                if !diagnostics.isEmpty { stoppedBeforeTests = true }
                merged.add(TestCaseResult(
                    id: TestReport.wholeRunID, status: .failed,
                    message: diagnostics.first.map { "build error: \($0.message)" }
                        ?? "the test command exited with status \(exitCode) but no test reported a failure",
                    locations: diagnostics.map(\.location), isSynthetic: true))
            }
        }
        var report = TestReport(
            framework: merged.framework, cases: merged.cases, exitCode: exitCode, timedOut: timedOut,
            abnormalEnd: abnormalEnd, listsPassingTests: merged.listsPassingTests,
            declaredTotal: merged.declaredTotal, declaredPassing: merged.declaredPassing,
            stoppedBeforeTests: stoppedBeforeTests, note: notes.isEmpty ? nil : notes.joined(separator: "; "))
        if cutShort { report.unfinishedTests = unfinished.map(\.id) }
        return report
    }

    private static func fallback(
        lines: [String], exitCode: Int32?, timedOut: Bool, abnormalEnd: String?, context: ParseContext, notes: [String]
    ) -> TestReport {
        let passed = exitCode == 0 && !timedOut && abnormalEnd == nil
        let diagnostics = passed ? [] : CompilerDiagnostics.scan(lines, context: context)
        var message: String?
        if !passed {
            if timedOut {
                message = "the test command did not finish before the time limit"
            } else if let abnormalEnd {
                message = abnormalEnd
            } else if let first = diagnostics.first {
                message = "build error: \(first.message)"
            } else {
                message = "the test command exited with status \(exitCode.map(String.init) ?? "unknown")"
            }
        }
        var locations = diagnostics.map(\.location)
        if !passed, locations.isEmpty {
            // No compiler error: the last places the log mentions are the best guess.
            locations = Array(LocationScanner.scan(lines.suffix(200).joined(separator: "\n"), context: context).suffix(5))
        }
        let whole = TestCaseResult(
            id: TestReport.wholeRunID, status: passed ? .passed : .failed, message: message, locations: locations,
            isSynthetic: true)
        let judged = "no known test output format; judged by exit code \(exitCode.map(String.init) ?? "unknown")"
        return TestReport(
            framework: "exit-code", cases: [whole], exitCode: exitCode, timedOut: timedOut, abnormalEnd: abnormalEnd,
            listsPassingTests: false, declaredTotal: nil, stoppedBeforeTests: !diagnostics.isEmpty,
            note: ([judged] + notes).joined(separator: "; "))
    }
}
