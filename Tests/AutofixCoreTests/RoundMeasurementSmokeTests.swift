import AutofixTestSupport
import XCTest

/// Keeps the streamed-verdict, candidates, targeted and local-pass benchmarks working: each runs
/// with `--smoke` (fast tokens, no pause in the tests, one run; local-pass against the scripted
/// server). No timing is asserted; each test checks that every row was measured and has cells
/// of the right shape. The benchmarks themselves fail when a round ends otherwise than scripted.
final class RoundMeasurementSmokeTests: XCTestCase {
    private func rows(_ suite: String, environment: [String: String] = Hermetic.environment) throws -> (rows: [[String]], output: String) {
        let bench = BuiltProducts.executable("autofix-bench")
        guard FileManager.default.isExecutableFile(atPath: bench.path) else {
            throw NotBuilt(path: bench.path)
        }
        let scratch = try TemporaryDirectory()
        let output = try Shell.run([bench.path, suite, "--smoke"], in: scratch.url, environment: environment)
        XCTAssertEqual(output.status, 0, output.stdout + output.stderr)
        let rows = output.stdout.split(separator: "\n").filter { $0.hasPrefix("| ") && !$0.hasPrefix("|--") }
            .map { $0.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) } }
        return (rows, output.stdout)
    }

    private struct NotBuilt: Error, CustomStringConvertible {
        let path: String
        var description: String { "autofix-bench is not built at \(path); build everything with `swift build --build-tests` first" }
    }

    private func isDuration(_ cell: String) -> Bool {
        let number = cell.split(separator: " ").first.flatMap { Double($0) }
        return number != nil && (cell.hasSuffix(" ms") || cell.hasSuffix(" s") || cell.contains(" ms (") || cell.contains(" s ("))
    }

    private func isRatio(_ cell: String) -> Bool { cell.hasSuffix("×") && Double(cell.dropLast()) != nil }

    func testStreamedVerdictBenchmarkTimesEveryReplyBothWays() throws {
        let (rows, output) = try rows("streamed-verdict")
        let cases = rows.filter { Int($0.first ?? "") != nil }
        XCTAssertEqual(cases.map { "\($0[0]) \($0[1])" }, ["1 only", "2 first", "2 last", "3 first", "3 last"], output)
        for row in cases {
            XCTAssertEqual(row.count, 9, "\(row)")
            XCTAssertTrue(isDuration(row[2]) && isDuration(row[3]) && isDuration(row[5]), "\(row)")
            XCTAssertTrue(isRatio(row[4]), "\(row)")
            XCTAssertTrue(row[7].contains(" of "), "\(row)")
        }
        // With the fix last, the complete reply decides: nothing of it is cut off.
        for row in cases where row[1] == "last" {
            XCTAssertEqual(row[8], "0 of 1", "\(row)")
            let sent = row[7].split(separator: " ")
            XCTAssertEqual(sent.first, sent.last, "\(row)")
        }
    }

    func testCandidateBenchmarkTimesRoundsAndCountsPasses() throws {
        let (rows, output) = try rows("candidates")
        let concurrent = rows.filter { $0.first?.contains("candidate") == true }
        XCTAssertEqual(concurrent.count, 3, output)
        for row in concurrent { XCTAssertTrue(isDuration(row[1]) && isRatio(row[2]), "\(row)") }
        let serial = rows.filter { ["2", "3"].contains($0.first ?? "") && $0.count == 4 }
        XCTAssertEqual(serial.count, 2, output)
        for row in serial { XCTAssertTrue(isDuration(row[1]) && isDuration(row[2]) && isRatio(row[3]), "\(row)") }
        let passes = rows.filter { $0.count == 5 && Int($0.first ?? "") != nil }
        XCTAssertEqual(passes.map { $0[0] }, ["1", "3"], output)
        for row in passes {
            // The bench checks each trial; what is left to check is that the counts agree.
            XCTAssertEqual(row[1], row[3], "fixed exactly when a right reply was offered: \(row)")
            XCTAssertTrue(row[1].hasSuffix(" of 2"), "\(row)")
        }
    }

    func testTargetedBenchmarkComparesTheTargetedRunWithTheWholeSuite() throws {
        let python = try Shell.run(["python3", "-c", "import pytest"])
        guard python.succeeded else { throw XCTSkip("python3 with pytest is not on PATH") }
        let (rows, output) = try rows("targeted")
        let suites = rows.filter { $0.first == "20" }
        XCTAssertEqual(suites.map { $0.count > 1 ? $0[1] : "" }, ["trivial", "10 ms each"], "both shapes of suite:\n\(output)")
        for row in suites {
            XCTAssertEqual(row.count, 8, "\(row)")
            XCTAssertTrue(isDuration(row[2]) && isDuration(row[3]) && isDuration(row[6]), "\(row)")
            XCTAssertTrue(row[4].hasSuffix("%"), "\(row)")
            XCTAssertEqual(row[5], "-", "the goal is set for 120 and 1,000 tests only: \(row)")
        }
    }

    /// The local-model suite pointed at the scripted server instead: the first bug's requests get
    /// its fix, the others a reply without an edit, so the table must tell them apart.
    func testLocalModelBenchmarkCountsFixesAndAppliedCandidatesPerBug() throws {
        let python = try Shell.run(["python3", "-c", "import pytest"])
        guard python.succeeded else { throw XCTSkip("python3 with pytest is not on PATH") }
        let fix = "Summary: add adds\n\n```diff\n--- a/calc.py\n+++ b/calc.py\n@@ -1,2 +1,2 @@\n def add(a, b):\n-    return a - b\n+    return a + b\n```\n"
        let noEdit = "Summary: I do not know how to fix this.\n"
        // Requests arrive bug by bug, N = 1 then N = 3: 4 for each bug.
        let replies = [fix, fix, fix, fix] + Array(repeating: noEdit, count: 8)
        let server = try ScriptedSSEServer(replies: replies.map { ScriptedSSEServer.chatStream([$0], usage: (prompt: 100, completion: 20)) })
        defer { server.stop() }
        var environment = Hermetic.environment
        environment["AUTOFIX_BENCH_LOCAL_MODEL"] = server.baseURL
        let (rows, output) = try rows("local-pass", environment: environment)
        let cases = rows.filter { $0.count == 5 && Int($0[1]) != nil }
        XCTAssertEqual(cases.map { "\($0[0]) \($0[1]) \($0[2]) \($0[4])" }, [
            "add subtracts 1 yes 1 of 1", "add subtracts 3 yes 3 of 3",
            "shout lowercases 1 no 0 of 1", "shout lowercases 3 no 0 of 3",
            "last takes the first 1 no 0 of 1", "last takes the first 3 no 0 of 3",
        ], output)
        for row in cases { XCTAssertTrue(isDuration(row[3]), "\(row)") }
    }
}
