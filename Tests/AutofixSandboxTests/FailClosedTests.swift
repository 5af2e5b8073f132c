import AutofixTestSupport
import XCTest
@testable import AutofixSandbox

/// A backend that is missing or cannot confine is an error that says how to fix it; nothing
/// ever falls back to running unconfined.
final class FailClosedTests: XCTestCase {
    func testMissingBubblewrapSaysHowToInstallIt() throws {
        let empty = try TemporaryDirectory(prefix: "autofix-empty-path")
        XCTAssertThrowsError(try SandboxFactory.make(.bwrap, image: nil, runtime: nil, searchPath: empty.path)) { error in
            let error = error as! SandboxError
            XCTAssertEqual(error.reason, .backendMissing(.bwrap))
            XCTAssertEqual(error.category, .sandbox)
            XCTAssertTrue(error.hint!.contains("apt-get install bubblewrap"), error.description)
            XCTAssertTrue(error.hint!.contains("--sandbox podman"), error.description)
        }
    }

    func testMissingContainerEngineAndMissingImage() throws {
        let empty = try TemporaryDirectory(prefix: "autofix-empty-path")
        XCTAssertThrowsError(try SandboxFactory.make(.docker, image: "img", runtime: nil, searchPath: empty.path)) { error in
            XCTAssertEqual((error as! SandboxError).reason, .backendMissing(.docker))
        }
        let fakeEngine = empty.file("podman")
        try "#!/bin/sh\nexit 0\n".write(to: fakeEngine, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: fakeEngine.path)
        XCTAssertThrowsError(try SandboxFactory.make(.podman, image: nil, runtime: nil, searchPath: empty.path)) { error in
            let error = error as! SandboxError
            XCTAssertEqual(error.reason, .imageMissing)
            XCTAssertTrue(error.hint!.contains("autofix.image"))
        }
    }

    /// A bwrap that cannot create namespaces (as on a kernel with unprivileged user namespaces
    /// off) fails the factory with the fix, and a run that hits it is an error, not a failed test.
    func testNoNamespacesIsAnErrorWithTheFix() async throws {
        let bin = try TemporaryDirectory(prefix: "autofix-fake-bwrap")
        let fake = bin.file("bwrap")
        try "#!/bin/sh\necho 'bwrap: No permissions to creating new namespace, likely because the kernel does not allow non-privileged user namespaces.' >&2\nexit 1\n"
            .write(to: fake, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: fake.path)

        XCTAssertThrowsError(try SandboxFactory.make(.bwrap, image: nil, runtime: nil, searchPath: bin.path)) { error in
            let error = error as! SandboxError
            guard case .namespacesUnavailable(let detail) = error.reason else { return XCTFail("\(error)") }
            XCTAssertTrue(detail.contains("No permissions to creating new namespace"))
            XCTAssertTrue(error.hint!.contains("unprivileged user namespaces"))
            XCTAssertTrue(error.hint!.contains("--sandbox docker"))
        }

        let checkout = try TemporaryDirectory(prefix: "autofix-checkout")
        do {
            _ = try await BubblewrapSandbox(program: fake.path).run(SandboxRequest(command: "true", workDirectory: checkout.url))
            XCTFail("a broken sandbox ran")
        } catch let error as SandboxError {
            guard case .namespacesUnavailable = error.reason else { return XCTFail("\(error)") }
        }
    }

    func testProbeRunsTrueInTheBackend() async throws {
        guard case .ok(let seconds) = await SandboxFactory.probe(.bwrap) else { return XCTFail("bwrap probe failed") }
        XCTAssertGreaterThan(seconds, 0)
        guard case .failed(let error) = await SandboxFactory.probe(.podman, image: nil) else { return XCTFail("no image accepted") }
        XCTAssertTrue([.imageMissing, .backendMissing(.podman)].contains(error.reason))
    }

    func testUnconfinedWarnsOnEveryRun() async throws {
        let checkout = try TemporaryDirectory(prefix: "autofix-checkout")
        let warnings = WarningLog()
        let sandbox = UnconfinedSandbox(warn: { warnings.append($0) })
        for _ in 0..<2 {
            let result = try await sandbox.run(SandboxRequest(command: "echo ran", workDirectory: checkout.url))
            XCTAssertEqual(result.stdout, "ran\n")
        }
        XCTAssertEqual(warnings.lines, [UnconfinedSandbox.warning, UnconfinedSandbox.warning])
        XCTAssertTrue(UnconfinedSandbox.warning.contains("WITHOUT a sandbox"))
    }
}

final class WarningLog: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [String] = []
    var lines: [String] { lock.lock(); defer { lock.unlock() }; return stored }
    func append(_ line: String) { lock.lock(); stored.append(line); lock.unlock() }
}
