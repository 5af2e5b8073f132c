import AutofixPatch
import XCTest

final class EditFormatTests: XCTestCase {
    func testFlagSpellingsAreStable() {
        XCTAssertEqual(EditFormat(rawValue: "diff"), .diff)
        XCTAssertEqual(EditFormat(rawValue: "whole"), .whole)
        XCTAssertNil(EditFormat(rawValue: "udiff"))
    }
}
