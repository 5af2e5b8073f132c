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
}
