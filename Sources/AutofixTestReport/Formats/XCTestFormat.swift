/// `swift test` with XCTest: "Test Case 'Suite.test' started/passed/failed/skipped" lines and
/// "path:line: error: Suite.test : message" failure lines. With --parallel, swift test lists each
/// finished test as "[3/8] Testing Module.Suite/test" and prints XCTest's lines only for failures.
enum XCTestFormat: TestOutputFormat {
    private static let caseLine = Pattern("^Test Case '(.+?)' (started|passed|failed|skipped)\\b")
    private static let failureLine = Pattern("^(.+?):(\\d+): error: (.+?) : (.*)$")
    private static let skipLine = Pattern("^(.+?):(\\d+): (.+?) : Test skipped(?: - (.*))?$")
    private static let executed = Pattern("^\\s*Executed (\\d+) tests?")
    private static let parallelProgress = Pattern("^\\[(\\d+)/(\\d+)\\] Testing (\\S+)$")

    static func detect(_ lines: [String]) -> Bool {
        lines.contains { $0.hasPrefix("Test Case '") || $0.hasPrefix("Test Suite '") || $0.hasPrefix("[") && $0.contains("] Testing ") }
    }

    /// Darwin prints `-[Module.Suite testName]`, Linux `Suite.testName`: one id for both.
    static func identifier(_ raw: String) -> String {
        guard raw.hasPrefix("-["), raw.hasSuffix("]") else { return raw }
        let inner = raw.dropFirst(2).dropLast()
        let parts = inner.split(separator: " ", maxSplits: 1)
        guard parts.count == 2 else { return String(inner) }
        let type = parts[0].split(separator: ".").last.map(String.init) ?? String(parts[0])
        return "\(type).\(parts[1])"
    }

    /// "Module.Suite/test" as the serial output names it: "Suite.test".
    static func parallelIdentifier(_ name: String) -> String {
        let withoutModule = name.split(separator: ".", maxSplits: 1).last.map(String.init) ?? name
        return withoutModule.replacingOccurrences(of: "/", with: ".")
    }

    static func parse(_ lines: [String], context: ParseContext) -> ParsedOutput {
        var output = ParsedOutput(framework: "xctest")
        var started: [String] = []
        var finished: Set<String> = []
        var messages: [String: [String]] = [:]
        var locations: [String: [SourceLocation]] = [:]
        var finishedInParallel: [String] = []
        var parallelTotal: Int?
        for line in lines {
            if line.hasPrefix("["), line.contains("] Testing "), let groups = parallelProgress.match(line), let name = groups[2] {
                finishedInParallel.append(parallelIdentifier(name))
                parallelTotal = groups[1].flatMap { Int($0) }
                continue
            }
            if line.hasPrefix("Test Case '"), let groups = caseLine.match(line), let raw = groups[0], let verb = groups[1] {
                let id = identifier(raw)
                switch verb {
                case "started":
                    started.append(id)
                default:
                    finished.insert(id)
                    let status: TestStatus = verb == "passed" ? .passed : verb == "skipped" ? .skipped : .failed
                    let said = messages[id] ?? []
                    // A test that threw an unexpected error is an error, not a failed assertion.
                    let threw = said.contains { $0.hasPrefix("threw error") || $0.hasPrefix("caught error") }
                    output.add(TestCaseResult(
                        id: id, status: status == .failed && threw ? .errored : status,
                        message: said.isEmpty ? nil : said.joined(separator: "\n"),
                        locations: locations[id] ?? []))
                }
            } else if line.contains(": error: "), let groups = failureLine.match(line), let raw = groups[2] {
                let id = identifier(raw)
                var text = (groups[3] ?? "").trimmingCharacters(in: .whitespaces)
                if text.hasSuffix(" -") { text = String(text.dropLast(2)) }
                messages[id, default: []].append(text)
                if let path = groups[0], !ParseContext.isFrameworkPath(path), let number = groups[1].flatMap({ Int($0) }) {
                    locations[id, default: []].append(context.location(path, line: number))
                }
            } else if line.contains(" : Test skipped"), let groups = skipLine.match(line), let raw = groups[2] {
                messages[identifier(raw), default: []].append(groups[3] ?? "skipped")
            } else if line.contains("Executed "), let groups = executed.match(line), let count = groups[0].flatMap({ Int($0) }) {
                output.declaredTotal = max(output.declaredTotal ?? 0, count)
            }
        }
        if let parallelTotal {
            // Parallel runs print only failures in full: a finished test without one passed.
            for id in finishedInParallel where !output.hasResult(for: id) {
                output.add(TestCaseResult(id: id, status: .passed))
            }
            output.declaredTotal = parallelTotal
        }
        started.removeAll { finished.contains($0) }
        if !started.isEmpty {
            let crash = SwiftCrashReport(lines: lines, context: context)
            output.unfinished = started.map { id in
                UnfinishedTest(id: id, locations: crash.names(id) || started.count == 1 ? crash.locations : [],
                               blamed: crash.names(id))
            }
            if let message = crash.message { output.abnormalEnd = message }
        }
        return output
    }
}
