import AutofixTestReport
import XCTest

final class TestStatusTests: XCTestCase {
    func testStatusSpellingsAreStable() {
        XCTAssertEqual(TestStatus(rawValue: "errored"), .errored)
        XCTAssertNil(TestStatus(rawValue: "error"))
    }
}
