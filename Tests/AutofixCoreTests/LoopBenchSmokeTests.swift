import AutofixTestSupport
import XCTest

/// Keeps the repair-loop benchmark working: `autofix-bench loop --smoke` plays every scenario on
/// a 200-file repository, once. No timing is asserted; what is checked is that every scenario
/// played the rounds it was scripted for (the bench itself fails otherwise) and that a bad first
/// patch stops the model's stream only when patches are applied while it streams.
final class LoopBenchSmokeTests: XCTestCase {
    func testLoopBenchmarkPlaysEveryScenarioAtATinySize() throws {
        let bench = BuiltProducts.executable("autofix-bench")
        guard FileManager.default.isExecutableFile(atPath: bench.path) else {
            return XCTFail("autofix-bench is not built at \(bench.path); build everything with `swift build --build-tests` first")
        }
        let scratch = try TemporaryDirectory()
        let output = try Shell.run([bench.path, "loop", "--smoke"], in: scratch.url)
        XCTAssertEqual(output.status, 0, output.stdout + output.stderr)
        let rows = output.stdout.split(separator: "\n").filter { $0.hasPrefix("| ") }
            .map { $0.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) } }
        func row(_ first: String, _ second: String? = nil) -> [String]? {
            rows.first { $0.first == first && (second == nil || ($0.count > 1 && $0[1] == second)) }
        }

        let withBwrap = !output.stdout.contains("bwrap: skipped")
        var scenarios = ["rolled back, instant tests", "committed, instant tests", "rolled back, sandbox none"]
        if withBwrap { scenarios.append("rolled back, sandbox bwrap") }
        for scenario in scenarios {
            let cells = try XCTUnwrap(row(scenario), "a per-round row for \(scenario):\n\(output.stdout)")
            XCTAssertEqual(cells.count, 8, "\(cells)")
            XCTAssertTrue(cells.dropFirst().allSatisfy { $0.hasSuffix("ms") || $0.hasSuffix(" s") || $0.hasSuffix("×") }, "\(cells)")
        }
        XCTAssertNotNil(row("committed round: apply 1 file + commit"), output.stdout)
        for sandbox in ["none"] + (withBwrap ? ["bwrap"] : []) {
            let cells = try XCTUnwrap(row(sandbox), "a process row for --sandbox \(sandbox):\n\(output.stdout)")
            XCTAssertEqual(cells.count, 6, "\(cells)")
        }

        let cancelled = try XCTUnwrap(row("first patch bad", "during the stream"), output.stdout)
        let readToTheEnd = try XCTUnwrap(row("first patch bad", "after the reply"), output.stdout)
        XCTAssertEqual(cancelled.last, "1 of 1", "the loop hung up on the model after the bad patch: \(cancelled)")
        XCTAssertEqual(readToTheEnd.last, "0 of 1", "a reply handed over whole was read to its end: \(readToTheEnd)")
        let sent = cancelled[cancelled.count - 2].split(separator: " ").compactMap { Int($0) }
        XCTAssertEqual(sent.count, 2, "\(cancelled)")
        XCTAssertLessThan(sent.first ?? 0, sent.last ?? 0, "the server stopped before the end of its reply: \(cancelled)")
        let good = try XCTUnwrap(row("4 good patches", "during the stream"), output.stdout)
        XCTAssertFalse(good[4].contains("no tests"), "good patches lead to a test run: \(good)")
    }
}
