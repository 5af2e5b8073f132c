import AutofixModel
import AutofixTestSupport
import XCTest

/// https against a real TLS server on 127.0.0.1 (Python's http.server behind ssl) whose
/// certificate no system CA signed: refused by default, accepted with `caInfo`.
final class TLSTests: XCTestCase {
    private static let server = #"""
        import http.server, ssl, sys
        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                body = (b'data: {"choices":[{"index":0,"delta":{"content":"over tls"}}]}\n\n'
                        b'data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n'
                        b'data: [DONE]\n\n')
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            def log_message(self, *args):
                pass
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(sys.argv[1], sys.argv[2])
        server.socket = context.wrap_socket(server.socket, server_side=True)
        print(server.server_address[1], flush=True)
        server.serve_forever()
        """#

    private var directory: TemporaryDirectory!
    private var process: Process?
    private var baseURL = ""

    override func setUpWithError() throws {
        for tool in ["openssl", "python3"] {
            try XCTSkipUnless(try Shell.run(["sh", "-c", "command -v \(tool)"]).succeeded, "\(tool) is not installed")
        }
        directory = try TemporaryDirectory()
        try Shell.check(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                         "-keyout", directory.file("key.pem").path, "-out", directory.file("cert.pem").path,
                         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"])
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", Self.server, directory.file("cert.pem").path, directory.file("key.pem").path]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        self.process = process
        var port = ""
        while !port.hasSuffix("\n") {
            let byte = output.fileHandleForReading.readData(ofLength: 1)
            guard !byte.isEmpty else { throw ServerDidNotStart() }
            port += String(decoding: byte, as: UTF8.self)
        }
        baseURL = "https://127.0.0.1:\(port.trimmingCharacters(in: .whitespacesAndNewlines))/v1"
    }

    private struct ServerDidNotStart: Error {}

    override func tearDown() {
        process?.terminate()
        process?.waitUntilExit()
    }

    func testAnUntrustedCertificateIsRefusedWithTheSettingThatFixesIt() async throws {
        let client = OpenAICompatibleClient(endpoint: endpoint(baseURL, maxRetries: 3))
        let reply = await collect(client.stream(request()))
        let error = try XCTUnwrap(reply.modelError)
        XCTAssertEqual(error.kind, .transport)
        XCTAssertTrue(error.message.contains("certificate"), error.message)
        XCTAssertTrue(error.hint?.contains("autofix.sslCAInfo") ?? false, error.hint ?? "")
        XCTAssertEqual(error.attempts, 1, "a certificate problem is not retried")
    }

    func testTheCAFileMakesTheSameServerWork() async throws {
        var trusted = endpoint(baseURL)
        trusted.caInfo = directory.file("cert.pem").path
        let client = OpenAICompatibleClient(endpoint: trusted)
        try await client.checkReachable()
        let reply = await collect(client.stream(request()))
        XCTAssertNil(reply.error)
        XCTAssertEqual(reply.text, "over tls")
    }
}
