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
                // A test's docstring (or a doctest's "Doctest: name") may sit between the header and its rule.
                var described = 0
                while cursor < lines.count, lines[cursor] != rule, lines[cursor] != separator, described < 3 {
                    cursor += 1
                    described += 1
                }
                if cursor < lines.count, lines[cursor] == rule { cursor += 1 } else { cursor = index + 1 }
                var body: [String] = []
                // A failing doctest's report has rules of its own; only the one before "Ran N tests" ends the last section.
                while cursor < lines.count, lines[cursor] != separator,
                      lines[cursor] != rule || cursor + 1 < lines.count && !lines[cursor + 1].hasPrefix("Ran ") {
                    body.append(lines[cursor])
                    cursor += 1
                }
                let text = body.joined(separator: "\n")
                output.add(TestCaseResult(
                    id: id(method: method, location: location), status: kind == "ERROR" ? .errored : .failed,
                    message: UnittestFailureBody.message(body), locations: LocationScanner.scan(text, context: context)),
                    detailsWin: true)
                index = cursor
                continue
            }
            index += 1
        }
        return output
    }
}

/// What a failure section says went wrong: the exception that ended the traceback (for an
/// assertion its `AssertionError: ...` line, not the diff printed under it), and for a failing
/// doctest the example with what it expected and what it got.
enum UnittestFailureBody {
    private static let continuationLines = 5

    static func message(_ body: [String]) -> String? {
        guard let start = exceptionLine(body) else {
            return body.last(where: { !$0.trimmed.isEmpty })?.trimmed
        }
        var message = [body[start]]
        for line in body[(start + 1)...] {
            if line.trimmed.isEmpty || line.hasPrefix("-----") || message.count > continuationLines { break }
            message.append(line)
        }
        if let example = body.firstIndex(of: "Failed example:") {
            message = [body[start]] + body[example...].filter { !$0.trimmed.isEmpty && !$0.hasPrefix("-----") && !$0.hasPrefix("File \"") }
        }
        return message.joined(separator: "\n")
    }

    /// The last unindented line after a traceback's frames: the exception as Python printed it.
    private static func exceptionLine(_ body: [String]) -> Int? {
        var found: Int?
        var inTraceback = false
        for (index, line) in body.enumerated() {
            if line == "Traceback (most recent call last):" { inTraceback = true; continue }
            guard inTraceback, let first = line.first, first != " " else { continue }
            found = index
            inTraceback = false
        }
        return found
    }
}
