import AutofixCore
import AutofixPatch
import AutofixSandbox
import AutofixTestSupport
import XCTest

/// The lists that used to live in each module now come from `Ecosystem`; they must not drift.
final class EcosystemCatalogueTests: XCTestCase {
    func testCacheAreasAreTheBuildOutputAndCachesOfEveryEcosystem() {
        XCTAssertEqual(SandboxView.cacheAreas, [
            ".build", ".swiftpm", "target", "node_modules", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache",
            ".hypothesis", ".tox", ".nox", ".gradle", ".cache", ".parcel-cache", ".next", ".turbo", "_build", "build", "dist",
            "zig-cache", ".zig-cache", "coverage", ".nyc_output", ".eggs",
        ])
    }

    func testTestFileGlobsListDirectoriesFirst() {
        let globs = PathPolicy.testFileGlobs
        XCTAssertEqual(Set(globs), [
            "test/", "tests/", "Tests/", "spec/", "__tests__/",
            "*_test.go", "test_*.py", "*_test.py", "*.test.js", "*.test.ts", "*.test.tsx",
            "*.spec.js", "*.spec.ts", "*Tests.swift", "*Test.java", "*Tests.java",
        ])
        XCTAssertEqual(globs.count, Set(globs).count)
        let firstFile = try? XCTUnwrap(globs.firstIndex { !$0.hasSuffix("/") })
        XCTAssertTrue(globs[(firstFile ?? 0)...].allSatisfy { !$0.hasSuffix("/") }, "\(globs)")
    }

    func testRunnersAreEveryEcosystemsProgramsAndRubyAndJava() {
        XCTAssertEqual(ToolchainDiscovery.commonRunners,
                       ["swift", "python", "python3", "pytest", "node", "npm", "npx", "go", "cargo", "ruby", "java"])
    }

    func testDetectionFollowsTheCatalogueOrder() throws {
        let root = try TemporaryDirectory(prefix: "autofix-ecosystems")
        let detector = TestCommandDetector(isOnPath: { $0 == "python" })
        XCTAssertNil(detector.detect(in: root.url))
        try Data("{\"scripts\":{\"test\":\"jest\"}}".utf8).write(to: root.url.appendingPathComponent("package.json"))
        XCTAssertEqual(detector.detect(in: root.url)?.command, "npm test")
        try Data().write(to: root.url.appendingPathComponent("Cargo.toml"))
        XCTAssertEqual(detector.detect(in: root.url)?.command, "cargo test")
        try Data().write(to: root.url.appendingPathComponent("go.mod"))
        XCTAssertEqual(detector.detect(in: root.url)?.command, "go test ./...")
        try Data().write(to: root.url.appendingPathComponent("setup.py"))
        XCTAssertEqual(detector.detect(in: root.url), .init(command: "python -m pytest -q", reason: "setup.py"))
        try Data().write(to: root.url.appendingPathComponent("Package.swift"))
        XCTAssertEqual(detector.detect(in: root.url)?.command, "swift test")
    }
}
