import AutofixTestSupport
import XCTest

/// Keeps the snapshot benchmark working: runs it at a tiny size, once. It times nothing worth
/// asserting; what it checks is that the benchmark still generates its repository, that the git
/// CLI, the library and `git autofix snapshot` record the same tree there, and that the library
/// sees exactly the edits, deletions and untracked files the generator made.
final class SnapshotBenchSmokeTests: XCTestCase {
    func testSnapshotBenchmarkRunsAtATinySizeAndTheThreeSnapshotsAgree() throws {
        let bench = BuiltProducts.executable("autofix-bench")
        guard FileManager.default.isExecutableFile(atPath: bench.path) else {
            return XCTFail("autofix-bench is not built at \(bench.path); build everything with `swift build --build-tests` first")
        }
        let scratch = try TemporaryDirectory()
        let output = try Shell.run([bench.path, "snapshot", "--smoke"], in: scratch.url)
        XCTAssertEqual(output.status, 0, output.stdout + output.stderr)
        XCTAssertTrue(output.stdout.contains("trees agree:"), output.stdout)
        let rows = output.stdout.split(separator: "\n").filter { $0.hasPrefix("| 200 ") }
        XCTAssertEqual(rows.count, 3, "a wall time, a CPU time and a memory row for the 200-file repository:\n\(output.stdout)")
        let cells = rows.map { $0.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) } }
        XCTAssertEqual(cells.map(\.count), [6, 6, 3], "\(cells)")
        let timings = cells.prefix(2).flatMap { $0.dropFirst() }
        XCTAssertTrue(timings.allSatisfy { $0.contains("ms") || $0.contains(" s") || $0.contains("×") }, "\(timings)")
    }

    func testUnknownOptionIsAUsageError() throws {
        let bench = BuiltProducts.executable("autofix-bench")
        guard FileManager.default.isExecutableFile(atPath: bench.path) else {
            return XCTFail("autofix-bench is not built at \(bench.path); build everything with `swift build --build-tests` first")
        }
        let output = try Shell.run([bench.path, "snapshot", "--size", "10"])
        XCTAssertEqual(output.status, 2)
        XCTAssertTrue(output.stderr.contains("unknown option --size"), output.stderr)
        XCTAssertTrue(output.stderr.contains("--sizes"), "the usage names the right option: \(output.stderr)")
    }
}
