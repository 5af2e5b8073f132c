import XCTest
@testable import AutofixSandbox

/// The same escape suite against podman (with runc and the local busybox image), when podman
/// works on this machine; `ContainerCommandLineTests` checks the exact command line everywhere.
final class PodmanEscapeTests: XCTestCase {
    private func scenarios() throws -> EscapeScenarios {
        guard SandboxFixture.podmanAvailable else {
            throw XCTSkip("podman with runc and busybox-static is not available here")
        }
        return try EscapeScenarios(sandbox: SandboxFactory.make(.podman, image: SandboxFixture.podmanImage, runtime: "runc"))
    }

    func testLoopbackConnectionFails() async throws { try await scenarios().loopbackConnection() }
    func testNoDNSAndNoInterfaceButLoopback() async throws { try await scenarios().dnsAndInterfaces() }
    func testWritingOutsideTheCheckoutFails() async throws { try await scenarios().writingOutsideTheCheckout() }
    func testSymlinkOutOfTheCheckoutFails() async throws { try await scenarios().symlinkOutOfTheCheckout() }
    func testHardlinkToAHostFileFails() async throws { try await scenarios().hardlinkToAHostFile() }
    func testHostProcessesAreInvisible() async throws { try await scenarios().seeingHostProcesses() }
    func testNoPrivileges() async throws { try await scenarios().gainingPrivileges() }
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
