/// `swift test` with Swift Testing: "◇ Test x() started.", "✔ … passed", "✘ … recorded an issue
/// at File.swift:12:9: …", "✘ … failed", "➜ … skipped".
enum SwiftTestingFormat: TestOutputFormat {
    private static let startedLine = Pattern("^◇ Test (.+) started\\.$")
    private static let passed = Pattern("^✔ Test (.+?)(?: with \\d+ test cases?)? passed after .*$")
    private static let failed = Pattern("^✘ Test (.+?)(?: with \\d+ test cases?)? failed after .*$")
    private static let issueAt = Pattern("^✘ Test (.+?) recorded an issue(?: with .+?)? at (\\S+?):(\\d+):\\d+: (.*)$")
    private static let issue = Pattern("^✘ Test (.+?) recorded an issue(?: with [^:]+)?: (.*)$")
    private static let skipped = Pattern("^➜ Test (.+?) skipped(?:: \"(.*)\")?\\.?$")
    private static let runSummary = Pattern("^[✔✘] Test run with (\\d+) tests?")

    static func detect(_ lines: [String]) -> Bool {
        lines.contains { $0.hasPrefix("◇ Test run started") || $0.hasPrefix("◇ Test ") && $0.hasSuffix(" started.") }
    }

    /// Display names are printed in quotes, function names bare: the id is the text without quotes.
    static func identifier(_ raw: String) -> String {
        if raw.count >= 2, raw.hasPrefix("\""), raw.hasSuffix("\"") { return String(raw.dropFirst().dropLast()) }
        return raw
    }

    static func parse(_ lines: [String], context: ParseContext) -> ParsedOutput {
        var output = ParsedOutput(framework: "swift-testing")
        var started: [String] = []
        var finished: Set<String> = []
        var issues: [String: [String]] = [:]
        var locations: [String: [SourceLocation]] = [:]
        var threw: Set<String> = []
        var lastIssue: String?
        for line in lines {
            guard let first = line.first, "◇✔✘➜↳".contains(first) else { lastIssue = nil; continue }
            if first == "↳" {
                if let lastIssue { issues[lastIssue, default: []].append(String(line.dropFirst(2))) }
                continue
            }
            lastIssue = nil
            if first == "◇" {
                if line.hasPrefix("◇ Test case passing") { continue }
                if let raw = startedLine.match(line)?[0], !line.hasPrefix("◇ Test run") { started.append(identifier(raw)) }
            } else if let groups = issueAt.match(line), let raw = groups[0] {
                let id = identifier(raw)
                let text = groups[3] ?? ""
                issues[id, default: []].append(text)
                if text.hasPrefix("Caught error") { threw.insert(id) }
                if let path = groups[1], let number = groups[2].flatMap({ Int($0) }) {
                    locations[id, default: []].append(context.location(path, line: number))
                }
                lastIssue = id
            } else if let groups = issue.match(line), let raw = groups[0] {
                let id = identifier(raw)
                issues[id, default: []].append(groups[1] ?? "")
                lastIssue = id
            } else if let count = runSummary.match(line)?[0].flatMap({ Int($0) }) {
                output.declaredTotal = count
            } else if let raw = passed.match(line)?[0] {
                let id = identifier(raw)
                finished.insert(id)
                output.add(TestCaseResult(id: id, status: .passed))
            } else if let raw = failed.match(line)?[0] {
                let id = identifier(raw)
                finished.insert(id)
                let said = issues[id] ?? []
                let assertion = said.first { $0.hasPrefix("Expectation failed: ") }
                    .map { String($0.dropFirst("Expectation failed: ".count)) }
                output.add(TestCaseResult(
                    id: id, status: threw.contains(id) ? .errored : .failed,
                    message: said.isEmpty ? nil : said.joined(separator: "\n"),
                    assertion: assertion, locations: locations[id] ?? []))
            } else if let groups = skipped.match(line), let raw = groups[0] {
                let id = identifier(raw)
                finished.insert(id)
                output.add(TestCaseResult(id: id, status: .skipped, message: groups[1]))
            }
        }
        // Suites print "◇ Suite X started." and are not tests; only "◇ Test" lines were kept.
        started.removeAll { finished.contains($0) }
        if !started.isEmpty {
            let crash = SwiftCrashReport(lines: lines, context: context)
            output.unfinished = started.map { id in
                UnfinishedTest(id: id, locations: crash.names(id) ? crash.locations : [], blamed: crash.names(id))
            }
            if let message = crash.message { output.abnormalEnd = message }
        }
        return output
    }
}
