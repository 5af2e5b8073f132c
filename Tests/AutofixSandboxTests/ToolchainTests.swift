import AutofixTestSupport
import XCTest
@testable import AutofixSandbox

/// Test commands need toolchains outside /usr; they are found on the host PATH and bound read-only.
final class ToolchainTests: XCTestCase {
    private func hostWhich(_ name: String) throws -> String? {
        let output = try Shell.run(["sh", "-c", "command -v \(name)"])
        let path = output.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        return output.succeeded && !path.isEmpty ? path : nil
    }

    func testSwiftToolchainOutsideUsrRunsInside() async throws {
        guard let swift = try hostWhich("swift") else { throw XCTSkip("no swift on PATH") }
        let real = URL(fileURLWithPath: swift).resolvingSymlinksInPath().path
        guard !real.hasPrefix("/usr/") else { throw XCTSkip("swift is under /usr here; nothing to discover") }
        let checkout = try TemporaryDirectory(prefix: "autofix-swift-project")
        let sandbox = try SandboxFactory.make(.bwrap)

        let without = try await sandbox.run(SandboxRequest(command: "swift --version", workDirectory: checkout.url,
                                                           discoverToolchains: false))
        XCTAssertFalse(without.succeeded, "control: the toolchain is not in the sandbox unless bound")

        let found = ToolchainDiscovery().discover(command: "swift --version", checkout: checkout.url)
        let prefix = URL(fileURLWithPath: real).deletingLastPathComponent().deletingLastPathComponent().path
        XCTAssertTrue(found.prefixes.contains(prefix), "\(found)")
        let result = try await sandbox.run(SandboxRequest(command: "swift --version", workDirectory: checkout.url))
        XCTAssertTrue(result.succeeded, result.combinedOutput)
        XCTAssertTrue(result.combinedOutput.contains("Swift version"), result.combinedOutput)
    }

    func testPyenvPythonRunsInside() async throws {
        guard let python = try hostWhich("python3"), python.contains("/shims/") else {
            throw XCTSkip("python3 on PATH is not a pyenv shim here")
        }
        let checkout = try TemporaryDirectory(prefix: "autofix-python-project")
        let hostPrefix = try Shell.check(["python3", "-c", "import sys; print(sys.prefix)"], in: checkout.url)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertTrue(hostPrefix.contains("/versions/"), "pyenv resolves to a version prefix: \(hostPrefix)")

        let found = ToolchainDiscovery().discover(command: "python3 -m pytest", checkout: checkout.url)
        XCTAssertTrue(found.prefixes.contains(hostPrefix), "\(found)")
        XCTAssertFalse(found.prefixes.contains { $0.hasSuffix("/shims") || $0.hasSuffix("/.pyenv") })

        let sandbox = try SandboxFactory.make(.bwrap)
        let result = try await sandbox.run(SandboxRequest(
            command: "python3 -c 'import sys; print(sys.prefix)'", workDirectory: checkout.url))
        XCTAssertTrue(result.succeeded, result.combinedOutput)
        XCTAssertEqual(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines), hostPrefix)
    }

    func testProgramNamesAreTheFirstWordAndKnownRunners() {
        let discovery = ToolchainDiscovery(hostPath: "/nonexistent", home: "/home/u")
        XCTAssertEqual(discovery.programNames(in: "make check && swift test --parallel"), ["make", "swift"])
        XCTAssertEqual(discovery.programNames(in: "CI=1 .venv/bin/pytest -q; node x.js"), [".venv/bin/pytest", "node"])
        XCTAssertEqual(discovery.programNames(in: "go test ./... | tee log"), ["go"])
    }

    func testNeverBindsSystemDirsHomeOrTheCheckout() {
        let discovery = ToolchainDiscovery(hostPath: "/nonexistent", home: "/home/u")
        let checkout = URL(fileURLWithPath: "/srv/project/checkout")
        XCTAssertFalse(discovery.isBindable("/usr", checkout: checkout))
        XCTAssertFalse(discovery.isBindable("/usr/local", checkout: checkout))
        XCTAssertFalse(discovery.isBindable("/", checkout: checkout))
        XCTAssertFalse(discovery.isBindable("/home/u", checkout: checkout))
        XCTAssertFalse(discovery.isBindable("/home", checkout: checkout))
        XCTAssertFalse(discovery.isBindable("/srv/project/checkout/.venv", checkout: checkout))
        XCTAssertTrue(discovery.isBindable("/opt/swift/usr", checkout: checkout))
        XCTAssertTrue(discovery.isBindable("/home/u/.pyenv/versions/3.11.7", checkout: checkout))
    }
}
