import AutofixBenchSupport
import AutofixCore
import AutofixPatch
import AutofixSupport
import Foundation

/// PatchApplier against `git apply` on the per-file diffs of a real history of ~300 commits, exact
/// and with drifted context, in the same run.
///
/// The history is built in a temp repository with `git fast-import`, starting from the Swift
/// sources tracked at HEAD of the repository the benchmark runs in (or of the git directory named
/// by AUTOFIX_BENCH_SEED_REPO; only read). Each commit edits one to three files the way people do:
/// renames a word, copies a block, deletes lines, adds or removes a file.
enum PatchBench {
    static func run(smoke: Bool = false) throws {
        let work = try TemporaryDirectory(prefix: "autofix-patch-bench")
        var random = BenchRandom(seed: 0x5EED)
        let seed = try seedFiles()
        // --smoke: a short history, enough to exercise every variant.
        let history = makeHistory(from: seed, commits: smoke ? 10 : 300, using: &random)
        let cases = try recordAndDiff(history, in: work.url.appendingPathComponent("repo"))
        print("seed: \(seed.count) files (\(seed.source)), \(history.count) commits, \(cases.count) file patches")
        print("")
        print(pad("variant", 24) + pad("applier ok", 12) + pad("git apply ok", 14) + pad("git apply -w ok", 17)
              + pad("applier/patch", 15) + pad("git apply/patch", 17) + "ratio")

        for variant in Drift.allCases {
            let drifted = cases.compactMap { variant.apply(to: $0, using: &random) }
            let scratch = work.url.appendingPathComponent("scratch-\(variant)")
            let ours = try runApplier(drifted, scratch: scratch)
            let gits = try runGitApply(drifted, scratch: scratch, extraArguments: [])
            // --ignore-whitespace only matters where whitespace drifted; elsewhere it equals plain git apply.
            let gitsW = variant.driftsWhitespace
                ? try runGitApply(drifted, scratch: scratch, extraArguments: ["--ignore-whitespace"]) : gits
            let ratio = gits.medianSeconds / max(ours.medianSeconds, 1e-9)
            print(pad(variant.rawValue, 24)
                  + pad("\(ours.correct)/\(drifted.count)", 12)
                  + pad("\(gits.correct)/\(drifted.count)", 14)
                  + pad("\(gitsW.correct)/\(drifted.count)", 17)
                  + pad(format(ours.medianSeconds), 15)
                  + pad(format(gits.medianSeconds), 17)
                  + String(format: "%.0fx", ratio))
            if !ours.strategies.isEmpty {
                let counts = ours.strategies.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key.rawValue) \($0.value)" }
                print("    applier hunk strategies: " + counts.joined(separator: ", "))
            }
            if !ours.failures.isEmpty {
                print("    applier refused \(ours.refused), e.g. \(ours.failures.prefix(2).joined(separator: "; "))")
            }
            if ours.wrong > 0 {
                print("    applier applied \(ours.wrong) at the wrong place (a duplicate block nearer the stated line)")
            }
        }
        print("spawn baseline: `git --version` started the same way as git apply: \(format(try spawnBaseline()))")
        print("")
        print("ok = applied and the result equals the expected file (for whitespace variants: equal line by line")
        print("once leading and trailing whitespace is ignored). Times are medians per file patch; the applier")
        print("time includes parsing the diff, git apply includes starting the process.")
    }

    // MARK: - Seed and history

    struct Seed {
        var files: [String: String]
        var source: String
        var count: Int { files.count }
    }

    static func seedFiles() throws -> Seed {
        let gitDir = ProcessInfo.processInfo.environment["AUTOFIX_BENCH_SEED_REPO"]
        let prefix = gitDir.map { ["git", "--git-dir", $0] } ?? ["git"]
        var files: [String: String] = [:]
        if let listing = try? Shell.check(prefix + ["ls-tree", "-r", "--name-only", "HEAD"]) {
            for path in listing.split(separator: "\n").map(String.init) where path.hasSuffix(".swift") {
                guard let content = try? Shell.check(prefix + ["cat-file", "-p", "HEAD:\(path)"]),
                      content.utf8.count > 200 else { continue }
                files[path] = content
                if files.count == 60 { break }
            }
        }
        if files.count >= 5 {
            return Seed(files: files, source: gitDir == nil ? "this repository's Swift sources at HEAD" : "Swift sources of AUTOFIX_BENCH_SEED_REPO")
        }
        var random = BenchRandom(seed: 42)
        for index in 0..<20 {
            files["Sources/Generated\(index).swift"] = (0..<120).map { _ in random.codeLine() }.joined(separator: "\n") + "\n"
        }
        return Seed(files: files, source: "generated, no git repository found")
    }

    typealias Tree = [String: String]

    static func makeHistory(from seed: Seed, commits: Int, using random: inout BenchRandom) -> [Tree] {
        var tree = seed.files
        var history: [Tree] = [tree]
        for commit in 1...commits {
            let paths = tree.keys.sorted()
            for _ in 0..<random.int(1...3) {
                let path = paths[random.int(0...(paths.count - 1))]
                guard var lines = tree[path]?.components(separatedBy: "\n"), lines.count > 3 else { continue }
                lines.removeLast()
                for _ in 0..<random.int(1...3) { edit(&lines, using: &random) }
                tree[path] = lines.joined(separator: "\n") + "\n"
            }
            if commit % 23 == 0, let source = tree[paths[random.int(0...(paths.count - 1))]] {
                let lines = source.components(separatedBy: "\n")
                tree["Sources/Added\(commit).swift"] = lines.prefix(random.int(5...40)).joined(separator: "\n") + "\n"
            }
            if commit % 41 == 0, tree.count > 5 {
                tree.removeValue(forKey: paths[random.int(0...(paths.count - 1))])
            }
            history.append(tree)
        }
        return history
    }

    static func edit(_ lines: inout [String], using random: inout BenchRandom) {
        let position = random.int(0...(lines.count - 1))
        switch random.int(0...3) {
        case 0:
            // Rename a word on a few nearby lines.
            for index in position..<min(lines.count, position + random.int(1...3)) {
                let words = lines[index].split(separator: " ")
                guard let word = words.first(where: { $0.count > 3 && $0.allSatisfy(\.isLetter) }) else { continue }
                lines[index] = lines[index].replacingOccurrences(of: String(word), with: String(word) + "2")
            }
        case 1:
            // Copy a block from elsewhere in the file.
            let from = random.int(0...(lines.count - 1))
            let block = Array(lines[from..<min(lines.count, from + random.int(1...6))])
            lines.insert(contentsOf: block, at: position)
        case 2:
            lines.removeSubrange(position..<min(lines.count, position + random.int(1...5)))
        default:
            lines.insert(random.codeLine(), at: position)
        }
    }

    struct Case {
        var path: String
        var before: String?
        var after: String?
        var patch: String
    }

    /// Records the history with `git fast-import`, then reads it back as per-file diffs.
    static func recordAndDiff(_ history: [Tree], in repo: URL) throws -> [Case] {
        try FileManager.default.createDirectory(at: repo, withIntermediateDirectories: true)
        try Shell.check(["git", "init", "-q"], in: repo)
        var stream = Data()
        func append(_ text: String) { stream.append(Data(text.utf8)) }
        func data(_ text: String) { append("data \(text.utf8.count)\n"); append(text); append("\n") }
        for (index, tree) in history.enumerated() {
            append("commit refs/heads/main\nmark :\(index + 1)\ncommitter Bench <bench@example.invalid> \(1_700_000_000 + index) +0000\n")
            data("commit \(index)")
            if index > 0 { append("from :\(index)\n") }
            let previous = index > 0 ? history[index - 1] : [:]
            for path in previous.keys.sorted() where tree[path] == nil { append("D \(path)\n") }
            for path in tree.keys.sorted() where previous[path] != tree[path] {
                append("M 100644 inline \(path)\n")
                data(tree[path]!)
            }
        }
        try stream.write(to: repo.appendingPathComponent("history.fi"))
        try Shell.check(["sh", "-c", "git fast-import --quiet < history.fi && git checkout -q main"], in: repo)

        let log = try Shell.check(["git", "log", "--reverse", "-p", "--no-renames", "--no-color", "--format=%x00%s", "main"], in: repo)
        var cases: [Case] = []
        // A NUL cannot occur in text, so it separates commits even when the seed is this file.
        for section in log.components(separatedBy: "\u{0}commit ").dropFirst() {
            guard let newline = section.firstIndex(of: "\n"), let index = Int(section[..<newline]), index > 0 else { continue }
            for piece in section[newline...].components(separatedBy: "\ndiff --git ").dropFirst() {
                let patch = "diff --git " + piece + (piece.hasSuffix("\n") ? "" : "\n")
                let parser = StreamingDiffParser()
                let edits = parser.feed(patch) + parser.finish()
                guard let parsed = edits.first?.patch, let path = parsed.newPath ?? parsed.oldPath else { continue }
                cases.append(Case(path: path, before: history[index - 1][path], after: history[index][path], patch: patch))
            }
        }
        return cases
    }

    // MARK: - Drift

    enum Drift: String, CaseIterable {
        case exact = "exact (as committed)"
        case shifted = "shifted lines"
        case trailingSpaces = "trailing whitespace"
        case reindented = "reindented file"

        var driftsWhitespace: Bool { self == .trailingSpaces || self == .reindented }

        /// The case against a drifted file; nil when the variant does not apply (new files).
        func apply(to item: Case, using random: inout BenchRandom) -> DriftedCase? {
            switch self {
            case .exact:
                return DriftedCase(item: item, before: item.before, expected: item.after, looseCompare: false)
            case .shifted:
                guard let before = item.before, let after = item.after else { return nil }
                let header = (0..<random.int(3...25)).map { "// drift \($0)" }.joined(separator: "\n") + "\n"
                return DriftedCase(item: item, before: header + before, expected: header + after, looseCompare: false)
            case .trailingSpaces:
                guard let before = item.before, let after = item.after else { return nil }
                var lines = before.components(separatedBy: "\n")
                for index in lines.indices.dropLast() where random.int(0...2) == 0 && !lines[index].isEmpty { lines[index] += "  " }
                return DriftedCase(item: item, before: lines.joined(separator: "\n"), expected: after, looseCompare: true)
            case .reindented:
                guard let before = item.before, let after = item.after else { return nil }
                let converted = before.components(separatedBy: "\n").map { line -> String in
                    let indent = line.prefix(while: { $0 == " " }).count
                    return String(repeating: "\t", count: indent / 4) + String(repeating: " ", count: indent % 4) + line.dropFirst(indent)
                }
                return DriftedCase(item: item, before: converted.joined(separator: "\n"), expected: after, looseCompare: true)
            }
        }
    }

    struct DriftedCase {
        var item: Case
        var before: String?
        var expected: String?
        var looseCompare: Bool

        func matches(_ result: String?) -> Bool {
            guard let result, let expected else { return result == nil && expected == nil }
            guard looseCompare else { return result == expected }
            func normalized(_ text: String) -> [Substring] {
                text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces)[...] }
            }
            return normalized(result) == normalized(expected)
        }
    }

    // MARK: - Runs

    struct Outcome {
        var correct = 0
        var wrong = 0
        var refused = 0
        var seconds: [Double] = []
        var strategies: [HunkStrategy: Int] = [:]
        var failures: [String] = []
        var medianSeconds: Double {
            guard !seconds.isEmpty else { return 0 }
            return seconds.sorted()[seconds.count / 2]
        }
    }

    static func prepare(_ drifted: DriftedCase, scratch: URL) throws -> URL {
        try? FileManager.default.removeItem(at: scratch)
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        let file = scratch.appendingPathComponent(drifted.item.path)
        if let before = drifted.before {
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(before.utf8).write(to: file)
        }
        return file
    }

    static func result(at file: URL) -> String? {
        FileManager.default.contents(atPath: file.path).map { String(decoding: $0, as: UTF8.self) }
    }

    static func runApplier(_ cases: [DriftedCase], scratch: URL) throws -> Outcome {
        var outcome = Outcome()
        for drifted in cases {
            let file = try prepare(drifted, scratch: scratch)
            let applier = PatchApplier(root: scratch, policy: PathPolicy(root: scratch))
            let start = DispatchTime.now().uptimeNanoseconds
            var applied = true
            do {
                let parser = StreamingDiffParser()
                for edit in parser.feed(drifted.item.patch) + parser.finish() {
                    guard let patch = edit.patch else { applied = false; continue }
                    let report = try applier.apply(patch)
                    for strategy in report.hunkStrategies { outcome.strategies[strategy, default: 0] += 1 }
                }
            } catch {
                applied = false
                outcome.refused += 1
                if outcome.failures.count < 3 { outcome.failures.append("\(drifted.item.path): \((error as? PatchError)?.message ?? "\(error)")") }
            }
            outcome.seconds.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            if applied {
                if drifted.matches(result(at: file)) { outcome.correct += 1 } else { outcome.wrong += 1 }
            }
        }
        return outcome
    }

    static func runGitApply(_ cases: [DriftedCase], scratch: URL, extraArguments: [String]) throws -> Outcome {
        var outcome = Outcome()
        let patchFile = scratch.deletingLastPathComponent().appendingPathComponent("current.patch")
        for drifted in cases {
            let file = try prepare(drifted, scratch: scratch)
            try Data(drifted.item.patch.utf8).write(to: patchFile)
            let start = DispatchTime.now().uptimeNanoseconds
            let status = try Spawn.run(["git", "-C", scratch.path, "apply", "--quiet"] + extraArguments + [patchFile.path])
            outcome.seconds.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            if status == 0 && drifted.matches(result(at: file)) { outcome.correct += 1 }
        }
        return outcome
    }

    static func spawnBaseline() throws -> Double {
        var seconds: [Double] = []
        for _ in 0..<50 {
            let start = DispatchTime.now().uptimeNanoseconds
            _ = try Spawn.run(["git", "--version"])
            seconds.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return seconds.sorted()[seconds.count / 2]
    }

    static func format(_ seconds: Double) -> String {
        seconds >= 1e-3 ? String(format: "%.2f ms", seconds * 1e3) : String(format: "%.0f µs", seconds * 1e6)
    }

    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }
}

/// Starts a program with posix_spawn and waits with wait4: Foundation's Process polls for the
/// child's exit in 50 ms steps on Linux, which would be measured instead of git.
enum Spawn {
    static func run(_ arguments: [String]) throws -> Int32 {
        var spec = ProcessSpec(arguments, environment: Hermetic.environment)
        spec.stdout = .discard
        spec.stderr = .discard
        do {
            return try ProcessLauncher.run(spec).termination.shellStatus
        } catch let failure as SystemCallError {
            throw UsageError("cannot start \(arguments[0]): \(failure.reason)")
        }
    }
}

/// Deterministic choices (SplitMix64 underneath), so every run builds the same history.
struct BenchRandom {
    private var generator: SeededGenerator

    init(seed: UInt64) { generator = SeededGenerator(seed: seed) }

    mutating func next() -> UInt64 { generator.next() }

    mutating func int(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.count))
    }

    mutating func codeLine() -> String {
        let names = ["value", "count", "index", "result", "buffer", "limit", "offset", "total"]
        let name = names[int(0...(names.count - 1))]
        let indent = String(repeating: "    ", count: int(1...3))
        switch int(0...3) {
        case 0: return indent + "let \(name)\(int(0...99)) = \(name) + \(int(1...9))"
        case 1: return indent + "if \(name) > \(int(0...50)) { return \(name) }"
        case 2: return indent + "\(name) += \(int(1...9))"
        default: return ""
        }
    }
}
