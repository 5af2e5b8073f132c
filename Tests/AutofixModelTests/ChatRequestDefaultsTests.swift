import AutofixModel
import XCTest

final class ChatRequestDefaultsTests: XCTestCase {
    func testDefaultsFollowTheReferenceDeployment() {
        let request = ChatRequest(model: "m", messages: [ChatMessage(role: .user, content: "hi")])
        XCTAssertEqual(request.temperature, 0.15)
        XCTAssertEqual(request.topP, 0.95)
        XCTAssertEqual(request.maxTokens, 2048)
        XCTAssertNil(request.seed)
    }
}
