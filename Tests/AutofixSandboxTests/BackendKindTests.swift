import AutofixSandbox
import XCTest

final class BackendKindTests: XCTestCase {
    func testFlagSpellingsAreStable() {
        XCTAssertEqual(SandboxBackendKind.allCases.map(\.rawValue), ["bwrap", "docker", "podman", "none"])
    }
}
