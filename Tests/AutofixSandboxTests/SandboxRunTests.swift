import AutofixTestSupport
import XCTest
@testable import AutofixSandbox

/// What every run reports, through the real default backend.
final class SandboxRunTests: XCTestCase {
    var checkout: TemporaryDirectory!
    var sandbox: Sandbox!

    override func setUpWithError() throws {
        checkout = try TemporaryDirectory(prefix: "autofix-checkout")
        sandbox = try SandboxFactory.make(.bwrap)
    }

    // XCTest keeps every test case object until the run ends; release the directory now.
    override func tearDown() {
        checkout = nil
        sandbox = nil
    }

    func testExitStatusAndStreamsComeBackSeparatelyAndInterleaved() async throws {
        let result = try await SandboxFixture.run(sandbox, "echo out1; echo err1 >&2; sleep 0.2; echo out2; exit 3", in: checkout.url)
        XCTAssertEqual(result.exitCode, 3)
        XCTAssertNil(result.signal)
        XCTAssertNil(result.limitHit)
        XCTAssertFalse(result.succeeded)
        XCTAssertEqual(result.stdout, "out1\nout2\n")
        XCTAssertEqual(result.stderr, "err1\n")
        XCTAssertTrue(result.combinedOutput.hasSuffix("out2\n"), result.combinedOutput)
        XCTAssertTrue(result.combinedOutput.contains("err1\n"))
        XCTAssertGreaterThan(result.wallSeconds, 0)
    }

    /// bwrap's --die-with-parent follows the thread that started it; a run must outlive the
    /// few seconds after which idle pool threads exit (real test suites take minutes).
    func testARunOutlivesIdlePoolThreads() async throws {
        let result = try await SandboxFixture.run(sandbox, "sleep 7; echo finished", in: checkout.url)
        XCTAssertTrue(result.succeeded, "\(result.summary): \(result.combinedOutput)")
        XCTAssertEqual(result.stdout, "finished\n")
    }

    func testSuccessfulRunWritesOnlyIntoTheCheckout() async throws {
        let result = try await SandboxFixture.run(sandbox, "mkdir -p build && echo built > build/out.txt && pwd", in: checkout.url)
        XCTAssertTrue(result.succeeded, result.combinedOutput)
        XCTAssertEqual(result.stdout, checkout.url.resolvingSymlinksInPath().path + "\n")
        XCTAssertEqual(try String(contentsOf: checkout.file("build/out.txt"), encoding: .utf8), "built\n")
    }

    func testSignalIsReported() async throws {
        // bwrap's init passes the command's death by signal N on as status 128+N.
        let confined = try await SandboxFixture.run(sandbox, "kill -SEGV $$", in: checkout.url)
        XCTAssertEqual(confined.exitCode, 128 + SIGSEGV, confined.summary)
        XCTAssertFalse(confined.succeeded)
        let unconfined = try await SandboxFixture.run(SandboxFixture.unconfined(), "kill -SEGV $$", in: checkout.url)
        XCTAssertEqual(unconfined.signal, SIGSEGV, unconfined.summary)
        XCTAssertNil(unconfined.exitCode)
        XCTAssertFalse(unconfined.succeeded)
    }

    func testEnvironmentIsTheAllowListPlusChosenNames() async throws {
        setenv("AUTOFIX_SANDBOX_TEST_CHOSEN", "chosen-value", 1)
        setenv("AUTOFIX_SANDBOX_TEST_OTHER", "other-value", 1)
        defer {
            unsetenv("AUTOFIX_SANDBOX_TEST_CHOSEN")
            unsetenv("AUTOFIX_SANDBOX_TEST_OTHER")
        }
        let result = try await SandboxFixture.run(sandbox, "env | sort", in: checkout.url,
                                                  environment: ["AUTOFIX_SANDBOX_TEST_CHOSEN"])
        let names = Set(result.stdout.split(separator: "\n").map { String($0.split(separator: "=")[0]) })
        XCTAssertTrue(names.isSubset(of: ["PATH", "HOME", "LANG", "TERM", "PWD", "SHLVL", "_", "OLDPWD", "AUTOFIX_SANDBOX_TEST_CHOSEN"]), "\(names)")
        XCTAssertTrue(result.stdout.contains("AUTOFIX_SANDBOX_TEST_CHOSEN=chosen-value"))
        XCTAssertTrue(result.stdout.contains("HOME=/tmp/home\n"))
        XCTAssertTrue(result.stdout.contains("TERM=dumb\n"))
        XCTAssertFalse(result.stdout.contains("other-value"))
    }

    func testSecretNamesAreRefusedEvenWhenListed() async throws {
        for name in ["AUTOFIX_API_KEY", "SSH_AUTH_SOCK", "OPENAI_API_KEY", "GITHUB_TOKEN"] {
            do {
                _ = try await SandboxFixture.run(sandbox, "true", in: checkout.url, environment: [name])
                XCTFail("\(name) was accepted")
            } catch let error as SandboxError {
                XCTAssertEqual(error.reason, .secretInEnvironment(name: name))
                XCTAssertEqual(error.category, .sandbox)
                XCTAssertNotNil(error.hint)
            }
        }
    }

    func testMissingReadOnlyBindIsAnError() async throws {
        let missing = checkout.url.deletingLastPathComponent().appendingPathComponent("no-such-\(UUID().uuidString)").path
        do {
            _ = try await SandboxFixture.run(sandbox, "true", in: checkout.url, binds: [missing])
            XCTFail("a missing bind was accepted")
        } catch let error as SandboxError {
            XCTAssertEqual(error.reason, .bindMissing(path: missing))
        }
    }

    func testReadOnlyBindIsReadableNotWritable() async throws {
        let shared = try TemporaryDirectory(prefix: "autofix-bind")
        try "data\n".write(to: shared.file("input.txt"), atomically: true, encoding: .utf8)
        let before = try TreeFingerprint.of(shared.url)
        let result = try await SandboxFixture.run(
            sandbox, "cat \(shared.path)/input.txt; echo x > \(shared.path)/input.txt; echo status=$?", in: checkout.url,
            binds: [shared.path])
        XCTAssertTrue(result.stdout.hasPrefix("data\n"), result.combinedOutput)
        XCTAssertTrue(result.stdout.contains("status=2"), result.combinedOutput)
        XCTAssertTrue(result.stderr.contains("Read-only file system"), result.stderr)
        XCTAssertEqual(try TreeFingerprint.of(shared.url), before)
    }

    func testHugeOutputKeepsHeadAndTail() async throws {
        let limits = SandboxLimits(timeout: 60, outputBytes: 64 * 1024)
        let result = try await SandboxFixture.run(
            sandbox, "echo FIRST-LINE; seq 1 2000000; echo LAST-LINE", in: checkout.url, limits: limits)
        XCTAssertEqual(result.exitCode, 0)
        XCTAssertEqual(result.limitHit, .output)
        XCTAssertTrue(result.succeeded, "a truncated log alone does not fail the run")
        XCTAssertTrue(result.stdout.hasPrefix("FIRST-LINE\n1\n2\n"))
        XCTAssertTrue(result.stdout.hasSuffix("1999999\n2000000\nLAST-LINE\n"))
        XCTAssertTrue(result.stdout.contains("bytes of output omitted"))
        XCTAssertLessThan(result.stdout.utf8.count, 64 * 1024 + 200)
        XCTAssertLessThan(result.combinedOutput.utf8.count, 64 * 1024 + 200)
    }

    func testTimeoutKillsTheRunCountsAsFailingAndKeepsTheTail() async throws {
        let marker = SandboxFixture.marker()
        let result = try await SandboxFixture.run(
            sandbox, "echo started; sleep \(marker) & sleep \(marker); echo never", in: checkout.url,
            limits: SandboxLimits(timeout: 2))
        XCTAssertEqual(result.limitHit, .timeout)
        XCTAssertNil(result.exitCode)
        XCTAssertEqual(result.signal, SIGKILL)
        XCTAssertFalse(result.succeeded)
        XCTAssertEqual(result.stdout, "started\n")
        XCTAssertTrue(result.stderr.contains("test timeout"), result.stderr)
        XCTAssertEqual(SandboxFixture.processes(containing: marker), [])
    }

    func testCancellingTheTaskKillsTheTreePromptly() async throws {
        let marker = SandboxFixture.marker()
        try "trap '' TERM INT HUP\nsleep \(marker) &\nsh -c 'sleep \(marker)' &\nwait\n".write(
            to: checkout.file("\(marker).sh"), atomically: true, encoding: .utf8)
        let sandbox = self.sandbox!
        let url = checkout.url
        let task = Task { try await SandboxFixture.run(sandbox, "sh ./\(marker).sh", in: url) }
        try await waitUntil { !SandboxFixture.processes(containing: marker).isEmpty }
        task.cancel()
        do {
            _ = try await task.value
            XCTFail("a cancelled run returned a result")
        } catch is CancellationError {}
        XCTAssertEqual(SandboxFixture.processes(containing: marker), [])
    }

    func testMissingCheckoutIsAnError() async throws {
        let gone = checkout.url.appendingPathComponent("missing")
        do {
            _ = try await SandboxFixture.run(sandbox, "true", in: gone)
            XCTFail("ran in a missing directory")
        } catch let error as SandboxError {
            XCTAssertEqual(error.reason, .workDirectoryMissing(path: gone.path))
        }
    }
}

func waitUntil(_ condition: () -> Bool, seconds: Double = 30) async throws {
    let deadline = Date().addingTimeInterval(seconds)
    while !condition() {
        guard Date() < deadline else { throw ConditionTimeout(seconds: seconds) }
        try await Task.sleep(nanoseconds: 20_000_000)
    }
}

struct ConditionTimeout: Error, CustomStringConvertible {
    let seconds: Double
    var description: String { "condition not reached in \(seconds)s" }
}
