@testable import AutofixModel
import XCTest

/// The parser alone, at every possible chunk boundary. (The same framing goes through real
/// sockets in StreamingTests.)
final class SSEParserTests: XCTestCase {
    private let stream = Array((
        "\u{FEFF}: comment\r\n"
        + "data: {\"x\":\"é→🙂\"}\r\n\r\n"
        + "event: update\ndata: line one\ndata:line two\nid: 7\n\n"
        + "data\n\n"
        + "data:  two spaces\r\r"
        + "unknown: field\ndata: [DONE]\n\n"
        + "data: incomplete"
    ).utf8)

    private let expected = [
        SSEEvent(data: "{\"x\":\"é→🙂\"}"),
        SSEEvent(type: "update", data: "line one\nline two", id: "7"),
        SSEEvent(data: "", id: "7"),
        SSEEvent(data: " two spaces", id: "7"),
        SSEEvent(data: "[DONE]", id: "7"),
    ]

    func testWholeStreamAtOnce() {
        var parser = SSEParser()
        XCTAssertEqual(parser.feed(stream), expected)
    }

    func testEverySplitIntoTwoChunks() {
        for split in 0...stream.count {
            var parser = SSEParser()
            let events = parser.feed(stream[..<split]) + parser.feed(stream[split...])
            XCTAssertEqual(events, expected, "split at byte \(split)")
        }
    }

    func testOneByteAtATime() {
        var parser = SSEParser()
        var events: [SSEEvent] = []
        for byte in stream { events += parser.feed([byte]) }
        XCTAssertEqual(events, expected)
    }

    func testCRLFSplitBetweenCRAndLFIsOneLineEnding() {
        var parser = SSEParser()
        XCTAssertEqual(parser.feed(Array("data: a\r".utf8)), [])
        XCTAssertEqual(parser.feed(Array("\n\r".utf8)), [SSEEvent(data: "a")])
        XCTAssertEqual(parser.feed(Array("\ndata: b\n\n".utf8)), [SSEEvent(data: "b")])
    }

    func testDecoderTurnsChunksIntoItems() throws {
        var decoder = ChatStreamDecoder()
        let items = try decoder.feed(Array((
            #"data: {"choices":[{"index":0,"delta":{"role":"assistant"},"finish_reason":null}]}"# + "\n\n"
            + #"data: {"choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":null}]}"# + "\n\n"
            + #"data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":null}"# + "\n\n"
            + #"data: {"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}"# + "\n\n"
            + "data: [DONE]\n\n"
        ).utf8))
        XCTAssertEqual(items, [.delta("hi"), .finishReason("stop"), .usage(TokenUsage(promptTokens: 3, completionTokens: 1)), .done])
    }

    func testDecoderReportsErrorsAndGarbage() {
        var decoder = ChatStreamDecoder()
        XCTAssertThrowsError(try decoder.feed(Array("data: {\"error\":\"overloaded\"}\n\n".utf8))) {
            XCTAssertEqual($0 as? ChatStreamProblem, .serverError("overloaded"))
        }
        var other = ChatStreamDecoder()
        XCTAssertThrowsError(try other.feed(Array("data: {\"choices\":[{\"delta\":\n\n".utf8))) {
            guard case .malformed? = $0 as? ChatStreamProblem else { return XCTFail("\($0)") }
        }
    }
}
