import AutofixBenchSupport
import Foundation

extension WarmBench {
    /// One run's timeline on a project with one failing test, next to the user's own warm
    /// commands measured in the same run: the baseline, a rejected round (a comment, so the
    /// failing test still fails) and an accepted round (the fix), for a first run (new warm
    /// place) and a second (reused); and what each round cost besides the model and the tests.
    enum Timeline {
        /// A project whose `source` holds `fixed` as made, which the timeline turns into `buggy`.
        /// The replies are written against the broken source (`made(from:)`).
        struct Case {
            let title: String
            let project: Project
            let source: String
            let buggy: String
            let fixed: String
            /// The line the rejected round puts before the source's first line.
            let comment: String
            private var lines: [String] = []

            init(title: String, project: Project, source: String, buggy: String, fixed: String, comment: String) {
                (self.title, self.project, self.source) = (title, project, source)
                (self.buggy, self.fixed, self.comment) = (buggy, fixed, comment)
            }

            func made(from text: String) -> Case {
                var made = self
                made.lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
                if made.lines.last == "" { made.lines.removeLast() }
                return made
            }

            /// Adds `comment` above the first line: the failing test fails as before.
            var rejected: String {
                let context = lines.prefix(3)
                return (["Summary: explain the function", "", "```diff", "--- a/\(source)", "+++ b/\(source)",
                         "@@ -1,\(context.count) +1,\(context.count + 1) @@", "+" + comment]
                    + context.map { " " + $0 } + ["```", ""]).joined(separator: "\n")
            }

            /// Turns `buggy` back into `fixed`, with the line above it as context.
            var accepted: String {
                let index = lines.firstIndex(of: buggy) ?? 0
                return ["Summary: start each sum at zero", "", "```diff", "--- a/\(source)", "+++ b/\(source)",
                        "@@ -\(index),2 +\(index),2 @@", " " + lines[max(index - 1, 0)], "-" + buggy, "+" + fixed, "```", ""]
                    .joined(separator: "\n")
            }
        }

        static let swift = Case(
            title: "Swift package on swift-algorithms, one of two tests failing", project: swiftPackage,
            source: "Sources/Windows/Windows.swift",
            buggy: "    values.windows(ofCount: size).map { $0.reduce(1, +) }",
            fixed: "    values.windows(ofCount: size).map { $0.reduce(0, +) }",
            comment: "// The sums of each window.")

        static func python(slowTests: Int, shape: TargetedBench.Shape) -> Case {
            Case(title: "Python project, one of \(slowTests + 2) pytest tests failing (\(slowTests) of them \(shape.name))",
                 project: pytestProject(slowTests: slowTests, shape: shape),
                 source: "windows.py",
                 buggy: "    return [sum(values[i:i + size], 1) for i in range(len(values) - size + 1)]",
                 fixed: "    return [sum(values[i:i + size], 0) for i in range(len(values) - size + 1)]",
                 comment: "# The sums of each window.")
        }

        struct Played {
            var baseline = 0.0
            var rounds: [[String: Any]] = []
        }

        static func run(_ autofix: URL, _ template: Case) throws {
            let home = try TemporaryDirectory(prefix: "autofix-bench-timeline-home")
            let directory = try TemporaryDirectory(prefix: "autofix-bench-timeline")
            let environment = WarmBench.environment(home: home)
            try template.project.make(directory.url, environment)
            let file = directory.file(template.source)
            let original = try String(contentsOf: file, encoding: .utf8)
            let broken = original.replacingOccurrences(of: template.fixed, with: template.buggy)
            let timeline = template.made(from: broken)
            try broken.write(to: file, atomically: true, encoding: .utf8)
            try WarmBench.commit(directory.url, environment)

            // The user's own commands, warm: the failing suite, then each round's edit and back.
            let userTest = BenchProcess(arguments: ["/bin/sh", "-c", timeline.project.testCommand],
                                        directory: directory.url, environment: environment)
            _ = try userTest.run()
            let userBaseline = try userTest.run().seconds
            func userRound(_ text: String) throws -> Double {
                try text.write(to: file, atomically: true, encoding: .utf8)
                defer { try? broken.write(to: file, atomically: true, encoding: .utf8) }
                return try userTest.run().seconds
            }
            let userRejected = try userRound(timeline.comment + "\n" + broken)
            let userAccepted = try userRound(original)
            _ = try userTest.run()

            let first = try play(autofix, timeline, in: directory.url, environment)
            let second = try play(autofix, timeline, in: directory.url, environment)

            func cell(_ value: Double?) -> String { value.map { String(format: "%.2f s", $0) } ?? "-" }
            func seconds(_ round: [String: Any], _ key: String) -> Double? { round[key] as? Double }
            print("\ntimeline, \(timeline.title)")
            print("step                                   user warm   run 1 (new place)   run 2 (reused place)")
            print("baseline tests".padding(toLength: 39, withPad: " ", startingAt: 0)
                + "\(cell(userBaseline).padding(toLength: 12, withPad: " ", startingAt: 0))"
                + "\(cell(first.baseline).padding(toLength: 20, withPad: " ", startingAt: 0))\(cell(second.baseline))")
            for (index, name, user) in [(0, "rejected round: tests", userRejected), (1, "accepted round: tests", userAccepted)] {
                let a = first.rounds[index], b = second.rounds[index]
                print(name.padding(toLength: 39, withPad: " ", startingAt: 0)
                    + "\(cell(user).padding(toLength: 12, withPad: " ", startingAt: 0))"
                    + "\(cell(seconds(a, "test_seconds")).padding(toLength: 20, withPad: " ", startingAt: 0))\(cell(seconds(b, "test_seconds")))")
                let detail = { (round: [String: Any]) in
                    "targeted \(cell(seconds(round, "targeted_test_seconds"))), full \(cell(seconds(round, "full_test_seconds")))"
                }
                print("  of which".padding(toLength: 51, withPad: " ", startingAt: 0) + "\(detail(a)); \(detail(b))")
                let besides = { (round: [String: Any]) -> Double? in
                    guard let all = seconds(round, "seconds"), let tests = seconds(round, "test_seconds") else { return nil }
                    return all - tests - (seconds(round, "model_seconds") ?? 0)
                }
                print("  round besides model and tests".padding(toLength: 51, withPad: " ", startingAt: 0)
                    + "\(cell(besides(a)).padding(toLength: 20, withPad: " ", startingAt: 0))\(cell(besides(b)))")
            }
        }

        /// One `git autofix run --json` with the rejected then the accepted reply.
        static func play(_ autofix: URL, _ timeline: Case, in directory: URL, _ environment: [String: String]) throws -> Played {
            let server = try ScriptedSSEServer(replies: [timeline.rejected, timeline.accepted].map {
                ScriptedSSEServer.chatStream(LoopFixture.deltas($0), usage: (prompt: 1000, completion: 100))
            }, models: ["bench-model"])
            defer { server.stop() }
            let result = try BenchProcess(
                arguments: [autofix.path, "run", "--json", "--endpoint", server.baseURL, "--model", "bench-model",
                            "--test", timeline.project.testCommand, "--max-rounds", "2", "--no-reuse", "--yes"],
                directory: directory, environment: environment).run()
            var played = Played()
            for line in result.stdout.split(separator: "\n") {
                guard let event = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { continue }
                if event["event"] as? String == "baseline" { played.baseline = event["seconds"] as? Double ?? 0 }
                if event["event"] as? String == "round_finished" { played.rounds.append(event) }
            }
            guard played.rounds.map({ $0["verdict"] as? String }) == ["rejected", "accepted"] else {
                throw BenchError("the timeline's run did not reject then accept:\n\(result.stdout)\(result.stderr)")
            }
            return played
        }
    }
}
