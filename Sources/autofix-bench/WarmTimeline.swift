import AutofixBenchSupport
import Foundation

extension WarmBench {
    /// One run's timeline on the Swift package with one failing test, next to the user's own
    /// warm commands measured in the same run: the baseline, a rejected round (a comment, so the
    /// failing test still fails) and an accepted round (the fix), for a first run (new warm
    /// place) and a second (reused); and what each round cost besides the model and the tests.
    enum Timeline {
        static let source = "Sources/Windows/Windows.swift"
        static let buggy = "    values.windows(ofCount: size).map { $0.reduce(1, +) }"
        static let fixed = "    values.windows(ofCount: size).map { $0.reduce(0, +) }"

        static let rejected = [
            "Summary: explain windowSums", "", "```diff", "--- a/\(source)", "+++ b/\(source)", "@@ -1,3 +1,4 @@",
            "+// The sums of each window.", " import Algorithms", " ",
            " public func windowSums(_ values: [Int], size: Int) -> [Int] {", "```", "",
        ].joined(separator: "\n")
        static let accepted = [
            "Summary: start each sum at zero", "", "```diff", "--- a/\(source)", "+++ b/\(source)", "@@ -3,3 +3,3 @@",
            " public func windowSums(_ values: [Int], size: Int) -> [Int] {", "-" + buggy, "+" + fixed, " }", "```", "",
        ].joined(separator: "\n")

        struct Played {
            var baseline = 0.0
            var rounds: [[String: Any]] = []
        }

        static func run(_ autofix: URL) throws {
            let home = try TemporaryDirectory(prefix: "autofix-bench-timeline-home")
            let directory = try TemporaryDirectory(prefix: "autofix-bench-timeline")
            let environment = WarmBench.environment(home: home)
            try swiftPackage.make(directory.url, environment)
            let file = directory.file(source)
            let original = try String(contentsOf: file, encoding: .utf8)
            let broken = original.replacingOccurrences(of: fixed.trimmingCharacters(in: .whitespaces),
                                                       with: buggy.trimmingCharacters(in: .whitespaces))
            try broken.write(to: file, atomically: true, encoding: .utf8)
            try WarmBench.commit(directory.url, environment)

            // The user's own commands, warm: the failing suite, then each round's edit and back.
            let swiftTest = BenchProcess(arguments: ["swift", "test"], directory: directory.url, environment: environment)
            _ = try swiftTest.run()
            let userBaseline = try swiftTest.run().seconds
            func userRound(_ text: String) throws -> Double {
                try text.write(to: file, atomically: true, encoding: .utf8)
                defer { try? broken.write(to: file, atomically: true, encoding: .utf8) }
                return try swiftTest.run().seconds
            }
            let userRejected = try userRound("// The sums of each window.\n" + broken)
            let userAccepted = try userRound(original)
            _ = try swiftTest.run()

            let first = try play(autofix, in: directory.url, environment)
            let second = try play(autofix, in: directory.url, environment)

            func cell(_ value: Double?) -> String { value.map { String(format: "%.2f s", $0) } ?? "-" }
            func seconds(_ round: [String: Any], _ key: String) -> Double? { round[key] as? Double }
            print("\ntimeline, Swift package on swift-algorithms, one of two tests failing")
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
        static func play(_ autofix: URL, in directory: URL, _ environment: [String: String]) throws -> Played {
            let server = try ScriptedSSEServer(replies: [rejected, accepted].map {
                ScriptedSSEServer.chatStream(LoopFixture.deltas($0), usage: (prompt: 1000, completion: 100))
            }, models: ["bench-model"])
            defer { server.stop() }
            let result = try BenchProcess(
                arguments: [autofix.path, "run", "--json", "--endpoint", server.baseURL, "--model", "bench-model",
                            "--test", "swift test", "--max-rounds", "2", "--no-reuse", "--yes"],
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
