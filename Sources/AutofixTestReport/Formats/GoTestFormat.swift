import Foundation

/// `go test` plain output, with or without -v: "=== RUN", "--- PASS/FAIL/SKIP: Name (0.00s)",
/// indented "file_test.go:12: message" log lines, "ok/FAIL <package>" lines, panics and timeouts.
enum GoTestFormat: TestOutputFormat {
    private static let runLine = Pattern("^=== (?:RUN|CONT|NAME)\\s+(\\S+)")
    private static let resultLine = Pattern("^(\\s*)--- (PASS|FAIL|SKIP): (\\S+)")
    private static let simplePackageLine = Pattern("^(ok|FAIL)\\s+(\\S+)(?:\\s+[\\d.]+s|\\s+\\(cached\\)|\\s+\\[([^\\]]+)\\])")
    static let logLine = Pattern("^\\s+(\\S+\\.go):(\\d+): ?(.*)$")
    static let frameLine = Pattern("^\\t(\\S+\\.go):(\\d+)")
    /// A test function's frame in a goroutine dump: "example.com/calc.TestHangs(0xc000098340?)".
    private static let testFrameLine = Pattern("^\\S+\\.(Test[^.(\\s]*)(?:\\.func\\d+)*\\(")

    static func detect(_ lines: [String]) -> Bool {
        lines.contains { $0.hasPrefix("=== RUN ") || $0.hasPrefix("--- FAIL: ") || $0.hasPrefix("--- PASS: ")
            || ($0.hasPrefix("ok ") || $0.hasPrefix("FAIL\t")) && simplePackageLine.matches($0) }
    }

    static func parse(_ lines: [String], context: ParseContext) -> ParsedOutput {
        var output = ParsedOutput(framework: "go")
        var collector = GoEventCollector(context: context)
        var current: String?
        var inPanic = false
        var inRunningList = false
        for line in lines {
            if line.hasPrefix("=== "), let name = runLine.match(line)?[0] {
                current = name
                collector.started(name)
                inPanic = false
            } else if line.contains("--- "), let groups = resultLine.match(line), let word = groups[1], let name = groups[2] {
                collector.finished(name, word)
                current = name
            } else if line.hasPrefix("ok ") || line.hasPrefix("FAIL"), let groups = simplePackageLine.match(line), let package = groups[1] {
                collector.packageFinished(package, failed: groups[0] == "FAIL", reason: groups[2])
                current = nil; inPanic = false; inRunningList = false
            } else if line.hasPrefix("panic: ") {
                inPanic = true
                collector.panicked(String(line.dropFirst("panic: ".count)), during: current)
            } else if inRunningList && line.trimmed.isEmpty {
                inRunningList = false
            } else if inPanic && line == "running tests:" {
                inRunningList = true
            } else if inRunningList, line.hasPrefix("\t"), let name = line.trimmed.split(separator: " ").first {
                collector.timedOutWhileRunning(String(name))
            } else if inPanic, line.contains(".Test"), let name = testFrameLine.match(line)?[0] {
                collector.testInGoroutineDump(name)
            } else if inPanic, let groups = frameLine.match(line), let path = groups[0] {
                inRunningList = false
                collector.panicFrame(path, line: groups[1].flatMap { Int($0) })
            } else if let current, !inPanic {
                collector.log(line, for: current)
            } else if !inPanic {
                collector.packageLog(line)
            }
        }
        collector.finish(into: &output)
        return output
    }
}

/// `go test -json`: one JSON event per line (run, output, pass, fail, skip) with Package and Test.
enum GoTestJSONFormat: TestOutputFormat {
    static func detect(_ lines: [String]) -> Bool {
        lines.prefix(50).contains { $0.hasPrefix("{") && $0.contains("\"Action\":") }
    }

    static func parse(_ lines: [String], context: ParseContext) -> ParsedOutput {
        var output = ParsedOutput(framework: "go")
        var collector = GoEventCollector(context: context)
        var inPanic: [String: Bool] = [:]
        var lastTest: [String: String] = [:]
        for line in lines where line.hasPrefix("{") {
            guard let data = line.data(using: .utf8),
                  let event = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
                  let action = event["Action"] as? String else { continue }
            let package = event["Package"] as? String ?? ""
            let test = event["Test"] as? String
            collector.currentPackage = package
            switch (action, test) {
            case ("run", let name?):
                collector.started(name)
                lastTest[package] = name
            case ("pass", let name?), ("fail", let name?), ("skip", let name?):
                collector.finished(name, action == "pass" ? "PASS" : action == "fail" ? "FAIL" : "SKIP")
            case ("pass", nil), ("fail", nil), ("skip", nil):
                collector.packageFinished(package, failed: action == "fail",
                                          reason: event["FailedBuild"] != nil ? "build failed" : nil)
            case ("output", _), ("build-output", _):
                let text = (event["Output"] as? String ?? "").replacingOccurrences(of: "\n", with: "")
                if text.hasPrefix("=== ") || GoTestFormat.isResultLine(text) { continue }
                if text.hasPrefix("panic: ") {
                    inPanic[package] = true
                    collector.panicked(String(text.dropFirst("panic: ".count)), during: test ?? lastTest[package])
                } else if inPanic[package] == true {
                    if text.hasPrefix("\t"), let name = text.trimmed.split(separator: " ").first, !text.contains(".go:") {
                        collector.timedOutWhileRunning(String(name))
                    } else if let groups = GoTestFormat.frameLine.match(text), let path = groups[0] {
                        collector.panicFrame(path, line: groups[1].flatMap { Int($0) })
                    }
                } else if let test {
                    collector.log(text, for: test)
                } else {
                    collector.packageLog(text)
                }
            default:
                break
            }
        }
        collector.finish(into: &output)
        return output
    }
}

extension GoTestFormat {
    static func isResultLine(_ text: String) -> Bool {
        resultLine.matches(text)
    }
}

/// Collects go test events per package (plain output names the package only after its tests).
struct GoEventCollector {
    let context: ParseContext
    var currentPackage = ""
    private var pending: [(name: String, status: TestStatus?)] = []
    private var pendingIndex: [String: Int] = [:]
    private var logs: [String: [String]] = [:]
    private var locations: [String: [SourceLocation]] = [:]
    private var packageLines: [String] = []
    private var panicMessage: String?
    private var panicTest: String?
    private var panicLocations: [SourceLocation] = []
    private var timedOut: [String] = []
    /// Tests whose functions appear in a panic's goroutine dump.
    private var testsInDump: [String] = []
    private var results: [TestCaseResult] = []
    private var unfinished: [UnfinishedTest] = []
    private var abnormalEnd: String?
    private var anyVerbose = false

    init(context: ParseContext) {
        self.context = context
    }

    mutating func started(_ name: String) {
        anyVerbose = true
        if pendingIndex[name] == nil {
            pendingIndex[name] = pending.count
            pending.append((name, nil))
        }
    }

    mutating func finished(_ name: String, _ word: String) {
        let status: TestStatus = word == "PASS" ? .passed : word == "SKIP" ? .skipped : .failed
        if let index = pendingIndex[name] {
            pending[index].status = status
        } else {
            pendingIndex[name] = pending.count
            pending.append((name, status))
        }
    }

    mutating func log(_ line: String, for test: String) {
        guard !line.trimmed.isEmpty, !GoTestFormat.isResultLine(line), line != "FAIL", line != "PASS" else { return }
        if line.contains(".go:"), let groups = GoTestFormat.logLine.match(line), let path = groups[0] {
            logs[test, default: []].append(groups[2] ?? "")
            locations[test, default: []].append(context.location(path, line: groups[1].flatMap { Int($0) }))
        } else if line.hasPrefix("    ") {
            logs[test, default: []].append(line.trimmed)
        }
    }

    mutating func packageLog(_ line: String) {
        if !line.trimmed.isEmpty, line != "FAIL", line != "PASS" { packageLines.append(line) }
    }

    mutating func panicked(_ message: String, during test: String?) {
        if panicMessage == nil {
            panicMessage = message
            panicTest = test
        }
    }

    mutating func panicFrame(_ path: String, line: Int?) {
        // _testmain.go is the test binary's generated main, not a file of the repository.
        if !ParseContext.isFrameworkPath(path) && !path.contains("/src/runtime/") && !path.contains("/src/testing/")
            && !path.hasSuffix("_testmain.go") {
            panicLocations.append(context.location(path, line: line))
        }
    }

    mutating func timedOutWhileRunning(_ name: String) {
        timedOut.append(name)
    }

    mutating func testInGoroutineDump(_ name: String) {
        if !testsInDump.contains(name) { testsInDump.append(name) }
    }

    mutating func packageFinished(_ package: String, failed: Bool, reason: String?) {
        let prefix = package.isEmpty ? "" : package + "."
        let hadFailure = pending.contains { $0.status == .failed }
        if panicMessage?.hasPrefix("test timed out") == true, timedOut.isEmpty {
            // Before go 1.20 a timeout lists no running tests: the hung ones are the tests
            // still on a goroutine's stack, which plain output never announced.
            timedOut = testsInDump.filter { name in pending.first { $0.name == name }?.status == nil }
            for name in timedOut where pendingIndex[name] == nil {
                pendingIndex[name] = pending.count
                pending.append((name, nil))
            }
        }
        for (name, status) in pending {
            let id = prefix + name
            if let status {
                var message = logs[name].map { $0.prefix(6).joined(separator: "\n") }
                var places = locations[name] ?? []
                if name == panicTest, let panicMessage {
                    message = "panic: \(panicMessage)" + (message.map { "\n" + $0 } ?? "")
                    places += panicLocations.reversed()
                }
                results.append(TestCaseResult(
                    id: id, status: status == .failed && name == panicTest ? .errored : status,
                    message: status == .failed ? message : nil, locations: status == .failed ? places : []))
            } else {
                let blamed = name == panicTest || timedOut.contains(name)
                unfinished.append(UnfinishedTest(id: id, locations: blamed ? panicLocations.reversed() : [], blamed: blamed))
            }
        }
        if let panicMessage {
            abnormalEnd = panicMessage.hasPrefix("test timed out") ? "go test: \(panicMessage)" : "panic: \(panicMessage)"
        }
        if failed && !hadFailure && unfinished.isEmpty {
            // The package failed without a failing test: a build failure, TestMain, init, or a
            // panic outside any test.
            let diagnostics = CompilerDiagnostics.scan(packageLines, context: context)
            results.append(TestCaseResult(
                id: package, status: .errored,
                message: reason.map { "package \(package): \($0)" } ?? diagnostics.first?.message
                    ?? panicMessage.map { "panic: \($0)" } ?? packageLines.suffix(3).joined(separator: "\n"),
                locations: diagnostics.map(\.location) + panicLocations.reversed(), isSynthetic: true))
        }
        pending = []
        pendingIndex = [:]
        logs = [:]
        locations = [:]
        packageLines = []
        panicMessage = nil
        panicTest = nil
        panicLocations = []
        timedOut = []
        testsInDump = []
    }

    mutating func finish(into output: inout ParsedOutput) {
        // A run cut short never printed its package line: the tests seen so far still count.
        if !pending.isEmpty { packageFinished(currentPackage, failed: true, reason: nil) }
        for result in results { output.add(result) }
        output.unfinished = unfinished
        output.abnormalEnd = abnormalEnd
        output.listsPassingTests = anyVerbose
    }
}
