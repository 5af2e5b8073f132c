import AutofixModel
import AutofixTestSupport
import XCTest

/// HTTP failures: which are retried (connection refused, a dropped connection, 429, 5xx, and
/// only before any text), and what the user is told for the rest.
final class ErrorAndRetryTests: XCTestCase {
    /// Two failed attempts and then a reply: the client must get through by retrying.
    private func retriesTwiceThenSucceeds(_ failures: [ScriptedSSEServer.Reply],
                                          file: StaticString = #filePath, line: UInt = #line) async throws -> [RetryNotice] {
        let server = try ScriptedSSEServer(replies: failures + [ScriptedSSEServer.chatStream(["fixed"])])
        defer { server.stop() }
        let log = EventLog()
        let client = OpenAICompatibleClient(endpoint: endpoint(server.baseURL, maxRetries: 3), observer: log.record)
        let reply = await collect(client.stream(request()))

        XCTAssertNil(reply.error, file: file, line: line)
        XCTAssertEqual(reply.text, "fixed", file: file, line: line)
        XCTAssertEqual(reply.finish?.attempts, 3, file: file, line: line)
        XCTAssertEqual(server.recordedRequests.count, 3, file: file, line: line)
        XCTAssertEqual(log.retries.map(\.nextAttempt), [2, 3], file: file, line: line)
        return log.retries
    }

    func testServiceUnavailableIsRetriedWithBackoffThenSucceeds() async throws {
        let retries = try await retriesTwiceThenSucceeds([
            .json(503, #"{"error":{"message":"model is loading"}}"#),
            .json(502, "bad gateway"),
        ])
        XCTAssertEqual(retries.map(\.errorKind), [.server, .server])
        XCTAssertTrue(retries.allSatisfy { !$0.fromRetryAfter })
        // Base 0.05s doubling, jitter in [0.5, 1]: within [0.025, 0.05] then [0.05, 0.1].
        XCTAssertTrue((0.025...0.05).contains(retries[0].delay), "\(retries[0].delay)")
        XCTAssertTrue((0.05...0.1).contains(retries[1].delay), "\(retries[1].delay)")
    }

    func testConnectionDroppedOrResetBeforeAnyTextIsRetried() async throws {
        let retries = try await retriesTwiceThenSucceeds([.events([], ending: .drop), .events([], ending: .reset)])
        XCTAssertEqual(retries.count, 2)
    }

    func testRateLimitHonoursRetryAfter() async throws {
        let server = try ScriptedSSEServer(replies: [
            .json(429, #"{"error":{"message":"slow down"}}"#, headers: [("Retry-After", "1")]),
            ScriptedSSEServer.chatStream(["ok"]),
        ])
        defer { server.stop() }
        let log = EventLog()
        let client = OpenAICompatibleClient(endpoint: endpoint(server.baseURL, maxRetries: 2), observer: log.record)
        let reply = await collect(client.stream(request()))

        XCTAssertNil(reply.error)
        XCTAssertEqual(reply.text, "ok")
        XCTAssertEqual(log.retries.count, 1)
        XCTAssertEqual(log.retries.first?.delay, 1.0)
        XCTAssertEqual(log.retries.first?.fromRetryAfter, true)
        XCTAssertEqual(log.retries.first?.errorKind, .rateLimited)
    }

    func testRateLimitAskingForMoreThanTheMaximumWaitFailsAtOnceWithTheWait() async throws {
        let server = try ScriptedSSEServer(replies: [
            .json(429, #"{"error":{"message":"quota"}}"#, headers: [("Retry-After", "3600")]),
        ])
        defer { server.stop() }
        let reply = await collect(OpenAICompatibleClient(endpoint: endpoint(server.baseURL, maxRetries: 5)).stream(request()))
        let error = try XCTUnwrap(reply.modelError)
        XCTAssertEqual(error.kind, .rateLimited)
        XCTAssertEqual(error.retryAfter, 3600)
        XCTAssertEqual(error.status, 429)
        XCTAssertTrue(error.hint?.contains("1h00m") ?? false, error.hint ?? "")
        XCTAssertEqual(server.recordedRequests.count, 1)
    }

    func testServerErrorsExhaustRetriesAndSayHowManyAttempts() async throws {
        let server = try ScriptedSSEServer(replies: Array(repeating: .json(500, #"{"error":{"message":"CUDA out of memory"}}"#), count: 3))
        defer { server.stop() }
        let reply = await collect(OpenAICompatibleClient(endpoint: endpoint(server.baseURL, maxRetries: 2)).stream(request()))
        let error = try XCTUnwrap(reply.modelError)
        XCTAssertEqual(error.kind, .server)
        XCTAssertEqual(error.attempts, 3)
        XCTAssertEqual(error.serverMessage, "CUDA out of memory")
        XCTAssertTrue(error.message.contains("HTTP 500") && error.message.contains("3 attempts"), error.message)
        XCTAssertEqual(server.recordedRequests.count, 3)
    }

    func testReachabilityCheckConnectsWithoutSendingARequest() async throws {
        let server = try ScriptedSSEServer(replies: [ScriptedSSEServer.chatStream(["still here"])])
        defer { server.stop() }
        let client = OpenAICompatibleClient(endpoint: endpoint(server.baseURL))
        try await client.checkReachable()
        server.waitUntilIdle()
        XCTAssertEqual(server.recordedRequests.count, 0, "a check must not use up a reply or cost the server a request")
        let reply = await collect(client.stream(request()))
        XCTAssertEqual(reply.text, "still here")

        let down = OpenAICompatibleClient(endpoint: endpoint(try ScriptedSSEServer.unusedLoopbackURL(), maxRetries: 1))
        do {
            try await down.checkReachable()
            XCTFail("nothing listens there")
        } catch let error as ModelError {
            XCTAssertEqual(error.kind, .connectionRefused)
            XCTAssertEqual(error.attempts, 2, "retried like a request")
        }
    }

    func testConnectionRefusedSaysHowToStartAServer() async throws {
        let url = try ScriptedSSEServer.unusedLoopbackURL()
        let log = EventLog()
        let client = OpenAICompatibleClient(endpoint: endpoint(url, maxRetries: 1), observer: log.record)
        let reply = await collect(client.stream(request()))
        let error = try XCTUnwrap(reply.modelError)
        XCTAssertEqual(error.kind, .connectionRefused)
        XCTAssertEqual(error.attempts, 2)
        XCTAssertTrue(error.message.contains("no model server at \(url)"), error.message)
        let hint = try XCTUnwrap(error.hint)
        XCTAssertTrue(hint.contains("vllm serve mistralai/Devstral-Small-2505"), hint)
        XCTAssertTrue(hint.contains("autofix.endpoint"), hint)
        XCTAssertEqual(log.retries.map(\.errorKind), [.connectionRefused])
    }

    func testServerStillStartingIsReachedByRetrying() async throws {
        let server = try ScriptedSSEServer(replies: [ScriptedSSEServer.chatStream(["up"])], listenAfter: 0.3)
        defer { server.stop() }
        var config = endpoint(server.baseURL, maxRetries: 8)
        config.retryBaseDelay = 0.1
        let log = EventLog()
        let reply = await collect(OpenAICompatibleClient(endpoint: config, observer: log.record).stream(request()))
        XCTAssertNil(reply.error)
        XCTAssertEqual(reply.text, "up")
        XCTAssertGreaterThan(reply.finish?.attempts ?? 0, 1)
        XCTAssertTrue(log.retries.allSatisfy { $0.errorKind == .connectionRefused })
    }

    func testBadRequestCarriesTheServersMessageAndIsNotRetried() async throws {
        let message = "This model's maximum context length is 32768 tokens. However, you requested 40000 tokens."
        let server = try ScriptedSSEServer(replies: [
            .json(400, #"{"object":"error","message":"\#(message)","type":"BadRequestError","param":null,"code":400}"#),
            ScriptedSSEServer.chatStream(["never"]),
        ])
        defer { server.stop() }
        let reply = await collect(OpenAICompatibleClient(endpoint: endpoint(server.baseURL, maxRetries: 3)).stream(request()))
        let error = try XCTUnwrap(reply.modelError)
        XCTAssertEqual(error.kind, .badRequest)
        XCTAssertEqual(error.serverMessage, message)
        XCTAssertTrue(error.message.contains(message), error.message)
        XCTAssertTrue(error.hint?.contains("context") ?? false)
        XCTAssertEqual(server.recordedRequests.count, 1)
    }

    func testValidationErrorDetailIsShown() async throws {
        let server = try ScriptedSSEServer(replies: [.json(422, #"{"detail":"temperature must be <= 2"}"#)])
        defer { server.stop() }
        let reply = await collect(OpenAICompatibleClient(endpoint: endpoint(server.baseURL)).stream(request()))
        XCTAssertEqual(reply.modelError?.kind, .badRequest)
        XCTAssertEqual(reply.modelError?.serverMessage, "temperature must be <= 2")
    }

    func testUnauthorizedNamesTheVariableTheKeyCameFromButNeverTheKey() async throws {
        let secret = "sk-test-5ecr3t-never-show"
        let server = try ScriptedSSEServer(replies: [.json(401, #"{"error":{"message":"Invalid API key"}}"#)])
        defer { server.stop() }
        var config = endpoint(server.baseURL)
        config.apiKey = secret
        config.apiKeySource = "MISTRAL_API_KEY"
        let reply = await collect(OpenAICompatibleClient(endpoint: config).stream(request()))
        let error = try XCTUnwrap(reply.modelError)
        XCTAssertEqual(error.kind, .unauthorized)
        XCTAssertEqual(error.status, 401)
        XCTAssertTrue(error.message.contains("MISTRAL_API_KEY"), error.message)
        XCTAssertTrue(error.message.contains("Invalid API key"), error.message)
        XCTAssertTrue(error.hint?.contains("--api-key-env") ?? false)
        XCTAssertFalse(error.description.contains(secret))
        XCTAssertFalse("\(error)".contains(secret))
        XCTAssertEqual(server.recordedRequests.first?.header("Authorization"), "Bearer \(secret)")
    }

    func testForbiddenWithoutAKeyListsTheVariablesToSet() async throws {
        let server = try ScriptedSSEServer(replies: [.json(403, #"{"error":"forbidden"}"#)])
        defer { server.stop() }
        let reply = await collect(OpenAICompatibleClient(endpoint: endpoint(server.baseURL)).stream(request()))
        let error = try XCTUnwrap(reply.modelError)
        XCTAssertEqual(error.kind, .unauthorized)
        let hint = try XCTUnwrap(error.hint)
        for variable in ["AUTOFIX_API_KEY", "MISTRAL_API_KEY", "OPENAI_API_KEY"] {
            XCTAssertTrue(hint.contains(variable), hint)
        }
        XCTAssertNil(server.recordedRequests.first?.header("Authorization"))
    }

    func testNotFoundListsTheModelsTheServerHas() async throws {
        let server = try ScriptedSSEServer(
            replies: [.json(404, #"{"object":"error","message":"The model `devstral` does not exist.","code":404}"#)],
            models: ["mistralai/Devstral-Small-2505", "Qwen/Qwen2.5-Coder-7B"])
        defer { server.stop() }
        let reply = await collect(OpenAICompatibleClient(endpoint: endpoint(server.baseURL)).stream(request(model: "devstral")))
        let error = try XCTUnwrap(reply.modelError)
        XCTAssertEqual(error.kind, .notFound)
        XCTAssertEqual(error.availableModels, ["mistralai/Devstral-Small-2505", "Qwen/Qwen2.5-Coder-7B"])
        XCTAssertTrue(error.message.contains("\"devstral\""), error.message)
        XCTAssertTrue(error.hint?.contains("mistralai/Devstral-Small-2505") ?? false, error.hint ?? "")
        XCTAssertEqual(server.recordedRequests.map(\.method), ["POST", "GET"])
        XCTAssertEqual(server.recordedRequests.last?.path, "/v1/models")
    }

    func testNotFoundWithoutAModelListPointsAtTheBaseURL() async throws {
        let server = try ScriptedSSEServer(replies: [.json(404, "Not Found"), .json(404, "Not Found")])
        defer { server.stop() }
        let reply = await collect(OpenAICompatibleClient(endpoint: endpoint(server.baseURL)).stream(request()))
        let error = try XCTUnwrap(reply.modelError)
        XCTAssertEqual(error.kind, .notFound)
        XCTAssertNil(error.availableModels)
        XCTAssertTrue(error.hint?.contains("/v1") ?? false, error.hint ?? "")
    }
}

final class MixedFailureTests: XCTestCase {
    func testAFinalErrorAfterRetriesCountsEveryAttempt() async throws {
        let server = try ScriptedSSEServer(replies: [
            .json(503, "loading"), .json(400, #"{"error":{"message":"bad stop list"}}"#),
        ])
        defer { server.stop() }
        let reply = await collect(OpenAICompatibleClient(endpoint: endpoint(server.baseURL, maxRetries: 3)).stream(request()))
        XCTAssertEqual(reply.modelError?.kind, .badRequest)
        XCTAssertEqual(reply.modelError?.attempts, 2)
        XCTAssertEqual(server.recordedRequests.count, 2)
    }
}
