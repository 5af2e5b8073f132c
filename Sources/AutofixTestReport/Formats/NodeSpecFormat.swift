/// node's test runner with the spec reporter: "✔ name (1.2ms)", "✖ name (1.2ms)" followed by the
/// indented error, "﹣ name # SKIP", "▶ suite", and "ℹ tests 6" totals.
enum NodeSpecFormat: TestOutputFormat {
    private static let resultLine = Pattern("^(\\s*)(✔|✖|﹣|▶) (.+?)(?: \\((?:\\d+(?:\\.\\d+)?)m?s\\))?(?: # (SKIP|TODO)\\b.*)?$")
    private static let totalLine = Pattern("^ℹ tests (\\d+)$")

    static func detect(_ lines: [String]) -> Bool {
        lines.contains { $0.hasPrefix("ℹ tests ") } || lines.contains { line in
            guard let first = line.firstVisible, first == "✔" || first == "✖", let groups = resultLine.match(line) else { return false }
            return line.hasSuffix("ms)") && groups[2] != nil
        }
    }

    static func parse(_ lines: [String], context: ParseContext) -> ParsedOutput {
        var output = ParsedOutput(framework: "node")
        var suites: [(indent: Int, name: String)] = []
        var open: (result: TestCaseResult, indent: Int, body: [String])?
        let crash = NodeCrashReport(lines: lines, context: context)

        func close() {
            guard var current = open else { return }
            open = nil
            NodeErrorText.describe(&current.result, body: current.body, context: context)
            if current.result.isSynthetic, let summary = crash.summary {
                current.result.message = [current.result.message, summary].compactMap { $0 }.joined(separator: "\n")
                current.result.locations += crash.locations
            }
            output.add(current.result)
        }

        for line in lines {
            // node repeats every failure under "✖ failing tests:" at the end.
            if line.hasPrefix("✖ failing tests:") { break }
            if let total = totalLine.match(line)?[0].flatMap({ Int($0) }) { close(); output.declaredTotal = total; continue }
            guard let first = line.firstVisible, "✔✖﹣▶".contains(first), let groups = resultLine.match(line), let marker = groups[1], let name = groups[2] else {
                if var current = open { current.body.append(line); open = current }
                continue
            }
            close()
            let indent = groups[0]?.count ?? 0
            // A suite's own result line closes it; it is not a test.
            let closesSuite = suites.last.map { $0.indent == indent && $0.name == name } ?? false
            suites.removeAll { $0.indent >= indent }
            if marker == "▶" {
                suites.append((indent, name))
                continue
            }
            if closesSuite { continue }
            let status: TestStatus
            if groups[3] != nil { status = .skipped }
            else if marker == "✔" { status = .passed }
            else if marker == "✖" { status = .failed }
            else { status = .skipped }
            open = (NodeErrorText.result(name: name, parents: suites.map(\.name), status: status, context: context), indent, [])
        }
        close()
        if crash.summary != nil { output.abnormalEnd = crash.summary }
        return output
    }
}

/// What node prints when the process dies under the test runner (an abort, a fatal V8 error).
struct NodeCrashReport {
    var summary: String?
    var locations: [SourceLocation] = []

    private static let jsFrame = Pattern("^#?\\s*\\d+: (?:\\S+ \\()?(/.+?):(\\d+):\\d+\\)?$")

    init(lines: [String], context: ParseContext) {
        var inJavaScriptStack = false
        for line in lines {
            let text = line.hasPrefix("# ") ? String(line.dropFirst(2)) : line
            if text.contains("----- Native stack trace -----") { summary = summary ?? "the test process crashed (native stack trace printed)" }
            if text.contains("FATAL ERROR:") { summary = text.trimmed }
            if text.contains("----- JavaScript stack trace -----") { inJavaScriptStack = true; continue }
            if inJavaScriptStack {
                if let groups = Self.jsFrame.match(line), let path = groups[0] {
                    if !ParseContext.isFrameworkPath(path) {
                        locations.append(context.location(path, line: groups[1].flatMap { Int($0) }))
                    }
                } else if !text.trimmed.isEmpty {
                    inJavaScriptStack = false
                }
            }
            if let range = text.range(of: "signal: '") {
                let signal = text[range.upperBound...].prefix { $0 != "'" }
                summary = "the test process was killed by \(signal)"
            }
        }
        locations.reverse()
    }
}

/// Node's error text, shared by the spec reporter and the TAP reporter's YAML blocks.
enum NodeErrorText {
    private static let frame = Pattern("^at (?:.*? \\()?(.+?):(\\d+):\\d+\\)?(?: \\{)?$")

    /// A result for `name`; a file path as name means node reported the whole file (it crashed or
    /// failed to load), which is a stand-in for the tests in it.
    static func result(name: String, parents: [String], status: TestStatus, context: ParseContext) -> TestCaseResult {
        let looksLikeFile = name.hasPrefix("/") && [".js", ".mjs", ".cjs", ".ts", ".mts"].contains { name.hasSuffix($0) }
        let id = looksLikeFile ? context.relativePath(name) : (parents + [name]).joined(separator: " > ")
        return TestCaseResult(id: id, status: looksLikeFile && status == .failed ? .errored : status, isSynthetic: looksLikeFile)
    }

    static func describe(_ result: inout TestCaseResult, body: [String], context: ParseContext) {
        guard result.isFailing else { return }
        var message: [String] = []
        var seenFrame = false
        for line in body {
            let text = line.trimmed
            if text.hasPrefix("at ") {
                seenFrame = true
                if let groups = frame.match(text), let path = groups[0], !ParseContext.isFrameworkPath(path) {
                    result.locations.append(context.location(path, line: groups[1].flatMap { Int($0) }))
                }
                continue
            }
            // After the frames node prints the error's properties (code, actual, expected).
            if seenFrame || text.isEmpty || message.count >= 6 { continue }
            message.append(text.count >= 2 && text.hasPrefix("'") && text.hasSuffix("'") ? String(text.dropFirst().dropLast()) : text)
        }
        if !message.isEmpty { result.message = message.joined(separator: "\n") }
        // Frames are printed innermost first.
        result.locations.reverse()
    }
}
