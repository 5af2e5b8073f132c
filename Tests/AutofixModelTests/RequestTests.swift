@testable import AutofixModel
import AutofixSupport
import AutofixTestSupport
import XCTest

/// What goes over the wire, read back by the server exactly as received.
final class RequestTests: XCTestCase {
    func testTheRecordedBodyHasEveryFieldAndTheKeyOnlyInTheAuthorizationHeader() async throws {
        let secret = "sk-live-abcdef0123456789"
        let server = try ScriptedSSEServer(replies: [ScriptedSSEServer.chatStream(["ok"])])
        defer { server.stop() }
        var config = endpoint(server.baseURL)
        config.apiKey = secret
        config.apiKeySource = "AUTOFIX_API_KEY"
        let log = EventLog()
        var chat = request("Make testParse pass.", model: "mistralai/Devstral-Small-2505")
        chat.stop = ["\n```\n", "<|im_end|>"]
        chat.seed = 42
        chat.extraFields = ["repetition_penalty": 1.05, "chat_template_kwargs": ["enable_thinking": false], "stream": false]
        let reply = await collect(OpenAICompatibleClient(endpoint: config, observer: log.record).stream(chat))
        XCTAssertNil(reply.error)

        let recorded = try XCTUnwrap(server.recordedRequests.first)
        XCTAssertEqual(recorded.method, "POST")
        XCTAssertEqual(recorded.path, "/v1/chat/completions")
        XCTAssertEqual(recorded.header("Authorization"), "Bearer \(secret)")
        XCTAssertEqual(recorded.header("Content-Type"), "application/json")
        XCTAssertEqual(recorded.header("Accept"), "text/event-stream")
        XCTAssertNil(recorded.header("Expect"), "no 100-continue round trip for large prompts")
        XCTAssertTrue(recorded.header("User-Agent")?.hasPrefix("git-autofix/") ?? false)

        let body = try XCTUnwrap(recorded.jsonBody)
        XCTAssertEqual(body["model"] as? String, "mistralai/Devstral-Small-2505")
        XCTAssertEqual(body["stream"] as? Bool, true, "extra fields cannot turn streaming off")
        XCTAssertEqual(body["temperature"] as? Double, 0.15)
        XCTAssertEqual(body["top_p"] as? Double, 0.95)
        XCTAssertEqual(body["max_tokens"] as? Int, 2048)
        XCTAssertEqual(body["seed"] as? Int, 42)
        XCTAssertEqual(body["stop"] as? [String], ["\n```\n", "<|im_end|>"])
        XCTAssertEqual((body["stream_options"] as? [String: Any])?["include_usage"] as? Bool, true)
        XCTAssertEqual(body["repetition_penalty"] as? Double, 1.05)
        XCTAssertEqual((body["chat_template_kwargs"] as? [String: Any])?["enable_thinking"] as? Bool, false)
        let messages = try XCTUnwrap(body["messages"] as? [[String: String]])
        XCTAssertEqual(messages, [["role": "system", "content": "You write unified diffs."],
                                  ["role": "user", "content": "Make testParse pass."]])
        XCTAssertFalse(recorded.bodyText.contains(secret))

        XCTAssertFalse(log.events.isEmpty)
        for event in log.events {
            XCTAssertFalse(event.description.contains(secret), event.description)
            XCTAssertFalse(event.description.contains("testParse"), "prompts stay out of the log: \(event.description)")
        }
    }

    func testNoSeedNoStopAndNoKeyMeanTheFieldsAreAbsent() async throws {
        let server = try ScriptedSSEServer(replies: [ScriptedSSEServer.chatStream(["ok"])])
        defer { server.stop() }
        _ = await collect(OpenAICompatibleClient(endpoint: endpoint(server.baseURL)).stream(request()))
        let recorded = try XCTUnwrap(server.recordedRequests.first)
        let body = try XCTUnwrap(recorded.jsonBody)
        XCTAssertNil(body["seed"])
        XCTAssertNil(body["stop"])
        XCTAssertNil(recorded.header("Authorization"))
    }

    func testBodyBytesAreStableAndEscaped() {
        var chat = ChatRequest(model: "m", messages: [ChatMessage(role: .user, content: "tab\there \"quoted\" \\ back\nnew \u{01} é")])
        chat.extraFields = ["b": 1, "a": [true, nil, "x"]]
        XCTAssertEqual(
            RequestBody.chatCompletion(chat),
            #"{"model":"m","stream":true,"a":[true,null,"x"],"b":1,"max_tokens":2048,"stream_options":{"include_usage":true},"temperature":0.15,"top_p":0.95,"messages":[{"content":"tab\there \"quoted\" \\ back\nnew \u0001 é","role":"user"}]}"#)
    }

    func testExtraFieldsFromConfigurationTextParse() {
        XCTAssertEqual(JSONValue.parse(#"{"top_k": 20, "min_p": 0.05, "x": [1, "two", null]}"#),
                       ["top_k": 20, "min_p": 0.05, "x": [1, "two", nil]])
        XCTAssertEqual(JSONValue.parse("true"), .bool(true))
        XCTAssertNil(JSONValue.parse("{not json"))
    }
}

final class APIKeyTests: XCTestCase {
    func testOrderIsAutofixThenMistralThenOpenAI() {
        let all = ["OPENAI_API_KEY": "o", "MISTRAL_API_KEY": "m", "AUTOFIX_API_KEY": "a"]
        XCTAssertEqual(ModelEndpoint.resolveAPIKey(environment: all, preferredVariable: nil)?.source, "AUTOFIX_API_KEY")
        XCTAssertEqual(ModelEndpoint.resolveAPIKey(environment: all, preferredVariable: nil)?.key, "a")
        var noAutofix = all
        noAutofix["AUTOFIX_API_KEY"] = ""
        XCTAssertEqual(ModelEndpoint.resolveAPIKey(environment: noAutofix, preferredVariable: nil)?.source, "MISTRAL_API_KEY")
        XCTAssertEqual(ModelEndpoint.resolveAPIKey(environment: ["OPENAI_API_KEY": " o \n"], preferredVariable: nil)?.key, "o")
        XCTAssertNil(ModelEndpoint.resolveAPIKey(environment: ["HOME": "/tmp"], preferredVariable: nil))
    }

    func testANamedVariableIsTheOnlyOneRead() {
        let env = ["AUTOFIX_API_KEY": "a", "TEAM_KEY": "t"]
        XCTAssertEqual(ModelEndpoint.resolveAPIKey(environment: env, preferredVariable: "TEAM_KEY")?.key, "t")
        XCTAssertEqual(ModelEndpoint.resolveAPIKey(environment: env, preferredVariable: "TEAM_KEY")?.source, "TEAM_KEY")
        XCTAssertNil(ModelEndpoint.resolveAPIKey(environment: env, preferredVariable: "MISSING_KEY"),
                     "a named variable that is unset is not silently replaced by another key")
    }
}

final class ResolvedEndpointTests: XCTestCase {
    func testResolvedEndpointCarriesKeyAndSource() throws {
        let config = try ModelEndpoint.resolved(baseURL: "http://gpu:8000/v1", environment: ["MISTRAL_API_KEY": "k"])
        XCTAssertEqual(config.apiKey, "k")
        XCTAssertEqual(config.apiKeySource, "MISTRAL_API_KEY")
        XCTAssertNil(try ModelEndpoint.resolved(baseURL: "http://localhost:8000/v1", environment: [:]).apiKey)
    }

    func testNamedVariableThatIsUnsetIsAUsageError() {
        XCTAssertThrowsError(try ModelEndpoint.resolved(baseURL: "x", environment: ["AUTOFIX_API_KEY": "a"], apiKeyVariable: "TEAM_KEY")) {
            let error = $0 as? UsageError
            XCTAssertEqual(error?.category, .usage)
            XCTAssertTrue(error?.message.contains("TEAM_KEY") ?? false)
        }
    }
}

final class RetryPolicyTests: XCTestCase {
    func testBackoffDoublesWithJitterAndStopsAfterMaxRetries() {
        var policy = RetryPolicy(endpoint: ModelEndpoint(maxRetries: 3, retryBaseDelay: 1, maxRetryDelay: 3))
        policy.jitter = { 1 }
        XCTAssertEqual(policy.delay(beforeRetry: 1, retryAfter: nil), 1)
        XCTAssertEqual(policy.delay(beforeRetry: 2, retryAfter: nil), 2)
        XCTAssertEqual(policy.delay(beforeRetry: 3, retryAfter: nil), 3, "capped")
        XCTAssertNil(policy.delay(beforeRetry: 4, retryAfter: nil))
        policy.jitter = { 0.5 }
        XCTAssertEqual(policy.delay(beforeRetry: 2, retryAfter: nil), 1)
        XCTAssertEqual(policy.delay(beforeRetry: 1, retryAfter: 2.5), 2.5, "Retry-After is taken as given")
        XCTAssertNil(policy.delay(beforeRetry: 1, retryAfter: 10), "longer than the cap: give up rather than hang")
    }

    func testRetryAfterAsSecondsOrHTTPDate() {
        XCTAssertEqual(RetryPolicy.parseRetryAfter("7"), 7)
        let now = Date(timeIntervalSince1970: 1_767_323_045)  // Fri, 02 Jan 2026 03:04:05 GMT
        XCTAssertEqual(RetryPolicy.parseRetryAfter("Fri, 02 Jan 2026 03:04:35 GMT", now: now), 30)
        XCTAssertNil(RetryPolicy.parseRetryAfter("soon"))
        XCTAssertNil(RetryPolicy.parseRetryAfter(nil))
    }
}
