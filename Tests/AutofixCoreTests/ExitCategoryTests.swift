import AutofixCore
import AutofixSupport
import XCTest

final class ExitCategoryTests: XCTestCase {
    func testExitCodesAreTheDocumentedContract() {
        XCTAssertEqual(ExitCategory.allCases.map(\.rawValue), [0, 1, 2, 3, 4, 5])
        XCTAssertEqual(UsageError("x").category.rawValue, 2)
    }
}
