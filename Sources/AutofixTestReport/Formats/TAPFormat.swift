/// TAP (versions 12 to 14), including node's test runner, whose default reporter writes TAP when
/// output is not a terminal: "ok 1 - name", "not ok 2 - name", "# SKIP"/"# TODO" directives,
/// YAML diagnostics between "---" and "...", "# Subtest:" nesting, plans and "Bail out!".
enum TAPFormat: TestOutputFormat {
    private static let resultLine = Pattern("^(\\s*)(not ok|ok)\\b(?: (\\d+))?(?: -)?(?: (.*?))?\\s*$")
    private static let directive = Pattern("(?i)\\s+#\\s*(SKIP|TODO)\\b.*$")
    private static let plan = Pattern("^(\\s*)1\\.\\.(\\d+)")
    private static let subtest = Pattern("^(\\s*)# Subtest: (.+)$")
    private static let nodeTotalLine = Pattern("^# tests (\\d+)$")
    private static let genericLocation = Pattern("^(.+?)(?::| line )(\\d+)")

    static func detect(_ lines: [String]) -> Bool {
        if lines.contains(where: { $0.hasPrefix("TAP version ") }) { return true }
        let hasPlan = lines.contains { $0.hasPrefix("1..") && plan.matches($0) }
        let results = lines.lazy.filter { $0.hasPrefix("ok ") || $0.hasPrefix("not ok ") }.prefix(1)
        return hasPlan && !results.isEmpty
    }

    static func parse(_ lines: [String], context: ParseContext) -> ParsedOutput {
        var output = ParsedOutput(framework: "tap")
        var subtests: [(indent: Int, name: String, reported: Bool)] = []
        var pending: (result: TestCaseResult, indent: Int, yaml: [String], isSuite: Bool)?
        // What a test file printed to stderr before node reported it (node prefixes it with "# ").
        var fileOutput: [String] = []
        var pendingFileOutput: [String] = []
        var inYAML = false
        var topLevelPlan: Int?
        var topLevelResults = 0
        var nodeTotal: Int?
        var seen: [String: Int] = [:]
        let crash = NodeCrashReport(lines: lines, context: context)

        func flush() {
            guard var current = pending else { return }
            pending = nil
            let fields = YAMLBlock(current.yaml)
            if fields["type"] == "suite" { current.isSuite = true }
            if current.isSuite { return }
            describe(&current.result, fields: fields, context: context)
            if current.result.isSynthetic, current.result.isFailing {
                NodeFileError.describe(&current.result, output: pendingFileOutput, context: context)
            }
            if current.result.isSynthetic, let summary = crash.summary {
                current.result.message = [current.result.message, summary].compactMap { $0 }.joined(separator: "\n")
                current.result.locations += crash.locations
            }
            output.add(current.result)
        }

        for line in lines {
            if inYAML {
                if line.trimmed == "..." { inYAML = false } else { pending?.yaml.append(line) }
                continue
            }
            if line.trimmed == "---", pending != nil { inYAML = true; continue }
            if line.contains("# Subtest: "), let groups = subtest.match(line), let name = groups[1] {
                flush()
                output.framework = "node"
                let indent = groups[0]?.count ?? 0
                subtests.removeAll { $0.indent > indent || $0.indent == indent && $0.reported }
                subtests.append((indent, name, false))
                continue
            }
            if line.hasPrefix("Bail out!") {
                flush()
                output.abnormalEnd = "bailed out: " + String(line.dropFirst("Bail out!".count)).trimmed
                continue
            }
            if line.contains("1.."), let groups = plan.match(line) {
                if (groups[0] ?? "").isEmpty { topLevelPlan = groups[1].flatMap { Int($0) } }
                continue
            }
            if line.hasPrefix("# tests "), let total = nodeTotalLine.match(line)?[0].flatMap({ Int($0) }) { nodeTotal = total; continue }
            if line.trimmed.hasPrefix("duration_ms") { output.framework = "node" }
            if line.hasPrefix("# ") { fileOutput.append(String(line.dropFirst(2))); continue }
            let content = line.drop { $0 == " " }
            guard content.hasPrefix("ok") || content.hasPrefix("not ok"), let groups = resultLine.match(line), let word = groups[1] else { continue }
            flush()
            let indent = groups[0]?.count ?? 0
            if indent == 0 { topLevelResults += 1 }
            var description = groups[3] ?? ""
            var status: TestStatus = word == "ok" ? .passed : .failed
            if directive.matches(description) {
                // A failing TODO test is expected to fail; a SKIP did not run.
                status = .skipped
                description = directive.replacing(in: description, with: "")
            }
            if description.isEmpty { description = "test \(groups[2] ?? "?")" }
            var parents = subtests.filter { $0.indent < indent }.map(\.name)
            if let index = subtests.lastIndex(where: { $0.indent == indent && $0.name == description }) {
                subtests[index].reported = true
            } else if output.framework == "tap" {
                parents = []
            }
            var result = NodeErrorText.result(name: description, parents: parents, status: status, context: context)
            let count = seen[result.id, default: 0] + 1
            seen[result.id] = count
            if count > 1 { result.id += " #\(count)" }
            pending = (result, indent, [], false)
            pendingFileOutput = fileOutput
            fileOutput = []
        }
        flush()
        output.declaredTotal = nodeTotal ?? topLevelPlan
        let unreported = subtests.filter { !$0.reported }
        output.unfinished = unreported.map { entry in
            UnfinishedTest(id: (subtests.filter { $0.indent < entry.indent }.map(\.name) + [entry.name]).joined(separator: " > "))
        }
        if output.abnormalEnd == nil {
            if let summary = crash.summary {
                output.abnormalEnd = summary
            } else if let topLevelPlan, topLevelResults < topLevelPlan {
                output.abnormalEnd = "the plan announced \(topLevelPlan) tests but \(topLevelResults) reported"
            } else if topLevelPlan == nil, topLevelResults > 0 {
                output.abnormalEnd = "the output ended before the TAP plan line"
            }
        }
        return output
    }

    private static func describe(_ result: inout TestCaseResult, fields: YAMLBlock, context: ParseContext) {
        guard result.isFailing else { return }
        let message = fields["error"] ?? fields["message"] ?? fields["failureType"]
        if let message { result.message = message.split(separator: "\n").prefix(6).joined(separator: "\n") }
        if let stack = fields["stack"] {
            var described = TestCaseResult(id: result.id, status: result.status)
            NodeErrorText.describe(&described, body: stack.split(separator: "\n").map { "at " + String($0).trimmed }, context: context)
            result.locations += described.locations
        }
        if result.locations.isEmpty, let location = fields["location"] ?? fields["at"] ?? fields["file"] {
            var path = location
            var line = fields["line"].flatMap { Int($0) }
            if let groups = genericLocation.match(location), let found = groups[0] {
                path = found
                line = groups[1].flatMap { Int($0) } ?? line
            }
            if !ParseContext.isFrameworkPath(path) { result.locations.append(context.location(path, line: line)) }
        }
        if let signal = fields["signal"], signal != "~" {
            result.message = [result.message, "killed by \(signal)"].compactMap { $0 }.joined(separator: "\n")
        }
        if let expected = fields["expected"], let actual = fields["actual"] {
            result.assertion = "expected \(expected), actual \(actual)" + (fields["operator"].map { " (\($0))" } ?? "")
        }
    }
}

/// Why node failed a whole test file: the error the file printed before any test ran (a module
/// that cannot be found, a syntax error), with its code, e.g. `Error [ERR_MODULE_NOT_FOUND]: ...`.
enum NodeFileError {
    private static let errorLine = Pattern("^\\s*(?:Uncaught )?(?:[A-Z]\\w*)?(?:Error|Exception)(?: \\[[A-Z0-9_]+\\])?: ")

    static func describe(_ result: inout TestCaseResult, output: [String], context: ParseContext) {
        guard let error = output.first(where: { errorLine.matches($0) }) else { return }
        let text = error.trimmed.split(separator: " ").map { word in
            word.hasPrefix("/") || word.hasPrefix("'/") ? relative(String(word), context: context) : String(word)
        }.joined(separator: " ")
        result.message = [text, result.message].compactMap { $0 }.joined(separator: "\n")
        for location in LocationScanner.scan(output.joined(separator: "\n"), context: context)
        where !result.locations.contains(location) {
            result.locations.append(location)
        }
    }

    private static func relative(_ word: String, context: ParseContext) -> String {
        let quoted = word.hasPrefix("'")
        let path = quoted ? String(word.dropFirst().prefix { $0 != "'" }) : word
        let rest = quoted ? String(word.dropFirst(path.count + 1)) : ""
        return (quoted ? "'" : "") + context.relativePath(path) + rest
    }
}

/// The flat keys of a TAP YAML diagnostic block; block scalars (`|-`) are joined with newlines,
/// quotes are removed, nested mappings are kept as their raw text.
struct YAMLBlock {
    private var values: [String: String] = [:]

    init(_ lines: [String]) {
        let baseIndent = lines.first { !$0.trimmed.isEmpty }?.leadingSpaces ?? 0
        var key: String?
        var block: [String] = []
        func store() {
            guard let key else { return }
            if !block.isEmpty, values[key]?.isEmpty ?? true {
                let indent = block.filter { !$0.trimmed.isEmpty }.map(\.leadingSpaces).min() ?? 0
                values[key] = block.map { String($0.dropFirst(min(indent, $0.leadingSpaces))) }
                    .joined(separator: "\n").trimmingCharacters(in: .newlines)
            }
            block = []
        }
        for line in lines {
            if line.leadingSpaces == baseIndent, let colon = line.firstIndex(of: ":") {
                store()
                let name = String(line[..<colon]).trimmed
                var value = String(line[line.index(after: colon)...]).trimmed
                if ["|", "|-", ">", ">-", "|+"].contains(value) { value = "" }
                if value.count >= 2, let first = value.first, first == "'" || first == "\"", value.last == first {
                    value = String(value.dropFirst().dropLast())
                }
                key = name
                values[name] = value
            } else {
                block.append(line)
            }
        }
        store()
    }

    subscript(key: String) -> String? {
        guard let value = values[key], !value.isEmpty else { return nil }
        return value
    }
}
