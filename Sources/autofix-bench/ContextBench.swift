import AutofixCore
import Foundation

/// Does the first prompt show the code the model must change? Generated Python repositories with
/// one known bug each, the failure a pytest run would print for it, and the first message built
/// for context windows of 4k, 8k and 32k tokens; a case counts when every line the fix must
/// change is in that message and the request fits the window.
enum ContextBench {
    static let windows = [4_096, 8_192, 32_768]
    static let completionTokens = 2_048

    static func run(smoke: Bool = false) throws {
        let cases = BugCase.all(repositorySizes: smoke ? [100] : [100, 1_000, 5_000, 20_000])
        print("ranking: \(ContextBenchPrompt.ranking)")
        print("\(cases.count) cases: \(Set(cases.map(\.repository.fileCount)).sorted().map(String.init).joined(separator: ", ")) files; "
              + "bug kinds \(BugCase.Kind.allCases.map(\.rawValue).joined(separator: ", ")); 60- and 3,000-line files; committed and uncommitted")
        print("")
        var report = BenchTable(["window", "lines in prompt", "prompt fits", "both", "named single-file",
                                 "two-file", "unnamed single-file", "prompt tokens median", "max"])
        var misses: [(window: Int, name: String)] = []
        for window in windows {
            var shown = 0, fits = 0, contained = 0
            var byKind: [BugCase.Kind: (shown: Int, total: Int)] = [:]
            var sizes: [Double] = []
            for bug in cases {
                let prompt = ContextBenchPrompt.firstMessage(
                    pytestOutput: bug.pytestOutput, uncommittedDiff: bug.uncommittedDiff, modified: bug.modifiedPaths,
                    repositoryFiles: bug.repository.paths, read: bug.repository.read, window: window)
                let tokens = PromptBuilder.estimatedTokens(prompt.system) + PromptBuilder.estimatedTokens(prompt.message)
                let fitsWindow = tokens + completionTokens <= window
                let complete = bug.mustChange.allSatisfy { prompt.message.contains($0) }
                if fitsWindow { fits += 1 }
                if complete { contained += 1 }
                if complete && fitsWindow { shown += 1 } else { misses.append((window, bug.name)) }
                byKind[bug.kind, default: (0, 0)].total += 1
                if complete && fitsWindow { byKind[bug.kind, default: (0, 0)].shown += 1 }
                sizes.append(Double(tokens))
            }
            func share(_ kind: BugCase.Kind) -> String {
                let value = byKind[kind] ?? (0, 0)
                return "\(value.shown)/\(value.total)"
            }
            report.add(["\(window / 1024)k", percent(contained, cases.count), percent(fits, cases.count), percent(shown, cases.count),
                        share(.namedSingleFile), share(.twoFile), share(.unnamedSingleFile),
                        String(Int(Statistics.median(sizes))), String(Int(sizes.max() ?? 0))])
        }
        print(report.render())
        print("(a case counts under \"both\" when every line its fix must change is in the prompt and the request fits the window)")
        for window in windows {
            let missed = misses.filter { $0.window == window }.map(\.name)
            if !missed.isEmpty && missed.count <= 12 { print("missed at \(window / 1024)k: " + missed.joined(separator: ", ")) }
        }
    }

    private static func percent(_ count: Int, _ total: Int) -> String {
        "\(count)/\(total) (\(total == 0 ? 0 : count * 100 / total)%)"
    }
}

/// A generated repository held in memory: `pkg/dN/mN.py` modules with their tests, docs and a
/// long README, and the module with the bug (`pkg/core/engine.py`) among thirty siblings.
struct GeneratedRepository {
    let fileCount: Int
    let paths: [String]
    let special: [String: String]

    init(fileCount: Int, special: [String: String]) {
        self.fileCount = fileCount
        self.special = special
        var paths = Set(special.keys)
        paths.insert("README.rst")
        paths.insert("notes/TODO.md")
        paths.insert("conftest.py")
        for index in 0..<30 { paths.insert("pkg/core/a\(index)_parts.py") }
        var index = 0
        while paths.count < fileCount {
            let directory = index / 20, module = index % 20
            switch index % 10 {
            case 0: paths.insert("docs/d\(directory)/page\(module).md")
            case 1, 2, 3: paths.insert("tests/d\(directory)/test_m\(module).py")
            default: paths.insert("pkg/d\(directory)/m\(module).py")
            }
            index += 1
        }
        self.paths = paths.sorted()
    }

    func read(_ path: String) -> String? {
        if let text = special[path] { return text }
        guard paths.contains(path) else { return nil }
        if path == "README.rst" { return String(repeating: "This project does many things, explained at length here.\n", count: 500) }
        if path.hasSuffix(".md") { return "# \(path)\n\nNotes about \(path), to read some day.\n" }
        let tag = path.replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: ".py", with: "")
        if path.hasPrefix("tests/") {
            return "import pytest\nfrom pkg.core import engine\n\n\ndef test_\(tag)():\n    assert engine is not None\n"
        }
        return (0..<10).map { "def \(tag)_f\($0)(x):\n    return x + \($0)  # \(tag)\n" }.joined(separator: "\n")
    }
}

/// One bug: where it is, which lines the fix must change, what the failing run printed.
struct BugCase {
    enum Kind: String, CaseIterable {
        /// The exception is raised on the buggy line, so the traceback names it.
        case namedSingleFile = "named single-file"
        /// A wrong value: the traceback names only the test, which imports the buggy function.
        case unnamedSingleFile = "unnamed single-file"
        /// The caller passes a wrong argument to a helper in another file, which raises.
        case twoFile = "two-file"
    }

    let name: String
    let kind: Kind
    let repository: GeneratedRepository
    let mustChange: [String]
    let pytestOutput: String
    let uncommittedDiff: String
    let modifiedPaths: [String]

    static func all(repositorySizes: [Int]) -> [BugCase] {
        var cases: [BugCase] = []
        for size in repositorySizes {
            for kind in Kind.allCases {
                for large in [false, true] {
                    for uncommitted in [false, true] {
                        cases.append(BugCase(size: size, kind: kind, large: large, uncommitted: uncommitted))
                    }
                }
            }
        }
        return cases
    }

    static let engine = "pkg/core/engine.py"
    static let helpers = "pkg/util/helpers.py"
    static let test = "tests/core/test_engine.py"

    init(size: Int, kind: Kind, large: Bool, uncommitted: Bool) {
        self.kind = kind
        name = "\(size)/\(kind.rawValue)/\(large ? "3000" : "60")-line/\(uncommitted ? "uncommitted" : "committed")"
        let functions = large ? 430 : 9
        let target = functions * 2 / 3
        let helper = functions / 2
        let correct = "    return total + \(target)  # engine_f\(target)"
        let buggy: String
        switch kind {
        case .namedSingleFile: buggy = "    return total / (x - 4)  # engine_f\(target)"
        case .unnamedSingleFile: buggy = "    return total - \(target)  # engine_f\(target)"
        case .twoFile: buggy = "    return helpers_h\(helper)(total, x - 4)  # engine_f\(target)"
        }
        let helperBuggy = "    return value / divisor  # helpers_h\(helper)"
        let helperCorrect = "    return value * divisor  # helpers_h\(helper)"

        let engineOld = Self.module(prefix: "engine", functions: functions, imports: "from pkg.util.helpers import helpers_h\(helper)\n",
                                    replacing: (target, correct))
        let engineNew = Self.module(prefix: "engine", functions: functions, imports: "from pkg.util.helpers import helpers_h\(helper)\n",
                                    replacing: (target, buggy))
        let helpersOld = Self.helpersModule(functions: functions, helper: helper, line: helperCorrect)
        let helpersNew = Self.helpersModule(functions: functions, helper: helper, line: kind == .twoFile ? helperBuggy : helperCorrect)
        let testFile = """
            import pytest
            from pkg.core.engine import engine_f0, engine_f1, engine_f\(target)


            def test_first():
                assert engine_f0(1) == 1


            def test_second():
                assert engine_f1(1) == 2


            def test_target():
                assert engine_f\(target)(4) == \(Self.expected(target))

            """
        var special = [Self.engine: engineNew.text, Self.helpers: helpersNew.text, Self.test: testFile]
        let noiseOld = "def tweak(x):\n    return x\n"
        let noiseNew = "def tweak(x):\n    return x + 0\n"
        special["pkg/d0/m9.py"] = noiseNew
        repository = GeneratedRepository(fileCount: size, special: special)

        var diff = Self.diff("README.rst", old: [String](repeating: "This project does many things, explained at length here.", count: 7),
                             new: [String](repeating: "This project does many things, explained at length here.", count: 3)
                                + ["Now with a changelog."] + [String](repeating: "This project does many things, explained at length here.", count: 3),
                             at: 1)
        diff += Self.diff("pkg/d0/m9.py", old: noiseOld.split(separator: "\n").map(String.init),
                          new: noiseNew.split(separator: "\n").map(String.init), at: 1)
        var modified = ["README.rst", "pkg/d0/m9.py"]
        if uncommitted {
            diff += Self.diff(Self.engine, old: engineOld.lines, new: engineNew.lines, around: engineNew.line)
            modified.append(Self.engine)
            if kind == .twoFile {
                diff += Self.diff(Self.helpers, old: helpersOld.lines, new: helpersNew.lines, around: helpersNew.line)
                modified.append(Self.helpers)
            }
        }
        uncommittedDiff = diff
        modifiedPaths = modified
        mustChange = kind == .twoFile ? [buggy, helperBuggy] : [buggy]
        pytestOutput = Self.pytest(kind: kind, target: target, helper: helper, buggy: buggy, helperLine: helperBuggy,
                                   engineLine: engineNew.line, helperLineNumber: helpersNew.line, testFiles: size / 3)
    }

    static func expected(_ target: Int) -> Int {
        // total = x + sum(range(target % 5)); the correct function adds target.
        4 + (0..<(target % 5)).reduce(0, +) + target
    }

    /// A module of `functions` seven-line functions; the one numbered `replacing.0` ends with `replacing.1`.
    static func module(prefix: String, functions: Int, imports: String, replacing: (Int, String)) -> (text: String, lines: [String], line: Int) {
        var lines = ["\"\"\"The \(prefix) of the package.\"\"\"", ""] + imports.split(separator: "\n").map(String.init) + ["", ""]
        var bugLine = 0
        for index in 0..<functions {
            lines += ["def \(prefix)_f\(index)(x):", "    \"\"\"Step \(index) of the \(prefix).\"\"\"", "    total = x",
                      "    for step in range(\(index % 5)):", "        total += step"]
            if index == replacing.0 { bugLine = lines.count + 1; lines.append(replacing.1) } else {
                lines.append("    return total + \(index)  # \(prefix)_f\(index)")
            }
            lines += ["", ""]
        }
        return (lines.joined(separator: "\n") + "\n", lines, bugLine)
    }

    static func helpersModule(functions: Int, helper: Int, line: String) -> (text: String, lines: [String], line: Int) {
        var lines = ["\"\"\"Helpers.\"\"\"", "", ""]
        var bugLine = 0
        for index in 0..<functions {
            lines += ["def helpers_h\(index)(value, divisor):", "    \"\"\"Helper \(index).\"\"\""]
            if index == helper { bugLine = lines.count + 1; lines.append(line) } else {
                lines.append("    return value * divisor + \(index)  # helpers_h\(index)")
            }
            lines += ["", ""]
        }
        return (lines.joined(separator: "\n") + "\n", lines, bugLine)
    }

    /// One hunk, as `git diff` writes it, around the one line that differs near `around` (1-based).
    static func diff(_ path: String, old: [String], new: [String], around: Int) -> String {
        let start = max(1, around - 3)
        let end = min(new.count, around + 3)
        var text = "diff --git a/\(path) b/\(path)\nindex 1111111..2222222 100644\n--- a/\(path)\n+++ b/\(path)\n"
        text += "@@ -\(start),\(end - start + 1) +\(start),\(end - start + 1) @@\n"
        for number in start...end {
            if old[number - 1] == new[number - 1] { text += " \(new[number - 1])\n" } else {
                text += "-\(old[number - 1])\n+\(new[number - 1])\n"
            }
        }
        return text
    }

    static func diff(_ path: String, old: [String], new: [String], at line: Int) -> String {
        let changed = zip(old, new).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? 0
        return diff(path, old: old, new: new, around: max(line, changed + 1))
    }

    /// What `pytest` prints for the failure: the test's frame, and the frames of the code it called when it raised.
    static func pytest(kind: Kind, target: Int, helper: Int, buggy: String, helperLine: String, engineLine: Int,
                       helperLineNumber: Int, testFiles: Int) -> String {
        let passed = max(2, testFiles)
        var text = """
            ============================= test session starts ==============================
            platform linux -- Python 3.11.7, pytest-9.0.3, pluggy-1.6.0
            rootdir: /home/dev/project
            collected \(passed + 1) items

            tests/core/test_engine.py ..F                                            [100%]

            =================================== FAILURES ===================================
            _________________________________ test_target __________________________________

                def test_target():
            >       assert engine_f\(target)(4) == \(expected(target))

            """
        let frameBody = """
                def engine_f\(target)(x):
                    \"\"\"Step \(target) of the engine.\"\"\"
                    total = x
                    for step in range(\(target % 5)):
                        total += step
            >   \(buggy.dropFirst(4))

            """
        switch kind {
        case .namedSingleFile:
            text += "tests/core/test_engine.py:14: \n_ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _\n\n"
            text += "x = 4\n\n" + frameBody + "E   ZeroDivisionError: division by zero\n\n"
            text += "pkg/core/engine.py:\(engineLine): ZeroDivisionError\n"
            text += summary("ZeroDivisionError: division by zero", passed: passed)
        case .unnamedSingleFile:
            let got = expected(target) - 2 * target
            text += "E       assert \(got) == \(expected(target))\nE        +  where \(got) = engine_f\(target)(4)\n\n"
            text += "tests/core/test_engine.py:14: AssertionError\n"
            text += summary("assert \(got) == \(expected(target))", passed: passed)
        case .twoFile:
            text += "tests/core/test_engine.py:14: \n_ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _\n\n"
            text += "x = 4\n\n" + frameBody + "\n"
            text += "pkg/core/engine.py:\(engineLine): \n_ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _\n\n"
            text += "value = 4, divisor = 0\n\n    def helpers_h\(helper)(value, divisor):\n        \"\"\"Helper \(helper).\"\"\"\n"
            text += ">   \(helperLine.dropFirst(4))\nE   ZeroDivisionError: division by zero\n\n"
            text += "pkg/util/helpers.py:\(helperLineNumber): ZeroDivisionError\n"
            text += summary("ZeroDivisionError: division by zero", passed: passed)
        }
        return text
    }

    private static func summary(_ reason: String, passed: Int) -> String {
        """
        =========================== short test summary info ============================
        FAILED tests/core/test_engine.py::test_target - \(reason)
        ========================= 1 failed, \(passed) passed in 0.31s =========================

        """
    }
}
