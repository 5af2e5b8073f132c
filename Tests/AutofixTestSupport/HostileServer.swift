import Foundation

/// A real HTTP/1.1 server on 127.0.0.1 that answers every request the way a broken or malicious
/// model server would: text that never stops, lines that never end, one endless event or body,
/// one byte at a time. It counts what it managed to send, so a test can check that the client
/// hung up early instead of timing the client.
///
/// Every connection is bounded by the server itself too (`maxSeconds`, `maxBytes`), so a client
/// that never hangs up (the bug under test) still ends its test. Call `stop()` when done.
public final class HostileServer: @unchecked Sendable {
    public enum Behavior: Sendable {
        /// A well-formed chat stream of `count` deltas of `size` characters, none with a line
        /// break, each event written on its own, then a finish reason and `[DONE]`.
        case tinyDeltas(count: Int, size: Int)
        /// Well-formed chat deltas of `size` characters, one after the other, never finishing:
        /// a server that ignores `max_tokens`.
        case endlessDeltas(size: Int)
        /// `data: xxxx…` without ever sending a line break.
        case endlessLine
        /// `data: …` lines of `lineSize` bytes, never the blank line that ends the event.
        case endlessEvent(lineSize: Int)
        /// One event whose single `data:` line is `bytes` long, then `[DONE]`.
        case hugeEvent(bytes: Int)
        /// An `application/json` body that never ends (`{"data":[{"id":"m0"},{"id":"m1"},…`),
        /// with the given status.
        case endlessJSON(status: Int)
        /// An event stream that sends one byte of a line that never ends every `interval` seconds.
        case trickle(interval: Double)
        /// Response header lines without end.
        case endlessHeaders
    }

    /// What happened on one connection.
    public struct Connection: Sendable {
        public var method: String
        public var path: String
        /// Response bytes written (head and body).
        public var bytesSent: Int
        /// The client closed the connection while the server still had more to send.
        public var clientLeftEarly: Bool
        /// The server stopped on its own bounds (`maxSeconds` or `maxBytes`): the client never left.
        public var hitServerBound: Bool
    }

    public let port: UInt16
    public var baseURL: String { "http://127.0.0.1:\(port)/v1" }
    public let behavior: Behavior
    public let maxSeconds: Double
    public let maxBytes: Int

    private let listener: Int32
    private let lock = NSLock()
    private var records: [Connection] = []
    private var active = 0
    private var stopped = false
    private let finished = DispatchGroup()

    public init(_ behavior: Behavior, maxSeconds: Double = 60, maxBytes: Int = 512 << 20) throws {
        self.behavior = behavior
        self.maxSeconds = maxSeconds
        self.maxBytes = maxBytes
        let (fd, boundPort): (Int32, UInt16)
        do {
            (fd, boundPort) = try LoopbackSocket.bind()
        } catch let failure as LoopbackSocket.Failure {
            throw ServerError(failure.call, failure.code)
        }
        guard listen(fd, 16) == 0 else {
            let code = errno
            close(fd)
            throw ServerError("listen", code)
        }
        listener = fd
        port = boundPort
        finished.enter()
        let thread = Thread { [self] in
            defer { finished.leave() }
            acceptLoop()
        }
        thread.name = "hostile-accept"
        thread.start()
    }

    deinit { stop() }

    /// Connections that ended, in the order they ended.
    public var connections: [Connection] {
        lock.lock()
        defer { lock.unlock() }
        return records
    }

    /// Waits (up to `timeout` seconds) until at least `count` connections were served and none is
    /// open. Returns false on timeout.
    @discardableResult
    public func waitUntilIdle(connections count: Int = 1, timeout: Double = 30) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            lock.lock()
            let done = active == 0 && records.count >= count
            lock.unlock()
            if done { return true }
            usleep(5_000)
        }
        return false
    }

    public func stop() {
        lock.lock()
        let first = !stopped
        stopped = true
        lock.unlock()
        guard first else { return }
        shutdown(listener, Int32(SHUT_RDWR))
        _ = finished.wait(timeout: .now() + 10)
        close(listener)
    }

    private var isStopped: Bool {
        lock.lock()
        defer { lock.unlock() }
        return stopped
    }

    // MARK: - Serving

    private func acceptLoop() {
        while !isStopped {
            var poller = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, 100)
            if ready < 0 && errno != EINTR { return }
            guard ready > 0 else { continue }
            let client = accept(listener, nil, nil)
            if client < 0 {
                if errno == EINTR || errno == EAGAIN || errno == ECONNABORTED { continue }
                return
            }
            var one: Int32 = 1
            setsockopt(client, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            // A blocked write wakes up now and then to check the server's own bounds.
            var interval = timeval(tv_sec: 0, tv_usec: 200_000)
            setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &interval, socklen_t(MemoryLayout<timeval>.size))
            lock.lock()
            active += 1
            lock.unlock()
            finished.enter()
            let thread = Thread { [self] in
                var record = Connection(method: "", path: "", bytesSent: 0, clientLeftEarly: false, hitServerBound: false)
                defer {
                    close(client)
                    lock.lock()
                    records.append(record)
                    active -= 1
                    lock.unlock()
                    finished.leave()
                }
                serve(client, &record)
            }
            thread.name = "hostile-connection"
            thread.start()
        }
    }

    private enum WriteOutcome { case ok, clientLeft, bound }

    private func serve(_ client: Int32, _ record: inout Connection) {
        guard let (method, path) = readRequest(client) else { return }
        record.method = method
        record.path = path
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(maxSeconds * 1e9)

        func send(_ bytes: [UInt8]) -> WriteOutcome {
            var offset = 0
            while offset < bytes.count {
                if isStopped || DispatchTime.now().uptimeNanoseconds >= deadline || record.bytesSent >= maxBytes {
                    record.hitServerBound = true
                    return .bound
                }
                let written = bytes[offset...].withUnsafeBytes {
                    Foundation.send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
                }
                if written < 0 {
                    if errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK { continue }
                    record.clientLeftEarly = true
                    return .clientLeft
                }
                offset += written
                record.bytesSent += written
            }
            return .ok
        }
        func send(_ text: String) -> WriteOutcome { send(Array(text.utf8)) }
        /// Sends `next()` until the client leaves or a bound is hit.
        func sendForever(_ next: () -> [UInt8]) {
            while send(next()) == .ok {}
        }
        /// Waits `seconds`; true when the client left meanwhile.
        func clientLeft(within seconds: Double) -> Bool {
            var poller = pollfd(fd: client, events: Int16(POLLIN) | 0x2000, revents: 0)
            guard poll(&poller, 1, Int32(seconds * 1000)) > 0 else { return false }
            var scratch = [UInt8](repeating: 0, count: 256)
            let count = recv(client, &scratch, scratch.count, Int32(MSG_DONTWAIT))
            return count == 0 || (count < 0 && errno != EAGAIN && errno != EINTR)
        }

        let eventStream = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n"
        switch behavior {
        case .tinyDeltas(let count, let size):
            guard send(eventStream) == .ok else { return }
            let text = String(repeating: "x", count: size)
            for _ in 0..<count {
                guard send(Self.deltaEvent(text)) == .ok else { return }
            }
            _ = send(Self.finishEvents)
            shutdown(client, Int32(SHUT_WR))
            _ = clientLeft(within: 5)
        case .endlessDeltas(let size):
            guard send(eventStream) == .ok else { return }
            let event = Array(Self.deltaEvent(String(repeating: "y", count: size)).utf8)
            sendForever { event }
        case .endlessLine:
            guard send(eventStream + "data: ") == .ok else { return }
            let block = [UInt8](repeating: UInt8(ascii: "z"), count: 64 * 1024)
            sendForever { block }
        case .endlessEvent(let lineSize):
            guard send(eventStream) == .ok else { return }
            let line = Array(("data: " + String(repeating: "e", count: max(lineSize - 7, 0)) + "\n").utf8)
            sendForever { line }
        case .hugeEvent(let bytes):
            guard send(eventStream + "data: ") == .ok else { return }
            let block = [UInt8](repeating: UInt8(ascii: "h"), count: 64 * 1024)
            var left = bytes
            while left > 0 {
                let piece = Array(block.prefix(left))
                guard send(piece) == .ok else { return }
                left -= piece.count
            }
            _ = send("\n\n" + Self.finishEvents)
            shutdown(client, Int32(SHUT_WR))
            _ = clientLeft(within: 5)
        case .endlessJSON(let status):
            guard send("HTTP/1.1 \(status) Whatever\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{\"object\":\"list\",\"data\":[")
                    == .ok else { return }
            var index = 0
            sendForever {
                index += 1
                return Array("{\"id\":\"model-\(index)\",\"object\":\"model\"},".utf8)
            }
        case .trickle(let interval):
            guard send(eventStream + "data: ") == .ok else { return }
            while true {
                if clientLeft(within: interval) {
                    record.clientLeftEarly = true
                    return
                }
                guard send("t") == .ok else { return }
            }
        case .endlessHeaders:
            guard send("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n") == .ok else { return }
            var index = 0
            sendForever {
                index += 1
                return Array("X-Padding-\(index): \(String(repeating: "p", count: 200))\r\n".utf8)
            }
        }
    }

    private static func deltaEvent(_ text: String) -> String {
        "data: {\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\(text)\"},\"finish_reason\":null}]}\n\n"
    }

    private static let finishEvents =
        "data: {\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
        + "data: [DONE]\n\n"

    /// Reads one request head and its body; returns the method and path.
    private func readRequest(_ client: Int32) -> (String, String)? {
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        var headEnd: Int?
        var contentLength = 0
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        while true {
            if let headEnd, buffer.count >= headEnd + contentLength { break }
            let count = recv(client, &chunk, chunk.count, 0)
            if count <= 0 { return nil }
            buffer.append(contentsOf: chunk[0..<count])
            if headEnd == nil, let end = Self.headEnd(in: buffer) {
                headEnd = end
                let head = String(decoding: buffer[0..<end], as: UTF8.self)
                for line in head.split(separator: "\r\n").dropFirst() {
                    let parts = line.split(separator: ":", maxSplits: 1)
                    if parts.count == 2, parts[0].lowercased() == "content-length" {
                        contentLength = Int(parts[1].trimmingCharacters(in: .whitespaces)) ?? 0
                    }
                }
            }
        }
        let requestLine = String(decoding: buffer.prefix { $0 != 13 }, as: UTF8.self).split(separator: " ")
        guard requestLine.count >= 2 else { return nil }
        return (String(requestLine[0]), String(requestLine[1]))
    }

    private static func headEnd(in buffer: [UInt8]) -> Int? {
        guard buffer.count >= 4 else { return nil }
        for index in 0...(buffer.count - 4)
        where buffer[index] == 13 && buffer[index + 1] == 10 && buffer[index + 2] == 13 && buffer[index + 3] == 10 {
            return index + 4
        }
        return nil
    }
}
