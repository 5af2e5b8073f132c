import AutofixTestSupport
import Foundation
import XCTest

/// What a package manager fetched into the work tree reaches the network-less sandbox, through
/// the built binary and real bubblewrap.
final class FetchedDependenciesTests: XCTestCase {
    private func swiftPackageWithFetchedDependencies() throws -> TestRepository {
        let repo = try TestRepository()
        try repo.write("Package.swift", "// swift-tools-version:5.9\n")
        try repo.write(".gitignore", ".build/\nPackage.resolved\n")
        try repo.commitAll("package")
        try repo.write(".build/repositories/dep-1a2b/HEAD", "ref: refs/heads/main\n")
        try repo.write(".build/checkouts/dep/Sources/Dep/Dep.swift", "public let dep = 1\n")
        try repo.write(".build/workspace-state.json", "{\"version\": 7}\n")
        try repo.write("Package.resolved", "{\"pins\": []}\n")
        try repo.write(".build/debug/Stale.o", "build output of the work tree, not to be copied\n")
        return repo
    }

    func testSwiftPMDependenciesFetchedInTheWorkTreeAreInTheSandboxButNotItsBuildOutput() throws {
        let repo = try swiftPackageWithFetchedDependencies()
        let before = try repo.fingerprint(excluding: [".git/objects", ".git/logs", ".git/refs/autofix", ".git/autofix"])
        let output = try AutofixCLI.run(
            ["sandbox", "--backend", "bwrap", "--", "find .build Package.resolved -type f | sort"], in: repo.url)
        XCTAssertEqual(output.status, 0, output.stderr)
        XCTAssertEqual(output.stdout.split(separator: "\n").map(String.init), [
            ".build/checkouts/dep/Sources/Dep/Dep.swift",
            ".build/repositories/dep-1a2b/HEAD",
            ".build/workspace-state.json",
            "Package.resolved",
        ])
        XCTAssertEqual(try repo.fingerprint(excluding: [".git/objects", ".git/logs", ".git/refs/autofix", ".git/autofix"]), before, "the work tree is only read")
    }

    func testProjectsWithoutAPackageManifestGetNothingCopied() throws {
        let repo = try swiftPackageWithFetchedDependencies()
        try repo.git("rm", "-q", "Package.swift")
        try repo.commitAll("no longer a package")
        let output = try AutofixCLI.run(["sandbox", "--backend", "bwrap", "--", "ls -A"], in: repo.url)
        XCTAssertEqual(output.status, 0, output.stderr)
        XCTAssertEqual(output.stdout, ".gitignore\n")
    }

    func testDoctorSaysToResolveAPackageWhoseDependenciesWereNeverFetched() throws {
        let repo = try TestRepository()
        try repo.write("Package.swift", """
            // swift-tools-version:5.9
            import PackageDescription
            let package = Package(name: "P", dependencies: [.package(url: "https://example.invalid/dep", from: "1.0.0")])

            """)
        try repo.commitAll("package")
        func testCommandCheck() throws -> [String: Any] {
            // Unconfined, the test run would reach for the network: this test is about the test command's line.
            let output = try AutofixCLI.run(["doctor", "--json", "--sandbox", "none", "--no-test-run",
                                             "--endpoint", try ScriptedSSEServer.unusedLoopbackURL()], in: repo.url)
            let checks = output.stdout.split(separator: "\n").compactMap {
                try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }
            return try XCTUnwrap(checks.first { $0["name"] as? String == "test command" }, output.stdout)
        }
        let unfetched = try testCommandCheck()
        XCTAssertEqual(unfetched["status"] as? String, "WARN", "\(unfetched)")
        XCTAssertTrue((unfetched["fix"] as? String)?.hasPrefix("swift package resolve") ?? false, "\(unfetched)")

        try repo.write(".build/checkouts/dep/Package.swift", "// fetched\n")
        XCTAssertEqual(try testCommandCheck()["status"] as? String, "OK")
    }

    func testARunOfAnUnfetchedPackageStopsBeforeTheTestsAndSaysHowToFetch() throws {
        let repo = try TestRepository()
        try repo.write("Package.swift", """
            // swift-tools-version:5.9
            import PackageDescription
            let package = Package(name: "P", dependencies: [.package(url: "https://example.invalid/dep", from: "1.0.0")])

            """)
        try repo.commitAll("package")
        let server = try ScriptedSSEServer(replies: [])
        defer { server.stop() }
        let output = try AutofixCLI.run(["run", "--endpoint", server.baseURL, "--model", "m", "--test", "swift test",
                                         "--sandbox", "bwrap"], in: repo.url)
        XCTAssertEqual(output.status, 2, output.stdout + output.stderr)
        XCTAssertTrue(output.stderr.contains("run `swift package resolve` there once"), output.stderr)
        XCTAssertEqual(try repo.git("for-each-ref", "refs/autofix"), "", "nothing was started")
        XCTAssertEqual(server.recordedRequests.count, 0)
    }
}
