import AutofixModel
import AutofixTestSupport
import XCTest

/// What `git autofix doctor` uses: the model list and a 1-token request.
final class ModelsAndProbeTests: XCTestCase {
    func testListModelsReadsTheServersList() async throws {
        let server = try ScriptedSSEServer(replies: [], models: ["mistralai/Devstral-Small-2505", "other"])
        defer { server.stop() }
        let models = try await OpenAICompatibleClient(endpoint: endpoint(server.baseURL)).listModels()
        XCTAssertEqual(models, ["mistralai/Devstral-Small-2505", "other"])
        XCTAssertEqual(server.recordedRequests.map(\.method), ["GET"])
        XCTAssertEqual(server.recordedRequests.map(\.path), ["/v1/models"])
    }

    func testListModelsWithATrailingSlashInTheBaseURL() async throws {
        let server = try ScriptedSSEServer(replies: [], models: ["m"])
        defer { server.stop() }
        let models = try await OpenAICompatibleClient(endpoint: endpoint(server.baseURL + "/")).listModels()
        XCTAssertEqual(models, ["m"])
        XCTAssertEqual(server.recordedRequests.first?.path, "/v1/models")
    }

    func testListModelsFailureIsAModelError() async throws {
        let server = try ScriptedSSEServer(replies: [.json(401, #"{"error":{"message":"no key"}}"#)], modelListFromReplies: true)
        defer { server.stop() }
        do {
            _ = try await OpenAICompatibleClient(endpoint: endpoint(server.baseURL)).listModels()
            XCTFail("expected an error")
        } catch let error as ModelError {
            XCTAssertEqual(error.kind, .unauthorized)
            XCTAssertEqual(error.category, .model)
        }
    }

    func testListModelsRejectsSomethingThatIsNotAModelList() async throws {
        let server = try ScriptedSSEServer(replies: [.json(200, "<html>hello</html>")], modelListFromReplies: true)
        defer { server.stop() }
        do {
            _ = try await OpenAICompatibleClient(endpoint: endpoint(server.baseURL)).listModels()
            XCTFail("expected an error")
        } catch let error as ModelError {
            XCTAssertEqual(error.kind, .malformedStream)
            XCTAssertTrue(error.message.contains("<html>hello</html>"), error.message)
        }
    }

    func testProbeAsksForOneTokenAndReportsLatency() async throws {
        let server = try ScriptedSSEServer(replies: [
            ScriptedSSEServer.chatStream(["OK"], finishReason: "length", usage: (9, 1), model: "mistralai/Devstral-Small-2505"),
        ])
        defer { server.stop() }
        let result = try await OpenAICompatibleClient(endpoint: endpoint(server.baseURL)).probe(model: "mistralai/Devstral-Small-2505")
        XCTAssertEqual(result.model, "mistralai/Devstral-Small-2505")
        XCTAssertEqual(result.reply, "OK")
        XCTAssertEqual(result.finishReason, "length")
        XCTAssertEqual(result.usage, TokenUsage(promptTokens: 9, completionTokens: 1))
        XCTAssertGreaterThan(result.latency, 0)
        let body = try XCTUnwrap(server.recordedRequests.first?.jsonBody)
        XCTAssertEqual(body["max_tokens"] as? Int, 1)
        XCTAssertEqual(body["model"] as? String, "mistralai/Devstral-Small-2505")
    }

    func testProbeOfAMissingServerIsConnectionRefused() async throws {
        let url = try ScriptedSSEServer.unusedLoopbackURL()
        do {
            _ = try await OpenAICompatibleClient(endpoint: endpoint(url)).probe()
            XCTFail("expected an error")
        } catch let error as ModelError {
            XCTAssertEqual(error.kind, .connectionRefused)
        }
    }
    // MARK: the context window a server reports

    func testTheWindowIsVLLMsMaxModelLenOfTheModel() async throws {
        let server = try ScriptedSSEServer(replies: [], models: ["mistralai/Devstral-Small-2505"], maxModelLen: 131_072)
        defer { server.stop() }
        let window = await OpenAICompatibleClient(endpoint: endpoint(server.baseURL))
            .reportedContextWindow(model: "mistralai/Devstral-Small-2505")
        XCTAssertEqual(window, 131_072)
        XCTAssertEqual(server.infoRequests.map(\.path), [], "no /props once /models said it")
    }

    func testWithoutMaxModelLenTheWindowIsLlamaCppsNCtxAtTheServersRoot() async throws {
        let server = try ScriptedSSEServer(replies: [], models: ["local"], llamaContext: 16_384)
        defer { server.stop() }
        let window = await OpenAICompatibleClient(endpoint: endpoint(server.baseURL)).reportedContextWindow(model: "local")
        XCTAssertEqual(window, 16_384)
        XCTAssertEqual(server.infoRequests.map(\.path), ["/props"])
    }

    func testAServerThatReportsNoWindowGivesNilAndUsesUpNoReply() async throws {
        let server = try ScriptedSSEServer(replies: [ScriptedSSEServer.chatStream(["OK"])])
        defer { server.stop() }
        let client = OpenAICompatibleClient(endpoint: endpoint(server.baseURL))
        let window = await client.reportedContextWindow(model: "m")
        XCTAssertNil(window)
        XCTAssertEqual(server.infoRequests.map(\.path), ["/v1/models", "/props"])
        let reply = try await client.probe(model: "m")
        XCTAssertEqual(reply.reply, "OK", "the scripted chat reply is still there for the chat request")
    }
}
