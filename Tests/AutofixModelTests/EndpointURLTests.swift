@testable import AutofixModel
import AutofixSupport
import CCurl
import AutofixTestSupport
import XCTest

/// Which endpoint URLs are accepted, and that credentials in one never show.
final class EndpointURLTests: XCTestCase {
    private let refused = [
        "file:///etc/passwd#", "gopher://127.0.0.1:70/_hello", "dict://127.0.0.1:2628/d:x", "telnet://127.0.0.1:23",
        "ldap://127.0.0.1/dc=x", "ftp://127.0.0.1/v1", "localhost:8000/v1", "not a url", "http://", "https:///v1",
        "http://127.0.0.1:99999/v1", "http://127.0.0.1:8000/v1?api-version=1", "http://127.0.0.1:8000/v1#x", "",
        "http://127.0.0.1:8000/v1\n",
    ]

    func testOnlyHTTPAndHTTPSEndpointsWithAHostAreAccepted() throws {
        for url in ["http://localhost:8000/v1", "https://api.mistral.ai/v1", "HTTP://127.0.0.1:8000/v1/", "http://[::1]:8000/v1",
                    "http://user:secret@127.0.0.1:8000/v1"] {
            XCTAssertNoThrow(try ModelEndpoint.validate(url), url)
        }
        for url in refused {
            XCTAssertThrowsError(try ModelEndpoint.validate(url), url.debugDescription) { error in
                let error = error as? ModelError
                XCTAssertEqual(error?.kind, .invalidEndpoint, url)
                XCTAssertEqual(error?.category, .usage, "a bad endpoint is a usage error (exit 2)")
                XCTAssertTrue(error?.message.hasPrefix("invalid model endpoint: ") ?? false, error?.message ?? "")
                XCTAssertNotNil(error?.hint)
            }
        }
    }

    func testTheSchemeIsNamedInTheMessage() {
        XCTAssertThrowsError(try ModelEndpoint.validate("gopher://127.0.0.1:70/_x")) {
            XCTAssertTrue(($0 as? ModelError)?.message.contains("\"gopher\": only http and https") ?? false, "\($0)")
        }
    }

    /// The settings step (`resolved`) is where a run or `doctor` first sees the URL: a refused
    /// one stops there, before any baseline run or request.
    func testResolvingAnEndpointRefusesAFileURL() {
        XCTAssertThrowsError(try ModelEndpoint.resolved(baseURL: "file:///etc/passwd#", environment: [:])) { error in
            XCTAssertEqual((error as? ModelError)?.kind, .invalidEndpoint)
            XCTAssertEqual((error as? AutofixError)?.category, .usage)
            XCTAssertFalse("\(error)".contains("root:"), "the file was read")
        }
    }

    /// A client made with a refused URL (not through `resolved`) makes no request at all.
    func testAClientWithARefusedURLMakesNoRequest() async throws {
        let server = try HostileServer(.tinyDeltas(count: 1, size: 1))
        defer { server.stop() }
        for scheme in ["gopher", "dict", "telnet", "ftp", "ldap"] {
            let client = OpenAICompatibleClient(endpoint: endpoint("\(scheme)://127.0.0.1:\(server.port)/v1"))
            let reply = await collect(client.stream(request()))
            XCTAssertEqual(reply.modelError?.kind, .invalidEndpoint, scheme)
            XCTAssertEqual(reply.modelError?.attempts, 0, scheme)
            do {
                _ = try await client.listModels()
                XCTFail("\(scheme): listModels made a request")
            } catch let error as ModelError {
                XCTAssertEqual(error.kind, .invalidEndpoint)
            }
            do {
                try await client.checkReachable()
                XCTFail("\(scheme): checkReachable connected")
            } catch let error as ModelError {
                XCTAssertEqual(error.kind, .invalidEndpoint)
            }
        }
        // Give a connection that was made the time to show up before counting.
        try await Task.sleep(nanoseconds: 300_000_000)
        server.waitUntilIdle(connections: 0)
        XCTAssertEqual(server.connections.count, 0, "a refused scheme reached the server")
    }

    /// libcurl itself is held to http and https (`CURLOPT_PROTOCOLS_STR`), below the URL check.
    func testTheTransferRefusesOtherProtocolsItself() async throws {
        let server = try HostileServer(.tinyDeltas(count: 1, size: 1))
        defer { server.stop() }
        for url in ["gopher://127.0.0.1:\(server.port)/_GET%20/", "dict://127.0.0.1:\(server.port)/d:x", "file:///etc/hostname"] {
            var body: [UInt8] = []
            let transfer = CurlTransfer(
                CurlTransfer.Request(method: "GET", url: url, headers: [], body: nil, connectTimeout: 5, idleTimeout: 5, totalTimeout: 5),
                onBody: { _, _, bytes in body += bytes; return true })
            let result = await transfer.run()
            XCTAssertEqual(result.code, CURLE_UNSUPPORTED_PROTOCOL, "\(url): \(result.detail)")
            XCTAssertTrue(body.isEmpty, url)
        }
        try await Task.sleep(nanoseconds: 300_000_000)
        server.waitUntilIdle(connections: 0)
        XCTAssertEqual(server.connections.count, 0)
    }

    func testRedactedHidesCredentials() {
        XCTAssertEqual(ModelEndpoint.redacted("http://user:password@host/v1"), "http://***@host/v1")
        XCTAssertEqual(ModelEndpoint.redacted("https://token@host:8443/v1"), "https://***@host:8443/v1")
        XCTAssertEqual(ModelEndpoint.redacted("http://host/v1"), "http://host/v1")
        XCTAssertEqual(ModelEndpoint.redacted("user:pw@host/v1"), "***@host/v1")
        XCTAssertEqual(ModelEndpoint.redacted("http://u:p/a#ss@host/v1"), "http://***@host/v1", "unescaped / and # in a password")
        XCTAssertEqual(ModelEndpoint.redacted(""), "")
        XCTAssertEqual(ModelEndpoint(baseURL: "http://u:pw@h/v1").redactedBaseURL, "http://***@h/v1")
    }

    /// Every message, URL and event the client produces shows `***` for the credentials.
    func testCredentialsInTheURLNeverAppearInErrorsOrEvents() async throws {
        let unused = try ScriptedSSEServer.unusedLoopbackURL()
        let withSecret = unused.replacingOccurrences(of: "http://", with: "http://alice:s3cr3t-pw@")
        let log = EventLog()
        let client = OpenAICompatibleClient(endpoint: endpoint(withSecret, maxRetries: 1), observer: log.record)
        let reply = await collect(client.stream(request()))
        let error = try XCTUnwrap(reply.modelError)
        XCTAssertEqual(error.kind, .connectionRefused)
        XCTAssertFalse(log.events.isEmpty)
        var shown = [error.message, error.hint ?? "", error.url, "\(error)", "\(client.endpoint)", String(reflecting: client.endpoint)]
        shown += log.events.map(\.description)
        for text in shown {
            XCTAssertFalse(text.contains("s3cr3t"), text)
            XCTAssertFalse(text.contains("alice"), text)
        }
        XCTAssertTrue(error.message.contains("http://***@127.0.0.1:"), error.message)

        let server = try ScriptedSSEServer(replies: [.json(404, #"{"error":"nope"}"#)])
        defer { server.stop() }
        let secretServer = server.baseURL.replacingOccurrences(of: "http://", with: "http://alice:s3cr3t-pw@")
        let notFound = await collect(OpenAICompatibleClient(endpoint: endpoint(secretServer)).stream(request()))
        let text = "\(try XCTUnwrap(notFound.modelError))"
        XCTAssertFalse(text.contains("s3cr3t"), text)
        XCTAssertTrue(text.contains("***@"), text)
        // The credentials still work as HTTP basic authentication.
        XCTAssertEqual(server.recordedRequests.first?.header("Authorization"), "Basic " + Data("alice:s3cr3t-pw".utf8).base64EncodedString())
    }

    /// Whatever a message builder forgets, an error made for a URL with credentials hides them.
    func testAnErrorHidesCredentialsItsMessageRepeats() {
        let url = "http://bob:hunter22@127.0.0.1/v1"
        let error = ModelError(kind: .transport, message: "failed at \(url): hunter22 rejected", hint: "retry \(url)",
                               url: url, serverMessage: "bad password hunter22")
        for text in [error.message, error.hint ?? "", error.url, error.serverMessage ?? "", "\(error.with(attempts: 2))"] {
            XCTAssertFalse(text.contains("hunter22"), text)
            XCTAssertFalse(text.contains("bob:"), text)
        }
        XCTAssertEqual(error.url, "http://***@127.0.0.1/v1")
        XCTAssertEqual(ModelError(kind: .transport, message: "a at http://a@h/v1", url: "http://a@h/v1").message, "a at http://***@h/v1",
                       "a short user name is not hidden all over the message")
    }

    func testAnExtraFieldCannotRaiseMaxTokens() throws {
        var chat = ChatRequest(model: "m", messages: [])
        chat.maxTokens = 2048
        for (extra, sent) in [(JSONValue.int(1_000_000), 2048), (.int(100), 100), (.double(5e9), 2048), (.string("lots"), 2048), (.int(-1), 2048)] {
            chat.extraFields = ["max_tokens": extra, "max_completion_tokens": extra]
            let body = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(RequestBody.chatCompletion(chat).utf8)) as? [String: Any])
            XCTAssertEqual(body["max_tokens"] as? Int, sent, "\(extra)")
            XCTAssertEqual(body["max_completion_tokens"] as? Int, sent, "\(extra)")
        }
    }
}
