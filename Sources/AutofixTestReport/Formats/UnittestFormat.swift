/// Python's unittest runner (`python -m unittest`, `-v`): "FAIL: test_x (module.Class.test_x)"
/// sections with their tracebacks, "test_x (module.Class.test_x) ... ok" lines in verbose mode,
/// and the closing "Ran N tests" with "OK" or "FAILED (failures=1, errors=2)".
enum UnittestFormat: TestOutputFormat {
    private static let ranLine = Pattern("^Ran (\\d+) tests? in ")
    private static let sectionHeader = Pattern("^(FAIL|ERROR|UNEXPECTED SUCCESS): (\\S+) \\(([^)]*)\\)")
    private static let verboseLine = Pattern("^(\\S+) \\(([^)]*)\\)(?: .*)? \\.\\.\\. (ok|FAIL|ERROR|skipped.*|expected failure|unexpected success)$")
    private static let separator = "======================================================================"
    private static let rule = "----------------------------------------------------------------------"

    static func detect(_ lines: [String]) -> Bool {
        lines.contains { $0.hasPrefix("Ran ") && ranLine.matches($0) }
            && lines.contains { $0 == "OK" || $0.hasPrefix("OK (") || $0.hasPrefix("FAILED (") }
    }

    /// `test_add (test_calc.CalcTests.test_add)` (3.11+) or `test_add (test_calc.CalcTests)`.
    private static func id(method: String, location: String) -> String {
        location.hasSuffix("." + method) ? location : location + "." + method
    }

    static func parse(_ lines: [String], context: ParseContext) -> ParsedOutput {
        var output = ParsedOutput(framework: "unittest")
        output.listsPassingTests = false
        var index = 0
        while index < lines.count {
            let line = lines[index]
            if line.hasPrefix("Ran "), let count = ranLine.match(line)?[0].flatMap({ Int($0) }) {
                output.declaredTotal = count
            } else if line.hasSuffix(" ... ok") || line.contains(" ... FAIL") || line.contains(" ... ERROR") || line.contains(" ... skipped"),
                      let groups = verboseLine.match(line), let method = groups[0], let location = groups[1], let word = groups[2] {
                output.listsPassingTests = true
                let status: TestStatus = word == "ok" || word == "expected failure" ? .passed
                    : word.hasPrefix("skipped") ? .skipped : word == "ERROR" ? .errored : .failed
                output.add(TestCaseResult(id: id(method: method, location: location), status: status))
            } else if line.contains(": "), let groups = sectionHeader.match(line), let kind = groups[0],
                      let method = groups[1], let location = groups[2] {
                var cursor = index + 1
                if cursor < lines.count, lines[cursor] == rule { cursor += 1 }
                var body: [String] = []
                while cursor < lines.count, lines[cursor] != separator, lines[cursor] != rule {
                    body.append(lines[cursor])
                    cursor += 1
                }
                let text = body.joined(separator: "\n")
                let message = body.last(where: { !$0.trimmingCharacters(in: .whitespaces).isEmpty })?
                    .trimmingCharacters(in: .whitespaces)
                output.add(TestCaseResult(
                    id: id(method: method, location: location), status: kind == "ERROR" ? .errored : .failed,
                    message: message, locations: LocationScanner.scan(text, context: context)), detailsWin: true)
                index = cursor
                continue
            }
            index += 1
        }
        return output
    }
}
