import Foundation

/// A compact account of what failed, for the model's prompt: per failing test its id, message,
/// assertion and the few repository frames that matter, identical failures folded together, and
/// the log's head and tail when the report alone does not explain the failure. Deterministic for
/// the same input, so prompts stay cacheable across rounds.
public struct FailureDigest: Sendable {
    public let text: String
    /// Repository-relative paths named by the failures, most relevant first (named by more
    /// failing tests, then first named); only files that exist under the repository root.
    public let referencedFiles: [String]
    /// The places (file and line, when known) in `referencedFiles`, in the same order.
    public let referencedLocations: [SourceLocation]

    /// Tokens are estimated as characters / 4, which is close enough for prompt budgeting.
    public static func estimatedTokens(_ text: String) -> Int { (text.count + 3) / 4 }

    /// Repository frames kept per failing test.
    static let framesPerTest = 3
    static let messageCharacters = 400

    /// `stoppedBy` is what the sandbox says it cut short (the memory, process or disk limit): the
    /// output alone often does not show it, and the model should know.
    public static func make(report: TestReport, output: String, repositoryRoot: URL?, tokenBudget: Int = 2000,
                            stoppedBy: String? = nil) -> FailureDigest {
        let files = repositoryRoot.map { RepositoryFiles(root: $0) }
        let runRoot = files.flatMap { RunRoot.infer(from: report.failing, files: $0) }
        let groups = FailureGroup.fold(report.failing, files: files, runRoot: runRoot)
        let budget = max(tokenBudget, 50) * 4
        var text = header(report, stoppedBy: stoppedBy)

        var shown = 0
        for group in groups {
            let entry = group.text
            if text.count + entry.count + 80 > budget && shown > 0 { break }
            text += entry
            shown += 1
        }
        if shown < groups.count {
            let hidden = groups[shown...].flatMap(\.ids)
            var line = "… \(hidden.count) more failing test\(hidden.count == 1 ? "" : "s") not shown: "
            var used = text.count + line.count
            for id in hidden {
                guard used + id.count + 3 < budget else { break }
                line += id + ", "
                used += id.count + 2
            }
            text += line.hasSuffix(", ") ? String(line.dropLast(2)) + "\n" : line + "…\n"
        }

        // The log helps only where the report cannot explain the failure itself: nothing parsed,
        // a stand-in for a crashed or stopped run, or failures without any message.
        let explained = groups.contains { group in group.message != nil && !group.isStandIn }
        let needsLog = report.isExitCodeFallback || groups.contains(where: \.isStandIn) || !explained && !groups.isEmpty
        let remaining = budget - text.count
        if needsLog, remaining > 120 {
            text += "\nOutput (head and tail):\n" + LogExcerpt.headAndTail(of: runRoot.map { $0.strip(LogExcerpt.withoutNoise(output)) } ?? LogExcerpt.withoutNoise(output),
                                                                   characters: remaining - 30)
        }
        if text.count > budget { text = String(text.prefix(budget - 1)) + "…" }

        var weight: [String: Int] = [:]
        var order: [String] = []
        for group in groups {
            for path in Set(group.locations.map(\.path)) { weight[path, default: 0] += group.ids.count }
            for location in group.locations where !order.contains(location.path) { order.append(location.path) }
        }
        let referenced = order.enumerated()
            .filter { files != nil || !$0.element.hasPrefix("/") }
            .sorted { (weight[$0.element] ?? 0, -$0.offset) > (weight[$1.element] ?? 0, -$1.offset) }
            .map(\.element)
        let locations = groups.flatMap(\.locations)
        let places = referenced.flatMap { path in
            var seen = Set<SourceLocation>()
            return locations.filter { $0.path == path && seen.insert($0).inserted }
        }
        return FailureDigest(text: text, referencedFiles: referenced, referencedLocations: places)
    }

    private static func header(_ report: TestReport, stoppedBy: String?) -> String {
        var text: String
        if report.isExitCodeFallback {
            text = report.allPassed ? "The test command passed." : "The test command failed."
        } else {
            let total = report.totalCount
            text = "\(report.failingCount) of \(total) test\(total == 1 ? "" : "s") failing (\(report.framework))."
        }
        if report.timedOut { text += " The run hit its time limit." }
        if let end = report.abnormalEnd { text += " The run ended abnormally: \(end)." }
        if let note = report.note { text += " Note: \(note)." }
        if let stoppedBy, !report.timedOut { text += " The sandbox stopped it: \(stoppedBy)." }
        return text + "\n"
    }
}

/// Failing tests that failed the same way (same message shape, same places), shown once.
struct FailureGroup {
    var ids: [String]
    var isStandIn = false
    var status: TestStatus
    var message: String?
    var assertion: String?
    var locations: [SourceLocation]

    private static let digits = Pattern("\\d+")

    static func fold(_ failing: [TestCaseResult], files: RepositoryFiles?, runRoot: RunRoot?) -> [FailureGroup] {
        var groups: [FailureGroup] = []
        var keys: [String] = []
        for var test in failing {
            if let runRoot {
                test.id = runRoot.strip(test.id)
                test.message = test.message.map(runRoot.strip)
            }
            let locations = relevantLocations(test.locations, files: files)
            let shape = digits.replacing(in: test.message?.split(separator: "\n").first.map(String.init) ?? "", with: "#")
            let key = "\(test.status)|\(shape)|\(locations.map(\.description).joined(separator: ","))"
            if let index = keys.firstIndex(of: key), !locations.isEmpty || test.message != nil {
                groups[index].ids.append(test.id)
            } else {
                keys.append(key)
                groups.append(FailureGroup(ids: [test.id], isStandIn: test.isSynthetic, status: test.status,
                                           message: test.message, assertion: test.assertion, locations: locations))
            }
        }
        return groups
    }

    /// Repository frames only, each once, the innermost few (the list runs outermost to innermost).
    private static func relevantLocations(_ locations: [SourceLocation], files: RepositoryFiles?) -> [SourceLocation] {
        var kept: [SourceLocation] = []
        for location in locations {
            let path: String
            if let files {
                guard let resolved = files.resolve(location.path) else { continue }
                path = resolved
            } else {
                guard !ParseContext.isFrameworkPath(location.path) else { continue }
                path = location.path
            }
            let resolved = SourceLocation(path: path, line: location.line)
            if !kept.contains(resolved) { kept.append(resolved) }
        }
        guard kept.count > FailureDigest.framesPerTest else { return kept }
        // Keep the outermost frame (usually the test itself) and the innermost ones.
        return [kept[0]] + kept.suffix(FailureDigest.framesPerTest - 1)
    }

    var text: String {
        var text = "\n\(status == .errored ? "ERROR" : "FAIL") \(ids[0])"
        if ids.count > 1 {
            text += " (same failure in \(ids.count - 1) more: \(ids.dropFirst().prefix(5).joined(separator: ", "))\(ids.count > 6 ? ", …" : ""))"
        }
        text += "\n"
        if let message {
            let clipped = message.count > FailureDigest.messageCharacters
                ? String(message.prefix(FailureDigest.messageCharacters)) + "…" : message
            text += clipped.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(separator: "\n") + "\n"
        }
        if let assertion, !(message ?? "").contains(assertion) { text += "  assertion: \(assertion)\n" }
        if !locations.isEmpty { text += "  at " + locations.map(\.description).joined(separator: ", ") + "\n" }
        return text
    }
}

/// Where the tests ran, when that is not the repository root the digest was given (the sandbox's
/// copy of the checkout): the part of a printed absolute path before the repository file it names.
/// Removed from ids and messages, so the model reads paths it can write patches against.
struct RunRoot {
    let prefix: String

    static func infer(from failing: [TestCaseResult], files: RepositoryFiles) -> RunRoot? {
        var counts: [String: Int] = [:]
        for location in failing.flatMap(\.locations) where location.path.hasPrefix("/") {
            guard let relative = files.resolve(location.path), location.path.hasSuffix("/" + relative) else { continue }
            counts[String(location.path.dropLast(relative.count)), default: 0] += 1
        }
        guard let best = counts.max(by: { ($0.value, $1.key) < ($1.value, $0.key) }), best.key.count > 1 else { return nil }
        return RunRoot(prefix: best.key)
    }

    func strip(_ text: String) -> String {
        text.replacingOccurrences(of: "file://" + prefix, with: "").replacingOccurrences(of: prefix, with: "")
    }
}

/// The start and end of a long log, with a marker for what was cut between them.
enum LogExcerpt {
    /// Lines that never explain a failure: build progress, and the toolchain saying it cannot use
    /// a cache under the sandbox's home directory.
    private static let noise = Pattern("^(?:\\[\\d+/\\d+\\] |Building for [a-z]+\\.\\.\\.$|warning: .* is not accessible or not writable, disabling user-level cache features\\.$)")

    static func withoutNoise(_ output: String) -> String {
        OutputText.lines(output).filter { !noise.matches($0) }.joined(separator: "\n")
    }

    static func headAndTail(of output: String, characters: Int) -> String {
        let lines = OutputText.lines(output)
        if output.utf8.count <= characters { return lines.joined(separator: "\n") + "\n" }
        // The end of a log usually says more (the error, the summary) than its start.
        let headBudget = characters / 3
        let tailBudget = characters - headBudget - 40
        var head: [String] = []
        var used = 0
        for line in lines {
            let clipped = line.count > 300 ? String(line.prefix(300)) + "…" : line
            if used + clipped.count + 1 > headBudget { break }
            head.append(clipped)
            used += clipped.count + 1
        }
        var tail: [String] = []
        used = 0
        for line in lines[head.count...].reversed() {
            let clipped = line.count > 300 ? String(line.prefix(300)) + "…" : line
            if used + clipped.count + 1 > tailBudget { break }
            tail.insert(clipped, at: 0)
            used += clipped.count + 1
        }
        let omitted = lines.count - head.count - tail.count
        return (head + ["[… \(omitted) lines omitted …]"] + tail).joined(separator: "\n") + "\n"
    }
}
