import XCTest
@testable import AutofixSandbox

/// The escape suite against the default backend, with real bubblewrap.
final class BubblewrapEscapeTests: XCTestCase {
    private func scenarios() throws -> EscapeScenarios {
        try EscapeScenarios(sandbox: SandboxFactory.make(.bwrap))
    }

    func testLoopbackConnectionFails() async throws { try await scenarios().loopbackConnection() }
    func testNoDNSAndNoInterfaceButLoopback() async throws { try await scenarios().dnsAndInterfaces() }
    func testWritingOutsideTheCheckoutFails() async throws { try await scenarios().writingOutsideTheCheckout() }
    func testSymlinkOutOfTheCheckoutFails() async throws { try await scenarios().symlinkOutOfTheCheckout() }
    func testHardlinkToAHostFileFails() async throws { try await scenarios().hardlinkToAHostFile() }
    func testHostProcessesAreInvisible() async throws { try await scenarios().seeingHostProcesses() }
    func testNoPrivilegesAndNoNestedUserNamespace() async throws { try await scenarios().gainingPrivileges() }
    func testNoTerminalToInjectInto() async throws { try await scenarios().terminalInjection() }
    func testSecretsDoNotReachTheSandbox() async throws { try await scenarios().readingSecretsFromTheEnvironment() }
    func testForkBombIsContained() async throws { try await scenarios().forkBomb() }
    func testMemoryHogIsStopped() async throws { try await scenarios().memoryHog() }
    func testInfiniteLoopTimesOut() async throws { try await scenarios().infiniteLoop() }
    func testChildIgnoringSIGTERMIsKilled() async throws { try await scenarios().childIgnoringSIGTERM() }
    func testOutputFloodIsCapped() async throws { try await scenarios().outputFlood() }
    func testCancellingLeavesNothingRunning() async throws { try await scenarios().cancellation() }
    func testOnlyStandardDescriptorsReachTheSandbox() async throws { try await scenarios().inheritedDescriptors() }
    func testSetuidFilesGiveNothing() async throws { try await scenarios().setuidFile() }
    func testDiskFillerIsStopped() async throws { try await scenarios().diskFiller() }
}
