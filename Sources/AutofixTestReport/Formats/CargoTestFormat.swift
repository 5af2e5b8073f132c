/// `cargo test` (libtest): "Running target (binary)", "test name ... ok|FAILED|ignored", and
/// "---- name stdout ----" blocks with the panic message and location.
enum CargoTestFormat: TestOutputFormat {
    private static let running = Pattern("^\\s*Running (?:unittests )?(\\S+) \\(")
    private static let docTests = Pattern("^\\s*Doc-tests (\\S+)")
    private static let resultLine = Pattern("^test (.+?) \\.\\.\\. (ok|FAILED|ignored)\\b")
    private static let runningCount = Pattern("^running (\\d+) tests?$")
    private static let blockHeader = Pattern("^---- (.+?) stdout ----$")
    private static let panicNew = Pattern("^thread '.*?'(?: \\(\\d+\\))? panicked at (\\S+?):(\\d+):\\d+:$")
    private static let panicOld = Pattern("^thread '.*?' panicked at '(.*)', (\\S+?):(\\d+):\\d+$")
    private static let crashedBinary = Pattern("process didn't exit successfully: `.*` \\((.+)\\)$")
    private static let docLine = Pattern(" \\(line \\d+\\)")

    static func detect(_ lines: [String]) -> Bool {
        lines.contains { $0.hasPrefix("running ") && runningCount.matches($0) }
            && lines.contains { $0.hasPrefix("test ") && $0.contains(" ... ") || $0.hasPrefix("test result: ") || $0.contains("process didn't exit successfully") }
    }

    static func parse(_ lines: [String], context: ParseContext) -> ParsedOutput {
        var output = ParsedOutput(framework: "cargo")
        var target = ""
        var declared = 0
        var reportedInTarget = 0
        var blocks: [String: [String]] = [:]
        var currentBlock: String?
        var outcomes: [(id: String, status: TestStatus)] = []
        var targetDeclared = 0

        func id(_ name: String) -> String {
            // Doc-test names carry their line number, which moves whenever the file is edited.
            let stable = docLine.replacing(in: name, with: "")
            return target.isEmpty ? stable : "\(target)::\(stable)"
        }

        for line in lines {
            if line.contains("Running "), let path = running.match(line)?[0] {
                target = path; currentBlock = nil; reportedInTarget = 0; targetDeclared = 0
                continue
            }
            if line.contains("Doc-tests "), let crate = docTests.match(line)?[0] {
                target = "doc-tests \(crate)"; currentBlock = nil; reportedInTarget = 0; targetDeclared = 0
                continue
            }
            if line.hasPrefix("running "), let count = runningCount.match(line)?[0].flatMap({ Int($0) }) {
                declared += count; targetDeclared = count
                continue
            }
            if line.hasPrefix("test "), let groups = resultLine.match(line), var name = groups[0], let word = groups[1] {
                if name.hasSuffix(" - should panic") { name = String(name.dropLast(" - should panic".count)) }
                let status: TestStatus = word == "ok" ? .passed : word == "ignored" ? .skipped : .failed
                outcomes.append((id(name), status))
                reportedInTarget += 1
                continue
            }
            if line.hasPrefix("---- "), let name = blockHeader.match(line)?[0] {
                currentBlock = id(name)
                blocks[currentBlock!] = []
                continue
            }
            if line == "failures:" || line.hasPrefix("test result: ") { currentBlock = nil; continue }
            if line.contains("process didn't exit successfully"), let reason = crashedBinary.match(line)?[0], reason.contains("signal") {
                // libtest prints results as tests finish, so the test that crashed is unknown:
                // the binary stands for it.
                output.abnormalEnd = "test binary \(target) crashed (\(reason))"
                if reportedInTarget < targetDeclared {
                    output.add(TestCaseResult(
                        id: target, status: .errored,
                        message: "the test binary crashed (\(reason)) after \(reportedInTarget) of \(targetDeclared) tests reported",
                        isSynthetic: true))
                }
                continue
            }
            if let currentBlock { blocks[currentBlock]?.append(line) }
        }
        for (id, status) in outcomes {
            var result = TestCaseResult(id: id, status: status)
            if status == .failed, let body = blocks[id] { describe(&result, body: body, context: context) }
            output.add(result)
        }
        output.declaredTotal = declared
        return output
    }

    private static func describe(_ result: inout TestCaseResult, body: [String], context: ParseContext) {
        var message: [String] = []
        var collecting = false
        for line in body {
            if let groups = panicNew.match(line), let path = groups[0] {
                result.locations.append(context.location(path, line: groups[1].flatMap { Int($0) }))
                collecting = true
            } else if let groups = panicOld.match(line), let path = groups[1] {
                message.append(groups[0] ?? "")
                result.locations.append(context.location(path, line: groups[2].flatMap { Int($0) }))
            } else if line.hasPrefix("note: run with `RUST_BACKTRACE") || line.hasPrefix("stack backtrace:") {
                collecting = false
            } else if collecting || line.hasPrefix("Error: ") {
                if !line.trimmed.isEmpty { message.append(line) }
            }
        }
        result.message = message.isEmpty ? nil : message.prefix(6).joined(separator: "\n")
        if let first = message.first, first.hasPrefix("assertion") { result.assertion = message.prefix(3).joined(separator: "\n") }
    }
}
