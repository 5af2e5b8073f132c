import AutofixModel
import AutofixTestSupport
import XCTest

final class CancellationAndTimeoutTests: XCTestCase {
    /// The repair loop cancels a reply as soon as a streamed patch fails: the transfer must stop,
    /// and the server must see the connection close while it still had more to send.
    func testCancellingTheConsumerClosesTheConnectionMidStream() async throws {
        let events = ScriptedSSEServer.chatStreamEvents(["one ", "two "], finishReason: nil, done: false)
        let server = try ScriptedSSEServer(replies: [.events(events, ending: .stall(seconds: 60))])
        defer { server.stop() }
        let client = OpenAICompatibleClient(endpoint: endpoint(server.baseURL, idleTimeout: 120))
        let stream = client.stream(request())
        let gotTwo = expectation(description: "two deltas")
        let consumer = Task {
            var deltas: [String] = []
            do {
                for try await event in stream {
                    if case .delta(let text) = event { deltas.append(text) }
                    if deltas.count == 2 { gotTwo.fulfill() }
                }
            } catch {}
            return deltas
        }
        await fulfillment(of: [gotTwo], timeout: 20)
        consumer.cancel()
        let deltas = await consumer.value
        XCTAssertEqual(deltas, ["one ", "two "])

        XCTAssertTrue(server.waitUntilIdle(timeout: 20), "the connection was still open after cancel")
        let connection = try XCTUnwrap(server.connections.first)
        XCTAssertTrue(connection.clientLeftEarly, "the server finished its script: the client never hung up")
        XCTAssertEqual(server.recordedRequests.count, 1)
    }

    func testBreakingOutOfTheLoopAlsoAbortsTheTransfer() async throws {
        let deltas = (0..<50).map { "line \($0)\n" }
        let server = try ScriptedSSEServer(replies: [ScriptedSSEServer.chatStream(deltas, delay: 0.2)])
        defer { server.stop() }
        let client = OpenAICompatibleClient(endpoint: endpoint(server.baseURL))
        var seen = 0
        for try await event in client.stream(request()) {
            if case .delta = event { seen += 1 }
            if seen == 1 { break }
        }
        XCTAssertTrue(server.waitUntilIdle(timeout: 20))
        let connection = try XCTUnwrap(server.connections.first)
        XCTAssertTrue(connection.clientLeftEarly)
        XCTAssertLessThan(connection.chunksSent, deltas.count)
    }

    func testCancellingDuringABackoffWaitStopsRetrying() async throws {
        let server = try ScriptedSSEServer(replies: [
            .json(503, "busy", headers: [("Retry-After", "30")]), ScriptedSSEServer.chatStream(["late"]),
        ])
        defer { server.stop() }
        var config = endpoint(server.baseURL, maxRetries: 3)
        config.maxRetryDelay = 60
        let log = EventLog()
        let client = OpenAICompatibleClient(endpoint: config, observer: log.record)
        let stream = client.stream(request())
        let consumer = Task { await collect(stream) }
        // Wait until the client is in its 30 s backoff, then cancel.
        for _ in 0..<2000 where log.retries.isEmpty { try await Task.sleep(nanoseconds: 5_000_000) }
        XCTAssertEqual(log.retries.first?.delay, 30)
        consumer.cancel()
        let reply = await consumer.value
        XCTAssertNil(reply.finish)
        XCTAssertTrue(reply.deltas.isEmpty)
        XCTAssertEqual(server.recordedRequests.count, 1, "no retry after cancel")
    }

    func testIdleTimeoutWhenTheServerStallsAfterPartialOutput() async throws {
        let events = ScriptedSSEServer.chatStreamEvents(["partial"], finishReason: nil, done: false)
        let server = try ScriptedSSEServer(replies: [.events(events, ending: .stall(seconds: 30)), ScriptedSSEServer.chatStream(["no"])])
        defer { server.stop() }
        let reply = await collect(OpenAICompatibleClient(endpoint: endpoint(server.baseURL, maxRetries: 2, idleTimeout: 0.3)).stream(request()))
        XCTAssertEqual(reply.deltas, ["partial"])
        let error = try XCTUnwrap(reply.modelError)
        XCTAssertEqual(error.kind, .timeout(.idle))
        XCTAssertTrue(error.message.contains("sent nothing for 300ms after 7 characters"), error.message)
        XCTAssertEqual(server.recordedRequests.count, 1)
        XCTAssertTrue(server.waitUntilIdle(timeout: 20))
        XCTAssertEqual(server.connections.first?.clientLeftEarly, true)
    }

    func testIdleTimeoutWhenTheServerNeverAnswers() async throws {
        let server = try ScriptedSSEServer(replies: [
            ScriptedSSEServer.Reply(headers: [("Content-Type", "text/event-stream")], ending: .stall(seconds: 30)),
        ])
        defer { server.stop() }
        let reply = await collect(OpenAICompatibleClient(endpoint: endpoint(server.baseURL, idleTimeout: 0.3)).stream(request()))
        XCTAssertEqual(reply.modelError?.kind, .timeout(.idle))
        XCTAssertTrue(reply.deltas.isEmpty)
    }

    func testKeepAliveCommentsCountAsActivity() async throws {
        // Comments every 0.1 s for 0.6 s: longer than the idle timeout in total, never idle.
        var events = Array(repeating: ": keep-alive\n\n", count: 6)
        events += ScriptedSSEServer.chatStreamEvents(["alive"])
        let server = try ScriptedSSEServer(replies: [.events(events, delay: 0.1)])
        defer { server.stop() }
        let reply = await collect(OpenAICompatibleClient(endpoint: endpoint(server.baseURL, idleTimeout: 0.4)).stream(request()))
        XCTAssertNil(reply.error)
        XCTAssertEqual(reply.text, "alive")
    }

    func testTotalTimeoutBoundsASlowButSteadyStream() async throws {
        let deltas = (0..<100).map { "tok\($0) " }
        let server = try ScriptedSSEServer(replies: [ScriptedSSEServer.chatStream(deltas, delay: 0.05)])
        defer { server.stop() }
        let reply = await collect(OpenAICompatibleClient(endpoint: endpoint(server.baseURL, idleTimeout: 5, totalTimeout: 0.5)).stream(request()))
        XCTAssertEqual(reply.modelError?.kind, .timeout(.total))
        XCTAssertFalse(reply.deltas.isEmpty)
        XCTAssertLessThan(reply.deltas.count, deltas.count)
    }

    func testTimeLimitCutsASteadyStreamAndSaysItWasTheLimit() async throws {
        let deltas = (0..<100).map { "tok\($0) " }
        let server = try ScriptedSSEServer(replies: [ScriptedSSEServer.chatStream(deltas, delay: 0.05)])
        defer { server.stop() }
        var limited = request()
        limited.timeLimit = 0.5
        let reply = await collect(OpenAICompatibleClient(endpoint: endpoint(server.baseURL, idleTimeout: 5, totalTimeout: 60)).stream(limited))
        XCTAssertEqual(reply.modelError?.kind, .timeout(.timeLimit))
        XCTAssertTrue(reply.modelError?.hint?.contains("--timeout") ?? false)
        XCTAssertFalse(reply.deltas.isEmpty)
        XCTAssertLessThan(reply.deltas.count, deltas.count)
        server.waitUntilIdle()
        XCTAssertTrue(server.connections.first?.clientLeftEarly ?? false, "the transfer was not aborted")
    }

    func testARetryThatWouldOutlastTheTimeLimitIsNotAttempted() async throws {
        let server = try ScriptedSSEServer(replies: [
            .json(503, #"{"error":{"message":"loading"}}"#, headers: [("Retry-After", "30")]),
            ScriptedSSEServer.chatStream(["late"]),
        ])
        defer { server.stop() }
        var limited = request()
        limited.timeLimit = 5
        let log = EventLog()
        let client = OpenAICompatibleClient(endpoint: endpoint(server.baseURL, maxRetries: 3), observer: log.record)
        let reply = await collect(client.stream(limited))
        XCTAssertEqual(reply.modelError?.status, 503, "the server's own error is reported, not a wait past the limit")
        XCTAssertEqual(log.retries.count, 0)
        XCTAssertEqual(server.recordedRequests.count, 1)
    }
}

final class ConnectTimeoutTests: XCTestCase {
    func testConnectTimeoutWhenTheServerNeverCompletesTheHandshake() async throws {
        let listener = try FullBacklogListener()
        var config = endpoint("http://127.0.0.1:\(listener.port)/v1", maxRetries: 2, idleTimeout: 30)
        config.connectTimeout = 0.3
        let reply = await collect(OpenAICompatibleClient(endpoint: config).stream(request()))
        let error = try XCTUnwrap(reply.modelError)
        XCTAssertEqual(error.kind, .timeout(.connect), error.message)
        XCTAssertTrue(error.message.contains("could not connect to http://127.0.0.1:\(listener.port)/v1 within 300ms"), error.message)
        XCTAssertEqual(error.attempts, 1, "a connect timeout is not one of the retried failures")
    }
}
