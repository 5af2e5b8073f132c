import AutofixSupport
import XCTest

final class DurationTextTests: XCTestCase {
    func testParsesUnitsAndCombinations() {
        XCTAssertEqual(DurationText.seconds("90"), 90)
        XCTAssertEqual(DurationText.seconds("90s"), 90)
        XCTAssertEqual(DurationText.seconds("10m"), 600)
        XCTAssertEqual(DurationText.seconds("1h30m"), 5400)
        XCTAssertEqual(DurationText.seconds("250ms"), 0.25)
        XCTAssertEqual(DurationText.seconds("1.5m"), 90)
    }

    func testRejectsNonsense() {
        XCTAssertNil(DurationText.seconds(""))
        XCTAssertNil(DurationText.seconds("ten minutes"))
        XCTAssertNil(DurationText.seconds("5x"))
        XCTAssertNil(DurationText.seconds("-3"))
        XCTAssertNil(DurationText.seconds("m"))
    }

    func testFormatsShortForms() {
        XCTAssertEqual(DurationText.format(0.85), "850ms")
        XCTAssertEqual(DurationText.format(12.34), "12.3s")
        XCTAssertEqual(DurationText.format(245), "4m05s")
        XCTAssertEqual(DurationText.format(3720), "1h02m")
    }
}
