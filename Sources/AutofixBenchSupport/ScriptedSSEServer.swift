import AutofixSupport
import Foundation

/// A real HTTP/1.1 server on 127.0.0.1 (ephemeral port) that answers each request with the next
/// scripted reply: status, headers, body chunks with delays, then a clean end, an abrupt drop or
/// a stall. For testing model clients against real sockets without a model.
///
/// Call `stop()` when done (a `defer` right after creating it): the server's threads keep it
/// alive until then.
///
/// `GET …/models` is answered from `models` when given (without using up a scripted reply), with
/// vLLM's `max_model_len` on each entry when `maxModelLen` is given; without `models` it is a 404,
/// unless `modelListFromReplies` lets it take the next reply. `GET /props` is llama.cpp's, with
/// `n_ctx` when `llamaContext` is given, else a 404. These answers are kept in `infoRequests`
/// (a listed `/models` in `recordedRequests`, as before). Every other request takes the next
/// reply, and a 500 naming the request when none is left.
public final class ScriptedSSEServer: @unchecked Sendable {
    /// One scripted HTTP response.
    public struct Reply: Sendable {
        public enum Framing: Sendable {
            /// `Transfer-Encoding: chunked`, as uvicorn (vLLM) streams.
            case chunked
            /// No length: the body ends when the server closes the connection.
            case closeDelimited
            /// `Content-Length` of the whole body.
            case contentLength
        }

        public enum Ending: Sendable {
            /// Finish the body properly and close.
            case close
            /// Close the socket right after the last chunk without finishing the framing.
            case drop
            /// Reset the connection (RST) right after the last chunk: a crashed server.
            case reset
            /// Send nothing more for this many seconds (or until the client leaves), then close.
            case stall(seconds: Double)
        }

        public var status: Int
        public var headers: [(String, String)]
        public var chunks: [Chunk]
        public var framing: Framing
        public var ending: Ending

        public init(
            status: Int = 200, headers: [(String, String)] = [], chunks: [Chunk] = [],
            framing: Framing = .chunked, ending: Ending = .close
        ) {
            self.status = status
            self.headers = headers
            self.chunks = chunks
            self.framing = framing
            self.ending = ending
        }

        /// A JSON body with the given status, e.g. an error object.
        public static func json(_ status: Int, _ body: String, headers: [(String, String)] = []) -> Reply {
            Reply(status: status, headers: [("Content-Type", "application/json")] + headers,
                  chunks: [Chunk(body)], framing: .contentLength)
        }

        /// An event stream made of `events`, each sent as its own write.
        public static func events(_ events: [String], delay: Double = 0, ending: Ending = .close) -> Reply {
            Reply(status: 200, headers: [("Content-Type", "text/event-stream"), ("Cache-Control", "no-cache")],
                  chunks: events.map { Chunk($0, delay: delay) }, ending: ending)
        }
    }

    /// Bytes written in one `send`, after waiting `delay` seconds.
    public struct Chunk: Sendable {
        public var bytes: [UInt8]
        public var delay: Double

        public init(_ text: String, delay: Double = 0) { self.init(bytes: Array(text.utf8), delay: delay) }
        public init(bytes: [UInt8], delay: Double = 0) {
            self.bytes = bytes
            self.delay = delay
        }
    }

    /// A request as it arrived.
    public struct RecordedRequest: Sendable {
        public var method: String
        public var path: String
        public var headers: [(name: String, value: String)]
        public var body: Data
        public var bodyText: String { String(decoding: body, as: UTF8.self) }
        /// The raw request head and body as received.
        public var raw: Data

        public func header(_ name: String) -> String? {
            headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
        }

        /// The body parsed as a JSON object (nil when it is not one).
        public var jsonBody: [String: Any]? {
            (try? JSONSerialization.jsonObject(with: body)) as? [String: Any]
        }
    }

    /// What happened on one connection that got a scripted reply.
    public struct ConnectionRecord: Sendable {
        public var replyIndex: Int
        /// Chunks fully written before the reply ended or the client left.
        public var chunksSent: Int
        /// Monotonic time (DispatchTime uptime nanoseconds) right after each chunk was written.
        public var chunkSentAt: [UInt64]
        /// True when the client closed the connection before the scripted reply was over.
        public var clientLeftEarly: Bool
        /// Monotonic time at which the server saw the client leave.
        public var clientLeftAt: UInt64?
    }

    public let port: UInt16
    public var baseURL: String { "http://127.0.0.1:\(port)/v1" }

    private let listener: Int32
    private let wakePipe: (read: Int32, write: Int32)
    private let lock = NSLock()
    private var replies: [Reply]
    private var nextReply = 0
    private let models: [String]?
    private let maxModelLen: Int?
    private let llamaContext: Int?
    private let modelListFromReplies: Bool
    private var requests: [RecordedRequest] = []
    private var infos: [RecordedRequest] = []
    private var connectionRecords: [ConnectionRecord] = []
    private var stopped = false
    private let finished = DispatchGroup()

    /// Starts serving. With `listenAfter`, the port is reserved at once but connections are
    /// refused until that many seconds have passed (a server that is still starting).
    public init(replies: [Reply], models: [String]? = nil, maxModelLen: Int? = nil, llamaContext: Int? = nil,
                modelListFromReplies: Bool = false, listenAfter: Double = 0) throws {
        self.replies = replies
        self.models = models
        self.maxModelLen = maxModelLen
        self.llamaContext = llamaContext
        self.modelListFromReplies = modelListFromReplies
        let (fd, boundPort): (Int32, UInt16)
        do {
            (fd, boundPort) = try LoopbackSocket.bind()
        } catch let failure as LoopbackSocket.Failure {
            throw ServerError(failure.call, failure.code)
        }
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { close(fd); throw ServerError("pipe", errno) }
        listener = fd
        port = boundPort
        wakePipe = (fds[0], fds[1])

        if listenAfter <= 0 {
            guard listen(fd, 64) == 0 else {
                let code = errno
                close(fd)
                close(fds[0])
                close(fds[1])
                throw ServerError("listen", code)
            }
        }
        finished.enter()
        let thread = Thread { [self] in
            defer { finished.leave() }
            if listenAfter > 0 {
                if waitForWake(seconds: listenAfter) { return }
                guard listen(listener, 64) == 0 else { return }
            }
            acceptLoop()
        }
        thread.name = "scripted-sse-accept"
        thread.start()
    }

    deinit { stop() }

    /// Requests received so far, in order of arrival.
    public var recordedRequests: [RecordedRequest] {
        lock.lock()
        defer { lock.unlock() }
        return requests
    }

    /// The requests for what the server is that no scripted reply answered (`/props`, an unlisted `/models`).
    public var infoRequests: [RecordedRequest] {
        lock.lock()
        defer { lock.unlock() }
        return infos
    }

    /// Connections that got a scripted reply, in the order replies were taken.
    public var connections: [ConnectionRecord] {
        lock.lock()
        defer { lock.unlock() }
        return connectionRecords.sorted { $0.replyIndex < $1.replyIndex }
    }

    /// Waits (up to `timeout` seconds) until every connection served so far has ended, so that
    /// `connections` is final. Returns false on timeout.
    @discardableResult
    public func waitUntilIdle(timeout: Double = 10) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            lock.lock()
            let busy = activeConnections
            lock.unlock()
            if busy == 0 { return true }
            usleep(2_000)
        }
        return false
    }

    private var activeConnections = 0

    /// Stops accepting, ends stalls and closes every connection. Safe to call twice.
    public func stop() {
        lock.lock()
        let first = !stopped
        stopped = true
        lock.unlock()
        guard first else { return }
        var byte: UInt8 = 1
        _ = write(wakePipe.write, &byte, 1)
        shutdown(listener, Int32(SHUT_RDWR))
        _ = finished.wait(timeout: .now() + 10)
        close(listener)
        close(wakePipe.read)
        close(wakePipe.write)
    }

    // MARK: - Convenience replies

    /// An OpenAI-style stream: one `chat.completion.chunk` per delta (a role chunk first), a chunk
    /// with `finishReason`, a usage chunk when `usage` is given, then `data: [DONE]`.
    public static func chatStream(
        _ deltas: [String], finishReason: String = "stop", usage: (prompt: Int, completion: Int)? = nil,
        model: String = "test-model", delay: Double = 0, ending: Reply.Ending = .close
    ) -> Reply {
        .events(chatStreamEvents(deltas, finishReason: finishReason, usage: usage, model: model), delay: delay, ending: ending)
    }

    /// The SSE events of `chatStream`, for scripts that cut, split or garble them.
    public static func chatStreamEvents(
        _ deltas: [String], finishReason: String? = "stop", usage: (prompt: Int, completion: Int)? = nil,
        model: String = "test-model", done: Bool = true
    ) -> [String] {
        var events = [chunkEvent(#"{"role":"assistant","content":""}"#, finishReason: nil, model: model)]
        for delta in deltas {
            events.append(chunkEvent(#"{"content":\#(jsonString(delta))}"#, finishReason: nil, model: model))
        }
        if let finishReason { events.append(chunkEvent("{}", finishReason: finishReason, model: model)) }
        if let usage {
            let total = usage.prompt + usage.completion
            events.append(
                "data: {\"id\":\"chatcmpl-test\",\"object\":\"chat.completion.chunk\",\"created\":1767323045,\"model\":\(jsonString(model)),\"choices\":[],\"usage\":{\"prompt_tokens\":\(usage.prompt),\"completion_tokens\":\(usage.completion),\"total_tokens\":\(total)}}\n\n")
        }
        if done { events.append("data: [DONE]\n\n") }
        return events
    }

    private static func chunkEvent(_ delta: String, finishReason: String?, model: String) -> String {
        let reason = finishReason.map(jsonString) ?? "null"
        return "data: {\"id\":\"chatcmpl-test\",\"object\":\"chat.completion.chunk\",\"created\":1767323045,\"model\":\(jsonString(model)),\"choices\":[{\"index\":0,\"delta\":\(delta),\"logprobs\":null,\"finish_reason\":\(reason)}],\"usage\":null}\n\n"
    }

    /// `text` as a JSON string literal.
    public static func jsonString(_ text: String) -> String {
        let data = try! JSONSerialization.data(withJSONObject: [text], options: [.withoutEscapingSlashes])
        let array = String(decoding: data, as: UTF8.self)
        return String(array.dropFirst().dropLast())
    }

    /// A URL on 127.0.0.1 where nothing listens (the port was just free), for connection refused.
    public static func unusedLoopbackURL() throws -> String {
        let probe = try ScriptedSSEServer(replies: [], listenAfter: 3600)
        let url = probe.baseURL
        probe.stop()
        return url
    }

    // MARK: - Serving

    /// Waits up to `seconds` for `stop()`; true when stopped.
    private func waitForWake(seconds: Double) -> Bool {
        var poller = pollfd(fd: wakePipe.read, events: Int16(POLLIN), revents: 0)
        return poll(&poller, 1, Int32(seconds * 1000)) > 0
    }

    private func acceptLoop() {
        while true {
            var pollers = [
                pollfd(fd: listener, events: Int16(POLLIN), revents: 0),
                pollfd(fd: wakePipe.read, events: Int16(POLLIN), revents: 0),
            ]
            guard poll(&pollers, 2, -1) >= 0 || errno == EINTR else { return }
            if pollers[1].revents != 0 { return }
            guard pollers[0].revents != 0 else { continue }
            let client = accept(listener, nil, nil)
            if client < 0 {
                if errno == EINTR || errno == EAGAIN || errno == ECONNABORTED { continue }
                return
            }
            var one: Int32 = 1
            setsockopt(client, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            lock.lock()
            activeConnections += 1
            lock.unlock()
            finished.enter()
            let thread = Thread { [self] in
                defer {
                    close(client)
                    lock.lock()
                    activeConnections -= 1
                    lock.unlock()
                    finished.leave()
                }
                serve(client)
            }
            thread.name = "scripted-sse-connection"
            thread.start()
        }
    }

    private func serve(_ client: Int32) {
        guard let request = readRequest(client) else { return }
        let lastComponent = request.path.split(separator: "?").first.map(String.init) ?? request.path
        if let info = infoReply(request, path: lastComponent) {
            _ = send(client, reply: info, index: nil)
            return
        }
        lock.lock()
        requests.append(request)
        lock.unlock()
        if request.method == "GET", lastComponent.hasSuffix("/models"), let models {
            let length = maxModelLen.map { ",\"max_model_len\":\($0)" } ?? ""
            let list = models.map { "{\"id\":\(Self.jsonString($0)),\"object\":\"model\",\"owned_by\":\"test\"\(length)}" }
            _ = send(client, reply: .json(200, "{\"object\":\"list\",\"data\":[\(list.joined(separator: ","))]}"), index: nil)
            return
        }
        lock.lock()
        let index = nextReply
        let reply = index < replies.count ? replies[index] : nil
        nextReply += 1
        lock.unlock()
        if let reply {
            _ = send(client, reply: reply, index: index)
        } else {
            _ = send(client, reply: .json(500, "{\"error\":{\"message\":\"no scripted reply left for \(request.method) \(request.path)\"}}"), index: nil)
        }
    }

    /// The answer to a request for what the server is (`/props`, an unlisted `/models`), which
    /// uses up no scripted reply; nil for every other request.
    private func infoReply(_ request: RecordedRequest, path: String) -> Reply? {
        guard request.method == "GET" else { return nil }
        let reply: Reply
        if path == "/props" {
            reply = llamaContext.map { .json(200, "{\"default_generation_settings\":{\"n_ctx\":\($0)},\"total_slots\":1}") }
                ?? .json(404, "{\"error\":\"not found\"}")
        } else if path.hasSuffix("/models"), models == nil, !modelListFromReplies {
            reply = .json(404, "{\"error\":\"not found\"}")
        } else {
            return nil
        }
        lock.lock()
        infos.append(request)
        lock.unlock()
        return reply
    }

    private func readRequest(_ client: Int32) -> RecordedRequest? {
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        var headEnd: Int?
        var contentLength = 0
        while true {
            if let headEnd, buffer.count >= headEnd + contentLength { break }
            let count = recv(client, &chunk, chunk.count, 0)
            if count <= 0 { return nil }
            buffer.append(contentsOf: chunk[0..<count])
            if headEnd == nil, let range = Self.find([13, 10, 13, 10], in: buffer) {
                headEnd = range + 4
                let head = String(decoding: buffer[0..<range], as: UTF8.self)
                for line in head.split(separator: "\r\n").dropFirst() {
                    let parts = line.split(separator: ":", maxSplits: 1)
                    if parts.count == 2, parts[0].lowercased() == "content-length" {
                        contentLength = Int(parts[1].trimmingCharacters(in: .whitespaces)) ?? 0
                    }
                }
            }
        }
        guard let headEnd else { return nil }
        let head = String(decoding: buffer[0..<(headEnd - 4)], as: UTF8.self)
        let lines = head.split(separator: "\r\n", omittingEmptySubsequences: false)
        let requestLine = lines.first?.split(separator: " ") ?? []
        guard requestLine.count >= 2 else { return nil }
        var headers: [(name: String, value: String)] = []
        for line in lines.dropFirst() {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else { continue }
            headers.append((String(parts[0]), parts[1].trimmingCharacters(in: .whitespaces)))
        }
        return RecordedRequest(
            method: String(requestLine[0]), path: String(requestLine[1]), headers: headers,
            body: Data(buffer[headEnd..<(headEnd + contentLength)]), raw: Data(buffer))
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
            if Array(haystack[start..<(start + needle.count)]) == needle { return start }
        }
        return nil
    }

    /// Writes `reply`; returns false when the client left early.
    private func send(_ client: Int32, reply: Reply, index: Int?) -> Bool {
        var record = ConnectionRecord(replyIndex: index ?? -1, chunksSent: 0, chunkSentAt: [], clientLeftEarly: false, clientLeftAt: nil)
        defer {
            if index != nil {
                lock.lock()
                connectionRecords.append(record)
                lock.unlock()
            }
        }
        func clientLeft() -> Bool {
            record.clientLeftEarly = true
            record.clientLeftAt = DispatchTime.now().uptimeNanoseconds
            return false
        }

        var head = "HTTP/1.1 \(reply.status) \(Self.reason(reply.status))\r\n"
        for (name, value) in reply.headers { head += "\(name): \(value)\r\n" }
        switch reply.framing {
        case .chunked: head += "Transfer-Encoding: chunked\r\n"
        case .contentLength: head += "Content-Length: \(reply.chunks.reduce(0) { $0 + $1.bytes.count })\r\n"
        case .closeDelimited: break
        }
        head += "Connection: close\r\n\r\n"
        guard writeAll(client, Array(head.utf8)) else { return clientLeft() }

        for chunk in reply.chunks {
            if chunk.delay > 0, waitWhileConnected(client, seconds: chunk.delay) { return clientLeft() }
            let framed: [UInt8]
            if case .chunked = reply.framing {
                if chunk.bytes.isEmpty { continue }
                framed = Array(String(chunk.bytes.count, radix: 16).utf8) + [13, 10] + chunk.bytes + [13, 10]
            } else {
                framed = chunk.bytes
            }
            guard writeAll(client, framed) else { return clientLeft() }
            record.chunksSent += 1
            record.chunkSentAt.append(DispatchTime.now().uptimeNanoseconds)
        }
        switch reply.ending {
        case .close:
            if case .chunked = reply.framing { guard writeAll(client, Array("0\r\n\r\n".utf8)) else { return clientLeft() } }
            shutdown(client, Int32(SHUT_WR))
            // Let the client read everything and close first, so no reset destroys unread data.
            _ = waitWhileConnected(client, seconds: 2)
        case .drop:
            shutdown(client, Int32(SHUT_WR))
            _ = waitWhileConnected(client, seconds: 2)
        case .reset:
            var linger = Foundation.linger(l_onoff: 1, l_linger: 0)
            setsockopt(client, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Foundation.linger>.size))
        case .stall(let seconds):
            if waitWhileConnected(client, seconds: seconds) { return clientLeft() }
        }
        return true
    }

    /// Waits `seconds` while watching the socket; true as soon as the client closed it (or the
    /// server was stopped).
    private func waitWhileConnected(_ client: Int32, seconds: Double) -> Bool {
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(seconds * 1e9)
        var scratch = [UInt8](repeating: 0, count: 4096)
        while true {
            let now = DispatchTime.now().uptimeNanoseconds
            if now >= deadline { return false }
            var pollers = [
                pollfd(fd: client, events: Int16(POLLIN) | Self.pollReadHangUp, revents: 0),
                pollfd(fd: wakePipe.read, events: Int16(POLLIN), revents: 0),
            ]
            let waitMilliseconds = Int32(min(Double(deadline - now) / 1e6 + 1, 60_000))
            let ready = poll(&pollers, 2, waitMilliseconds)
            if ready < 0 { if errno == EINTR { continue } else { return true } }
            if pollers[1].revents != 0 { return true }
            if pollers[0].revents != 0 {
                // Data from the client (none expected) or end of stream.
                let count = recv(client, &scratch, scratch.count, Int32(MSG_DONTWAIT))
                if count == 0 || (count < 0 && errno != EAGAIN && errno != EINTR) { return true }
            }
        }
    }

    /// Linux's POLLRDHUP (peer closed its end), which Glibc does not export to Swift.
    private static let pollReadHangUp: Int16 = 0x2000

    private func writeAll(_ client: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes {
                Foundation.send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            if written < 0 {
                if errno == EINTR { continue }
                return false
            }
            offset += written
        }
        return true
    }

    private static func reason(_ status: Int) -> String {
        switch status {
        case 200: return "OK"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 422: return "Unprocessable Entity"
        case 429: return "Too Many Requests"
        case 500: return "Internal Server Error"
        case 502: return "Bad Gateway"
        case 503: return "Service Unavailable"
        default: return "Status"
        }
    }
}

public struct ServerError: Error, CustomStringConvertible {
    public let call: String
    public let code: Int32
    public init(_ call: String, _ code: Int32) {
        self.call = call
        self.code = code
    }
    public var description: String { "\(call) failed: \(SystemCallError(call, path: "", code: code).reason)" }
}
