/// jest's default reporter: " PASS  file" / " FAIL  file" per test file, "● describe › test"
/// failure blocks with the message, a code frame and "at" frames; with --verbose also
/// "✓ name (2 ms)" / "✕ name" / "○ skipped name" lines under indented describe names.
enum JestFormat: TestOutputFormat {
    // The file is a JS/TS test file, so "FAIL greeting: expected ..." from a shell script is not jest.
    private static let fileLine = Pattern("^\\s?(PASS|FAIL|RUNS)\\s{1,2}(\\S+\\.[cm]?[jt]sx?)(?: \\([\\d.]+ m?s\\))?$")
    private static let verboseLine = Pattern("^(\\s+)(✓|✔|√|✕|✖|×|○|✎) (?:skipped |todo )?(.+?)(?: \\(\\d+(?:\\.\\d+)? ?m?s\\))?$")
    private static let testsSummary = Pattern("^Tests:\\s+.*?(\\d+) total")
    private static let frame = Pattern("^\\s+at (?:.*? \\()?(.+?):(\\d+):\\d+\\)?$")
    private static let codeFrame = Pattern("^\\s*>?\\s*\\d+ \\|")

    static func detect(_ lines: [String]) -> Bool {
        lines.contains { $0.hasPrefix("Test Suites: ") } || lines.contains {
            ($0.hasPrefix(" PASS  ") || $0.hasPrefix(" FAIL  ") || $0.hasPrefix("PASS ") || $0.hasPrefix("FAIL ")) && !$0.contains("\t")
                && fileLine.matches($0)
        }
    }

    static func parse(_ lines: [String], context: ParseContext) -> ParsedOutput {
        var output = ParsedOutput(framework: "jest")
        output.listsPassingTests = false
        var file = ""
        var describeStack: [(indent: Int, name: String)] = []
        var block: (id: String, lines: [String])?
        var running: [String] = []

        func closeBlock() {
            guard let current = block else { return }
            block = nil
            output.add(describe(current.id, current.lines, context: context))
        }

        for line in lines {
            if line.contains("PASS") || line.contains("FAIL") || line.contains("RUNS"), !line.contains("\t"),
               let groups = fileLine.match(line), let word = groups[0], let path = groups[1] {
                closeBlock()
                describeStack = []
                file = context.relativePath(path)
                if word == "RUNS" { running.append(file) } else { running.removeAll { $0 == file } }
                continue
            }
            if line.hasPrefix("Test Suites:") || line.hasPrefix("Tests:") || line.hasPrefix("Snapshots:")
                || line.hasPrefix("Summary of all failing tests") {
                closeBlock()
                if let total = testsSummary.match(line)?[0].flatMap({ Int($0) }) { output.declaredTotal = total }
                if line.hasPrefix("Summary of all failing tests") { file = "" }
                continue
            }
            let trimmed = line.trimmed
            if trimmed.hasPrefix("● ") {
                closeBlock()
                guard !file.isEmpty else { continue }
                let title = String(trimmed.dropFirst(2))
                let id = title == "Test suite failed to run" ? file : "\(file) › \(title)"
                block = (id, [])
                continue
            }
            if block != nil {
                block?.lines.append(line)
                continue
            }
            guard !file.isEmpty, !trimmed.isEmpty else { continue }
            if line.hasPrefix("  "), let groups = verboseLine.match(line), let marker = groups[1], let name = groups[2] {
                let indent = groups[0]?.count ?? 0
                describeStack.removeAll { $0.indent >= indent }
                let path = (describeStack.map(\.name) + [name]).joined(separator: " › ")
                let status: TestStatus = "✓✔√".contains(marker) ? .passed : "✕✖×".contains(marker) ? .failed : .skipped
                if status == .passed { output.listsPassingTests = true }
                output.add(TestCaseResult(id: "\(file) › \(path)", status: status))
            } else if line.hasPrefix("  ") {
                let indent = line.leadingSpaces
                describeStack.removeAll { $0.indent >= indent }
                describeStack.append((indent, trimmed))
            }
        }
        closeBlock()
        output.unfinished = running.map { UnfinishedTest(id: $0, isSynthetic: true) }
        return output
    }

    private static func describe(_ id: String, _ body: [String], context: ParseContext) -> TestCaseResult {
        var message: [String] = []
        var assertion: String?
        var locations: [SourceLocation] = []
        for line in body {
            if let groups = frame.match(line), let path = groups[0] {
                if !ParseContext.isFrameworkPath(path) {
                    locations.append(context.location(path, line: groups[1].flatMap { Int($0) }))
                }
            } else if codeFrame.matches(line) {
                if assertion == nil, line.trimmed.hasPrefix(">") {
                    assertion = line.split(separator: "|", maxSplits: 1).last.map { String($0).trimmed }
                }
            } else if locations.isEmpty, !line.trimmed.isEmpty, !line.trimmed.hasPrefix("|"), message.count < 6 {
                message.append(line.trimmed)
            }
        }
        // "Test suite failed to run" is reported under the file's name and stands for its tests.
        let isSuiteError = !id.contains(" › ")
        // Frames are printed innermost first.
        return TestCaseResult(
            id: id, status: isSuiteError ? .errored : .failed,
            message: message.isEmpty ? nil : message.joined(separator: "\n"), assertion: assertion,
            locations: locations.reversed(), isSynthetic: isSuiteError)
    }
}
