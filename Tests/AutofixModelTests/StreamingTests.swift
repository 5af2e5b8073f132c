import AutofixModel
import AutofixTestSupport
import XCTest

/// The client against a real loopback HTTP server: real sockets, real SSE framing, real libcurl.
final class StreamingTests: XCTestCase {
    func testDeltasArriveInOrderThenOneFinishWithUsageAndTimings() async throws {
        let server = try ScriptedSSEServer(replies: [
            ScriptedSSEServer.chatStream(["--- a/x.swift\n", "+++ b/x.swift\n", "@@ -1 +1 @@\n"], usage: (120, 3)),
        ])
        defer { server.stop() }
        let reply = await collect(OpenAICompatibleClient(endpoint: endpoint(server.baseURL)).stream(request()))

        XCTAssertNil(reply.error)
        XCTAssertEqual(reply.deltas, ["--- a/x.swift\n", "+++ b/x.swift\n", "@@ -1 +1 @@\n"])
        let finish = try XCTUnwrap(reply.finish)
        XCTAssertEqual(finish.finishReason, "stop")
        XCTAssertEqual(finish.usage, TokenUsage(promptTokens: 120, completionTokens: 3))
        XCTAssertEqual(finish.attempts, 1)
        let firstToken = try XCTUnwrap(finish.timeToFirstToken)
        XCTAssertGreaterThan(firstToken, 0)
        XCTAssertGreaterThanOrEqual(finish.totalSeconds, firstToken)
        XCTAssertEqual(server.recordedRequests.map(\.path), ["/v1/chat/completions"])
    }

    func testEveryByteInItsOwnNetworkChunkIncludingInsideUTF8() async throws {
        let deltas = ["é", "→ ", "日本語", "🙂 done", "\n+ let x = \"a\\\"b\""]
        let stream = ScriptedSSEServer.chatStreamEvents(deltas).joined()
        // One write per byte with a small pause, so the client really reads the bytes separately.
        let chunks = Array(stream.utf8).map { ScriptedSSEServer.Chunk(bytes: [$0], delay: 0.0005) }
        let server = try ScriptedSSEServer(replies: [
            ScriptedSSEServer.Reply(headers: [("Content-Type", "text/event-stream")], chunks: chunks),
        ])
        defer { server.stop() }
        let reply = await collect(OpenAICompatibleClient(endpoint: endpoint(server.baseURL)).stream(request()))

        XCTAssertNil(reply.error)
        XCTAssertEqual(reply.text, deltas.joined())
        XCTAssertEqual(reply.finish?.finishReason, "stop")
    }

    func testCommentsCRLFAndMultiLineEventsAreParsedBySpec() async throws {
        let chunk = #"{"choices":[{"index":0,"delta":{"content":"two lines"},"finish_reason":null}]}"#
        let events = [
            ": keep-alive\r\n\r\n",
            "retry: 1000\r\nevent: message\r\ndata: {\"choices\":[{\"index\":0,\r\ndata: \"delta\":{\"content\":\"split \"},\"finish_reason\":null}]}\r\n\r\n",
            ":ping\n\n",
            "data:\(chunk)\r\r",
            "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"length\"}]}\n\n",
            "data: [DONE]\r\n\r\n",
        ]
        let server = try ScriptedSSEServer(replies: [.events(events)])
        defer { server.stop() }
        let reply = await collect(OpenAICompatibleClient(endpoint: endpoint(server.baseURL)).stream(request()))

        XCTAssertNil(reply.error)
        XCTAssertEqual(reply.deltas, ["split ", "two lines"])
        XCTAssertEqual(reply.finish?.finishReason, "length")
        XCTAssertNil(reply.finish?.usage, "no usage was sent, none is invented")
    }

    func testCloseDelimitedBodyWorksLikeChunked() async throws {
        var reply = ScriptedSSEServer.chatStream(["a", "b"])
        reply.framing = .closeDelimited
        let server = try ScriptedSSEServer(replies: [reply])
        defer { server.stop() }
        let collected = await collect(OpenAICompatibleClient(endpoint: endpoint(server.baseURL)).stream(request()))
        XCTAssertNil(collected.error)
        XCTAssertEqual(collected.text, "ab")
    }

    func testServerThatIgnoresStreamingGetsItsJSONCompletionDelivered() async throws {
        let server = try ScriptedSSEServer(replies: [
            .json(200, #"{"id":"x","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"whole reply"},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}"#),
        ])
        defer { server.stop() }
        let reply = await collect(OpenAICompatibleClient(endpoint: endpoint(server.baseURL)).stream(request()))
        XCTAssertNil(reply.error)
        XCTAssertEqual(reply.deltas, ["whole reply"])
        XCTAssertEqual(reply.finish?.usage, TokenUsage(promptTokens: 5, completionTokens: 2))
    }

    func testErrorObjectInsideTheStreamIsAnErrorNotText() async throws {
        var events = ScriptedSSEServer.chatStreamEvents(["partial "], finishReason: nil, done: false)
        events.append(#"data: {"error":{"message":"This model's maximum context length is 32768 tokens","type":"BadRequestError","code":400}}"# + "\n\n")
        events.append("data: [DONE]\n\n")
        let server = try ScriptedSSEServer(replies: [.events(events), ScriptedSSEServer.chatStream(["never"])])
        defer { server.stop() }
        let reply = await collect(OpenAICompatibleClient(endpoint: endpoint(server.baseURL, maxRetries: 3)).stream(request()))

        XCTAssertEqual(reply.deltas, ["partial "])
        XCTAssertNil(reply.finish)
        let error = try XCTUnwrap(reply.modelError)
        XCTAssertEqual(error.kind, .streamError)
        XCTAssertEqual(error.serverMessage, "This model's maximum context length is 32768 tokens")
        XCTAssertTrue(error.message.contains("maximum context length"), error.message)
        XCTAssertEqual(error.category, .model)
        XCTAssertEqual(server.recordedRequests.count, 1, "never retried after output")
    }

    func testVLLMStyleErrorEventWithoutWrapperIsAnError() async throws {
        let server = try ScriptedSSEServer(replies: [
            .events([#"data: {"object":"error","message":"prompt too long","type":"BadRequestError","code":400}"# + "\n\n"]),
        ])
        defer { server.stop() }
        let reply = await collect(OpenAICompatibleClient(endpoint: endpoint(server.baseURL)).stream(request()))
        XCTAssertEqual(reply.modelError?.kind, .streamError)
        XCTAssertEqual(reply.modelError?.serverMessage, "prompt too long")
        XCTAssertTrue(reply.deltas.isEmpty)
    }

    func testGarbageInTheStreamIsMalformedWithASample() async throws {
        let server = try ScriptedSSEServer(replies: [
            .events(ScriptedSSEServer.chatStreamEvents(["ok "], finishReason: nil, done: false) + ["data: <html>502 Bad Gateway</html>\n\n"]),
        ])
        defer { server.stop() }
        let reply = await collect(OpenAICompatibleClient(endpoint: endpoint(server.baseURL)).stream(request()))
        XCTAssertEqual(reply.deltas, ["ok "])
        let error = try XCTUnwrap(reply.modelError)
        XCTAssertEqual(error.kind, .malformedStream)
        XCTAssertTrue(error.message.contains("<html>502 Bad Gateway</html>"), error.message)
        XCTAssertEqual(error.receivedCharacters, 3)
    }

    func testConnectionDroppedMidStreamIsTruncatedAfterDeliveringWhatArrivedAndNotRetried() async throws {
        let events = ScriptedSSEServer.chatStreamEvents(["first ", "second "], finishReason: nil, done: false)
        let server = try ScriptedSSEServer(replies: [
            .events(events, ending: .drop), ScriptedSSEServer.chatStream(["retried"]),
        ])
        defer { server.stop() }
        let reply = await collect(OpenAICompatibleClient(endpoint: endpoint(server.baseURL, maxRetries: 3)).stream(request()))

        XCTAssertEqual(reply.deltas, ["first ", "second "])
        let error = try XCTUnwrap(reply.modelError)
        XCTAssertEqual(error.kind, .truncatedStream)
        XCTAssertEqual(error.receivedCharacters, 13)
        XCTAssertEqual(server.recordedRequests.count, 1)
    }

    func testCleanCloseWithoutDoneOrFinishReasonIsTruncated() async throws {
        let events = ScriptedSSEServer.chatStreamEvents(["only "], finishReason: nil, done: false)
        let server = try ScriptedSSEServer(replies: [.events(events)])
        defer { server.stop() }
        let reply = await collect(OpenAICompatibleClient(endpoint: endpoint(server.baseURL)).stream(request()))
        XCTAssertEqual(reply.modelError?.kind, .truncatedStream)
        XCTAssertTrue(reply.modelError?.message.contains("without [DONE]") ?? false)
    }

    func testResetConnectionIsReportedNotHung() async throws {
        let events = ScriptedSSEServer.chatStreamEvents(["x"], finishReason: nil, done: false)
        let server = try ScriptedSSEServer(replies: [.events(events, delay: 0.05, ending: .reset)])
        defer { server.stop() }
        let reply = await collect(OpenAICompatibleClient(endpoint: endpoint(server.baseURL)).stream(request()))
        let kind = try XCTUnwrap(reply.modelError?.kind)
        XCTAssertTrue([.truncatedStream, .transport].contains(kind), "\(kind)")
        XCTAssertNil(reply.finish)
    }
}

final class NotAnAPITests: XCTestCase {
    func testAnHTMLPageIsReportedAsSuchNotAsAnEmptyReply() async throws {
        let server = try ScriptedSSEServer(replies: [
            ScriptedSSEServer.Reply(headers: [("Content-Type", "text/html; charset=utf-8")],
                                    chunks: [.init("<!doctype html><title>Open WebUI</title>")]),
        ])
        defer { server.stop() }
        let reply = await collect(OpenAICompatibleClient(endpoint: endpoint(server.baseURL)).stream(request()))
        let error = try XCTUnwrap(reply.modelError)
        XCTAssertEqual(error.kind, .malformedStream)
        XCTAssertTrue(error.message.contains("text/html") && error.message.contains("Open WebUI"), error.message)
    }

    func testPrintingAnEndpointHidesTheKey() {
        let secret = "sk-printed-never"
        let config = ModelEndpoint(apiKey: secret, apiKeySource: "OPENAI_API_KEY")
        var dumped = ""
        dump(config, to: &dumped)
        for text in ["\(config)", String(reflecting: config), dumped] {
            XCTAssertFalse(text.contains(secret), text)
        }
        XCTAssertTrue("\(config)".contains("OPENAI_API_KEY"))
    }
}
