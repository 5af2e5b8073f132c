import AutofixCore
import AutofixTestSupport
import XCTest

/// The test command's output as one stream: what it wrote to stderr and to stdout stays in the
/// order it was written, which the test report parsers rely on (cargo names a test binary on
/// stderr, then its tests on stdout).
final class SandboxTestExecutorTests: XCTestCase {
    override class func setUp() {
        super.setUp()
        Hermetic.applyToCurrentProcess()
    }

    func testStderrAndStdoutKeepTheOrderTheyWereWrittenIn() async throws {
        let checkout = try TemporaryDirectory(prefix: "autofix-executor-order")
        var flags = RepairFlags()
        flags.test = "for i in $(seq 300); do echo \"err $i\" >&2; echo \"out $i\"; done; exit 3"
        flags.endpoint = "http://127.0.0.1:9/v1"
        flags.model = "scripted-model"
        flags.sandbox = "bwrap"
        let settings = try SettingsResolver(flags: flags, environment: Hermetic.environment, projectRoot: checkout.url,
                                            config: { _ in nil }).resolve()
        let components: RunComponents
        do { components = try RunComponents(settings: settings, environment: Hermetic.environment) } catch {
            throw XCTSkip("no bubblewrap here: \(error)")
        }
        let execution = try await components.tests.runTests(in: checkout.url, timeout: 60)
        XCTAssertEqual(execution.exitCode, 3, execution.output)
        let expected = (1...300).flatMap { ["err \($0)", "out \($0)"] }
        XCTAssertEqual(execution.output.split(separator: "\n").map(String.init), expected)
    }
}
