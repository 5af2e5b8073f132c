import AutofixTestSupport
import XCTest

/// Keeps the one-patch-per-request benchmark working: `autofix-bench onepatch --smoke` plays
/// every scenario once at a tiny size. No timing is asserted; what is checked is that each
/// scenario took the requests and test runs its script calls for, and that the request whose
/// reply goes on past its patch was cut there.
final class OnePatchBenchSmokeTests: XCTestCase {
    func testOnePatchBenchmarkPlaysEveryScenarioAtATinySize() throws {
        let bench = BuiltProducts.executable("autofix-bench")
        guard FileManager.default.isExecutableFile(atPath: bench.path) else {
            return XCTFail("autofix-bench is not built at \(bench.path); build everything with `swift build --build-tests` first")
        }
        let scratch = try TemporaryDirectory()
        let output = try Shell.run([bench.path, "onepatch", "--smoke"], in: scratch.url)
        XCTAssertEqual(output.status, 0, output.stdout + output.stderr)
        let rows = output.stdout.split(separator: "\n").filter { $0.hasPrefix("| ") }
            .map { $0.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) } }
        func row(_ first: String, _ second: String) -> [String]? {
            rows.first { $0.count > 1 && $0[0] == first && $0[1] == second }
        }

        for (patches, fix, requests) in [("1", "the only one", "1"), ("2", "first", "1"), ("2", "last", "2"),
                                          ("3", "first", "1"), ("3", "last", "3")] {
            let cells = try XCTUnwrap(row(patches, fix), "a row for \(patches) patches, fix \(fix):\n\(output.stdout)")
            XCTAssertEqual(cells.count, 7, "\(cells)")
            XCTAssertEqual(cells[5], requests, "requests for \(patches) patches, fix \(fix): \(cells)")
            XCTAssertTrue(cells[2].hasSuffix("ms") || cells[2].hasSuffix(" s"), "\(cells)")
            XCTAssertEqual(cells[6].split(separator: "/").last?.trimmingCharacters(in: .whitespaces), requests,
                           "one test run per request: \(cells)")
        }
        let cut = try XCTUnwrap(rows.first { $0.first?.hasPrefix("cut at its closing fence") == true }, output.stdout)
        XCTAssertEqual(cut.last, "1 of 1", "the reply was cut after its patch: \(cut)")
        let stopped = try XCTUnwrap(rows.first { $0.first?.hasPrefix("a stop sequence") == true }, output.stdout)
        XCTAssertEqual(stopped.last, "0 of 1", "a reply that ends at the patch is read to its end: \(stopped)")
    }
}
