/// pytest in its default, `-q`, `-v` and `-rA` forms: the short summary and `-v` lines give ids and
/// outcomes, the FAILURES and ERRORS sections give messages, assertions and traceback locations.
/// A subtest (pytest 9's `subtests` fixture, unittest's `subTest`) is a test of its own, named by
/// its test and its description: `test_x.py::test_y [msg] (k=1)`.
enum PytestFormat: TestOutputFormat {
    private static let sessionStart = Pattern("^=+ test session starts =+$")
    private static let sectionLine = Pattern("^=+ (.+?) =+$")
    private static let testHeader = Pattern("^_{2,} (.+?) _{2,}$")
    private static let verboseLine = Pattern("^(\\S+?::.+?) (PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS)(?: \\(.*\\))?(?:\\s+\\[\\s*\\d+%\\])?\\s*$")
    /// -v prints a test's id before running it and its outcome after: an id alone is a test still running.
    private static let startedLine = Pattern("^(\\S+::\\S+) ?$")
    private static let summaryLine = Pattern("^(PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS) (.+)$")
    /// pytest-xdist with -v: "[gw1] [ 50%] FAILED tests/test_x.py::test_y".
    private static let workerLine = Pattern("^\\[gw\\d+\\] \\[\\s*\\d+%\\] (PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS) (\\S+::.+?)\\s*$")
    /// pytest 9: "SUBFAILED[msg] (k=1) test_x.py::test_y - reason" in the summary.
    private static let subtestSummaryLine = Pattern("^SUB(PASSED|FAILED|SKIPPED|XFAIL|XPASS)(.*?) (\\S+::\\S+)(?: - (.*))?$")
    /// pytest 9 with -v: "test_x.py::test_y SUBFAILED[msg] (k=1)   [ 25%]".
    private static let subtestVerboseLine = Pattern("^(\\S+::\\S+) SUB(PASSED|FAILED|SKIPPED|XFAIL|XPASS)(.*?)(?:\\s+\\[\\s*\\d+%\\])?\\s*$")
    /// Subtests that passed are counted apart ("3 passed, 7 subtests passed"), failed ones with the tests.
    private static let finalCounts = Pattern("(\\d+) (?:subtests )?(passed|failed|errors?|skipped|xfailed|xpassed)\\b")
    /// Tests, not subtests: "7 subtests passed" has no number right before "passed".
    private static let finalPassed = Pattern("(\\d+) passed\\b")
    private static let quietFinal = Pattern("^(?:=+ )?(?:\\d+ (?:subtests )?(?:passed|failed|errors?|skipped|xfailed|xpassed|deselected|warnings?)(?:, )?)+ in [\\d.]+s")
    private static let collected = Pattern("^collected (\\d+) items?")
    private static let locationLine = Pattern("^([^\\s:>][^:]*\\.py):(\\d+):(?: (.*))?$")
    private static let faultFrame = Pattern("^\\s+File \"(.+)\", line (\\d+) in (\\S+)$")
    private static let interruptedAt = Pattern("^(\\S+\\.py):(\\d+): KeyboardInterrupt$")

    static func detect(_ lines: [String]) -> Bool {
        lines.contains { line in
            line.hasPrefix("=") && sessionStart.matches(line)
                || (line.hasPrefix("FAILED ") || line.hasPrefix("ERROR ") || line.hasPrefix("SUBFAILED")) && line.contains("::")
                || line.contains(" in ") && (line.contains(" passed") || line.contains(" failed") || line.contains(" error"))
                    && quietFinal.matches(line)
        }
    }

    static func parse(_ lines: [String], context baseContext: ParseContext) -> ParsedOutput {
        var context = baseContext
        var output = ParsedOutput(framework: "pytest")
        output.listsPassingTests = false
        var section = ""
        var detail: [String: FailureSection] = [:]
        var detailOrder: [String] = []
        var currentHeader: String?
        var summaryIDs: [String] = []
        var countedTotal = 0
        var countedPassing: Int?
        var started: String?
        var faultFrames: [(path: String, line: Int, function: String)] = []
        var inFault = false

        func record(_ id: String, _ word: String, _ reason: String?) {
            let status: TestStatus
            switch word {
            case "PASSED", "XPASS": status = .passed
            case "FAILED": status = .failed
            case "ERROR": status = .errored
            default: status = .skipped
            }
            if status == .passed { output.listsPassingTests = true }
            summaryIDs.append(id)
            output.add(TestCaseResult(id: id, status: status, message: status.isFailure ? reason : nil,
                                      isSynthetic: isWholeFile(id)))
        }

        for line in lines {
            if line.hasPrefix("rootdir: ") {
                let root = String(line.dropFirst("rootdir: ".count)).split(separator: ",").first.map(String.init) ?? ""
                context.extraRoots.append(root.trimmed)
                continue
            }
            if line.hasPrefix("collected "), let count = collected.match(line)?[0].flatMap({ Int($0) }) {
                output.declaredTotal = count
                continue
            }
            if line.contains("Fatal Python error:") { inFault = true; continue }
            if inFault {
                if line.hasPrefix("  File "), let groups = faultFrame.match(line), let path = groups[0], let number = groups[1].flatMap({ Int($0) }) {
                    faultFrames.append((path, number, groups[2] ?? ""))
                    continue
                }
                if line.hasPrefix("Current thread") || line.hasPrefix("Thread ") || line.trimmed.isEmpty { continue }
                inFault = false
            }
            if line.hasPrefix("!!!") && line.contains("KeyboardInterrupt") {
                output.abnormalEnd = "interrupted (KeyboardInterrupt)"
                continue
            }
            if output.abnormalEnd != nil, output.abnormalLocations.isEmpty, let groups = interruptedAt.match(line),
               let path = groups[0] {
                output.abnormalLocations = [context.location(path, line: groups[1].flatMap { Int($0) })]
                continue
            }
            if line.hasPrefix("="), let name = sectionLine.match(line)?[0] {
                if quietFinal.matches(line) {
                    countedTotal = total(in: line)
                    countedPassing = passed(in: line)
                } else {
                    section = name
                }
                currentHeader = nil
                continue
            }
            if line.contains(" in "), line.first?.isNumber == true, quietFinal.matches(line) {
                countedTotal = total(in: line)
                countedPassing = passed(in: line)
                continue
            }
            if line.hasPrefix("!!!") && (line.contains(" error during collection") || line.contains(" errors during collection")) {
                output.stoppedBeforeTests = true
                continue
            }
            if section == "FAILURES" || section == "ERRORS" {
                if let header = testHeader.match(line)?[0] {
                    currentHeader = header
                    if detail[header] == nil { detailOrder.append(header) }
                    detail[header] = FailureSection(inErrors: section == "ERRORS")
                } else if let header = currentHeader {
                    detail[header]?.body.append(line)
                }
                continue
            }
            if section == "short test summary info", line.first?.isUppercase == true, let groups = summaryLine.match(line), let word = groups[0], let rest = groups[1] {
                if rest.hasPrefix("[") { continue } // "SKIPPED [1] file.py:12: reason" names no test
                let parts = rest.components(separatedBy: " - ")
                record(parts[0], word, parts.count > 1 ? parts.dropFirst().joined(separator: " - ") : nil)
                continue
            }
            if line.hasPrefix("SUB"), let groups = subtestSummaryLine.match(line), let word = groups[0], let test = groups[2] {
                record(subtestID(test, groups[1]), word, groups[3])
                continue
            }
            if line.contains(" SUB"), let groups = subtestVerboseLine.match(line), let test = groups[0], let word = groups[1] {
                record(subtestID(test, groups[2]), word, nil)
                continue
            }
            if line.hasPrefix("[gw"), let groups = workerLine.match(line), let word = groups[0], let id = groups[1] {
                record(id, word, nil)
                continue
            }
            if line.contains("::"), line.contains("ED") || line.contains("ERROR") || line.contains("XPASS") || line.contains("XFAIL"),
               let groups = verboseLine.match(line), let id = groups[0], let word = groups[1] {
                record(id, word, nil)
                if id == started { started = nil }
                continue
            }
            if section.isEmpty || section == "test session starts", line.contains("::"), let id = startedLine.match(line)?[0] {
                started = id
            }
        }

        for header in detailOrder {
            guard let section = detail[header] else { continue }
            let id = section.testID(header: header, knownIDs: summaryIDs, context: context)
            output.add(TestCaseResult(
                id: id, status: section.status(header: header), message: section.message,
                assertion: section.assertion, locations: section.locations(context: context), isSynthetic: isWholeFile(id)),
                detailsWin: true)
        }
        if output.declaredTotal == nil, countedTotal > 0 { output.declaredTotal = countedTotal }
        output.declaredPassing = countedPassing
        if let started, !summaryIDs.contains(started) {
            output.unfinished.append(UnfinishedTest(id: started, locations: [], blamed: false))
        }

        if !faultFrames.isEmpty {
            output.abnormalEnd = "Fatal Python error: " + (lines.first { $0.contains("Fatal Python error:") }?
                .components(separatedBy: "Fatal Python error: ").last ?? "crash")
            let repositoryFrames = faultFrames.filter { !ParseContext.isFrameworkPath($0.path) }
            if let testFrame = repositoryFrames.first(where: { $0.function.hasPrefix("test") }) {
                let id = context.relativePath(testFrame.path) + "::" + testFrame.function
                output.unfinished = [UnfinishedTest(
                    id: id, locations: repositoryFrames.reversed().map { context.location($0.path, line: $0.line) },
                    blamed: true)]
            }
        }
        return output
    }

    /// A collection error names a file, not a test: it stands for the tests the file would hold.
    private static func isWholeFile(_ id: String) -> Bool { !id.contains("::") }

    private static func subtestID(_ test: String, _ description: String?) -> String {
        let description = (description ?? "").trimmed
        return description.isEmpty ? test : test + " " + description
    }

    /// "N passed" of the final line, 0 when it names none.
    private static func passed(in line: String) -> Int {
        finalPassed.allMatches(line).reduce(0) { sum, groups in sum + (groups[0].flatMap { Int($0) } ?? 0) }
    }

    private static func total(in line: String) -> Int {
        finalCounts.allMatches(line).reduce(0) { sum, groups in
            sum + (groups[0].flatMap { Int($0) } ?? 0)
        }
    }

    /// The lines pytest printed for one failing test between its "____ name ____" header and the next.
    private struct FailureSection {
        var inErrors: Bool
        var body: [String] = []

        private static let location = Pattern("^([^\\s:>][^:]*\\.py):(\\d+):(?: (.*))?$")

        func status(header: String) -> TestStatus { inErrors ? .errored : .failed }

        /// The header names the test without its file ("TestGroup.test_x", "ERROR at setup of
        /// test_y", "ERROR collecting tests/t.py"); the summary's ids have the file in front.
        func testID(header: String, knownIDs: [String], context: ParseContext) -> String {
            var name = header
            for prefix in ["ERROR at setup of ", "ERROR at teardown of ", "ERROR at call of "] where name.hasPrefix(prefix) {
                name = String(name.dropFirst(prefix.count))
            }
            if name.hasPrefix("ERROR collecting ") { return String(name.dropFirst("ERROR collecting ".count)) }
            // Parameters ("[1.5]") and a subtest's description ("(x=1.5)") keep their dots.
            let bracket = [name.firstIndex(of: "["), name.range(of: " (")?.lowerBound].compactMap { $0 }.min() ?? name.endIndex
            let dotted = name[..<bracket].replacingOccurrences(of: ".", with: "::") + name[bracket...]
            if let known = knownIDs.first(where: { $0.hasSuffix("::" + dotted) }) { return known }
            if let file = testFile(context: context) { return file + "::" + dotted }
            return dotted
        }

        /// The test's own file: the first traceback location that is not in the framework.
        private func testFile(context: ParseContext) -> String? {
            for line in body {
                if let path = Self.location.match(line)?[0], !ParseContext.isFrameworkPath(path) {
                    return context.relativePath(path)
                }
            }
            return nil
        }

        var message: String? {
            let errorLines = body.filter { $0.hasPrefix("E ") || $0 == "E" }
                .map { String($0.dropFirst()).trimmed }
                .filter { !$0.isEmpty }
            // "path:12: ValueError" ends a long traceback; "path:12: in func" is a short one's frame.
            let exceptionType = body.compactMap { Self.location.match($0)?[2] }
                .last(where: { !$0.isEmpty && !$0.hasPrefix("in ") })
            var lines = Array(errorLines.prefix(6))
            if let exceptionType, let first = lines.first, !first.hasPrefix(exceptionType), !first.hasPrefix("assert") {
                lines[0] = "\(exceptionType): \(first)"
            }
            if lines.isEmpty { return exceptionType }
            return lines.joined(separator: "\n")
        }

        var assertion: String? {
            body.first { $0.hasPrefix(">") }.map { String($0.dropFirst()).trimmed }
        }

        func locations(context: ParseContext) -> [SourceLocation] {
            body.compactMap { line in
                guard let groups = Self.location.match(line), let path = groups[0], !ParseContext.isFrameworkPath(path) else { return nil }
                return context.location(path, line: groups[1].flatMap { Int($0) })
            }
        }
    }
}

extension TestStatus {
    var isFailure: Bool { self == .failed || self == .errored }
}
