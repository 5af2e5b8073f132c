import AutofixModel
import AutofixTestSupport
import XCTest

/// The client against servers that do not play by the rules, over real libcurl on 127.0.0.1.
/// Nothing here times the client: each test checks how the reply ended and how much the server
/// managed to send before the client hung up. The server bounds every connection itself, so a
/// client that never hangs up fails the test instead of hanging it.
final class HostileServerTests: XCTestCase {
    /// Far below the server's own bound (`maxBytes`), far above any limit plus socket buffers.
    private let hungUpEarly = 48 << 20

    func testManyTinyDeltasWithoutALineBreakArriveWhole() async throws {
        let server = try HostileServer(.tinyDeltas(count: 5_000, size: 100))
        defer { server.stop() }
        let reply = await collect(OpenAICompatibleClient(endpoint: endpoint(server.baseURL)).stream(request()))
        XCTAssertNil(reply.error)
        XCTAssertEqual(reply.deltas.count, 5_000)
        XCTAssertEqual(reply.text.utf8.count, 500_000)
        XCTAssertEqual(reply.finish?.finishReason, "stop")
    }

    func testAStreamThatNeverSendsALineBreakIsClosedAtTheLineLimit() async throws {
        let server = try HostileServer(.endlessLine, maxSeconds: 30, maxBytes: 96 << 20)
        defer { server.stop() }
        let reply = await collect(OpenAICompatibleClient(endpoint: endpoint(server.baseURL)).stream(request()))
        let error = try XCTUnwrap(reply.modelError, "the stream ended without an error")
        XCTAssertEqual(error.kind, .responseTooLarge(.line), error.message)
        XCTAssertEqual(error.category, .model)
        XCTAssertTrue(error.message.contains("without a line break"), error.message)
        XCTAssertTrue(error.message.contains("closed"), error.message)
        try assertClientHungUp(server)
    }

    func testAnEventThatNeverEndsIsClosedAtTheEventLimit() async throws {
        let server = try HostileServer(.endlessEvent(lineSize: 1024), maxSeconds: 30, maxBytes: 96 << 20)
        defer { server.stop() }
        let reply = await collect(OpenAICompatibleClient(endpoint: endpoint(server.baseURL)).stream(request()))
        let error = try XCTUnwrap(reply.modelError, "the stream ended without an error")
        XCTAssertEqual(error.kind, .responseTooLarge(.event), error.message)
        try assertClientHungUp(server)
    }

    func testASingleHundredMegabyteEventIsRefused() async throws {
        let server = try HostileServer(.hugeEvent(bytes: 100 << 20), maxSeconds: 30, maxBytes: 128 << 20)
        defer { server.stop() }
        let reply = await collect(OpenAICompatibleClient(endpoint: endpoint(server.baseURL)).stream(request()))
        let error = try XCTUnwrap(reply.modelError, "a 100 MiB event was accepted")
        XCTAssertEqual(error.kind, .responseTooLarge(.line), error.message)
        try assertClientHungUp(server)
    }

    /// The server ignores `max_tokens` and so does an extra request field that asks for a
    /// million: the client stops at the limit `maxTokens` gives (16 bytes a token, at least 1 MiB).
    func testAServerThatIgnoresMaxTokensIsStoppedAtTheReplyLimit() async throws {
        let server = try HostileServer(.endlessDeltas(size: 100), maxSeconds: 30, maxBytes: 256 << 20)
        defer { server.stop() }
        var chat = request()
        chat.maxTokens = 2048
        chat.extraFields = ["max_tokens": 1_000_000]
        let reply = await collect(OpenAICompatibleClient(endpoint: endpoint(server.baseURL)).stream(chat))
        let error = try XCTUnwrap(reply.modelError, "the reply never ended")
        XCTAssertEqual(error.kind, .responseTooLarge(.reply), error.message)
        XCTAssertTrue(error.hint?.contains("--max-diff-tokens") ?? false, error.hint ?? "")
        XCTAssertLessThanOrEqual(reply.text.utf8.count, ResponseLimits.forReply(maxTokens: 2048).replyBytes)
        XCTAssertGreaterThan(reply.text.utf8.count, 0)
        XCTAssertEqual(error.receivedCharacters, reply.text.count)
        try assertClientHungUp(server)
    }

    func testAReplyLimitGrowsWithMaxTokens() {
        XCTAssertEqual(ResponseLimits.forReply(maxTokens: 2048).replyBytes, 1 << 20, "the floor")
        XCTAssertEqual(ResponseLimits.forReply(maxTokens: 1 << 20).replyBytes, 16 << 20)
        XCTAssertGreaterThanOrEqual(ResponseLimits.forReply(maxTokens: .max).replyBytes, 1 << 20, "no overflow")
    }

    func testAnEndlessModelListIsClosedAtTheBodyLimit() async throws {
        let server = try HostileServer(.endlessJSON(status: 200), maxSeconds: 30, maxBytes: 96 << 20)
        defer { server.stop() }
        do {
            let models = try await OpenAICompatibleClient(endpoint: endpoint(server.baseURL)).listModels()
            XCTFail("an endless model list gave \(models.count) models")
        } catch let error as ModelError {
            XCTAssertEqual(error.kind, .responseTooLarge(.body), error.message)
        }
        try assertClientHungUp(server)
    }

    func testAnEndlessJSONReplyToAStreamedRequestIsClosedAtTheBodyLimit() async throws {
        let server = try HostileServer(.endlessJSON(status: 200), maxSeconds: 30, maxBytes: 96 << 20)
        defer { server.stop() }
        let reply = await collect(OpenAICompatibleClient(endpoint: endpoint(server.baseURL)).stream(request()))
        XCTAssertEqual(reply.modelError?.kind, .responseTooLarge(.body), reply.modelError?.message ?? "no error")
        try assertClientHungUp(server)
    }

    /// The status says what failed; the client reads the start of the body for the message and
    /// hangs up instead of reading an endless error page.
    func testAnEndlessErrorBodyIsCutAndTheStatusReported() async throws {
        let server = try HostileServer(.endlessJSON(status: 400), maxSeconds: 30, maxBytes: 96 << 20)
        defer { server.stop() }
        let reply = await collect(OpenAICompatibleClient(endpoint: endpoint(server.baseURL)).stream(request()))
        let error = try XCTUnwrap(reply.modelError)
        XCTAssertEqual(error.kind, .badRequest, error.message)
        XCTAssertEqual(error.status, 400)
        try assertClientHungUp(server)
    }

    func testEndlessHeadersAreClosedAtTheHeaderLimit() async throws {
        let server = try HostileServer(.endlessHeaders, maxSeconds: 30, maxBytes: 96 << 20)
        defer { server.stop() }
        let reply = await collect(OpenAICompatibleClient(endpoint: endpoint(server.baseURL)).stream(request()))
        let error = try XCTUnwrap(reply.modelError)
        XCTAssertEqual(error.kind, .responseTooLarge(.headers), error.message)
        try assertClientHungUp(server)
    }

    /// One byte every 100 ms keeps the connection from ever being idle and never completes a
    /// line: only the request's time limit can end it.
    func testTheTimeLimitEndsAServerThatTricklesForever() async throws {
        let server = try HostileServer(.trickle(interval: 0.1), maxSeconds: 60)
        defer { server.stop() }
        var chat = request()
        chat.timeLimit = 1
        let reply = await collect(OpenAICompatibleClient(endpoint: endpoint(server.baseURL, idleTimeout: 30, totalTimeout: 120)).stream(chat))
        XCTAssertEqual(reply.modelError?.kind, .timeout(.timeLimit), reply.modelError?.message ?? "no error")
        XCTAssertTrue(server.waitUntilIdle(timeout: 30))
        let connection = try XCTUnwrap(server.connections.first)
        XCTAssertFalse(connection.hitServerBound, "the client never hung up")
    }

    /// The whole reply arrives at once and the transfer is over, but the consumer takes its time
    /// with each piece (a slow terminal): the time limit still ends the stream, instead of the
    /// consumer working through everything that was buffered.
    func testTheTimeLimitHoldsForASlowConsumerOfABufferedReply() async throws {
        let server = try HostileServer(.tinyDeltas(count: 400, size: 10))
        defer { server.stop() }
        var chat = request()
        chat.timeLimit = 1
        var deltas = 0
        var thrown: Error?
        do {
            for try await event in OpenAICompatibleClient(endpoint: endpoint(server.baseURL)).stream(chat) {
                if case .delta = event {
                    deltas += 1
                    try await Task.sleep(nanoseconds: 20_000_000)
                }
            }
        } catch {
            thrown = error
        }
        XCTAssertEqual((thrown as? ModelError)?.kind, .timeout(.timeLimit), "\(String(describing: thrown))")
        XCTAssertLessThan(deltas, 400, "every buffered delta was delivered after the time limit")
        XCTAssertGreaterThan(deltas, 0)
    }

    private func assertClientHungUp(_ server: HostileServer, file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertTrue(server.waitUntilIdle(timeout: 30), "the connection was still open", file: file, line: line)
        let connection = try XCTUnwrap(server.connections.first, file: file, line: line)
        XCTAssertTrue(connection.clientLeftEarly, "the client did not hang up (sent \(connection.bytesSent) bytes)", file: file, line: line)
        XCTAssertFalse(connection.hitServerBound, "the server had to stop on its own", file: file, line: line)
        XCTAssertLessThan(connection.bytesSent, hungUpEarly, file: file, line: line)
    }
}
