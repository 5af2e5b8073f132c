import AutofixSupport
internal import CCurl
import Foundation

/// One HTTP request over libcurl, run on a thread of its own with a private multi handle, so
/// that cancelling wakes the poll at once (`curl_multi_wakeup`) instead of waiting for the next
/// progress callback, and so an idle timeout can be measured between any two bytes. Unchecked
/// Sendable: what `cancel()` touches from other threads is behind `lock`, the rest is the
/// transfer thread's own.
final class CurlTransfer: @unchecked Sendable {
    struct Request {
        var method: String
        var url: String
        var headers: [String]
        var body: String?
        var connectTimeout: Double
        var idleTimeout: Double
        var totalTimeout: Double
        /// Only connect (and complete TLS), send nothing: is anything listening?
        var connectOnly = false
        /// Certificate authorities to trust instead of the system's (a PEM file).
        var caInfo: String? = nil
        /// All response headers together may not be larger than this.
        var maxHeaderBytes = ResponseLimits.forReply(maxTokens: 0).headerBytes
    }

    struct Result {
        var code: CURLcode = CURLE_OK
        /// libcurl's own words for a failure, from its error buffer.
        var detail: String = ""
        var status: Int = 0
        var headers: [(name: String, value: String)] = []
        /// The `Content-Type` header, kept apart because every body chunk needs it.
        var contentType: String?
        var idleTimedOut = false
        var cancelled = false
        /// The body handler asked to stop (it found an error in the stream).
        var stoppedByReceiver = false
        /// The headers went past `maxHeaderBytes`; the transfer was closed.
        var headersTooLarge = false
        var connected = false

        func header(_ name: String) -> String? {
            headers.last { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
        }
    }

    /// Receives body bytes with the status and content type of the response they belong to;
    /// returns false to stop the transfer.
    typealias BodyHandler = (_ status: Int, _ contentType: String?, _ bytes: UnsafeRawBufferPointer) -> Bool

    /// libcurl's one-time set-up, done once per process; its result decides every transfer.
    private static let globalInit: CURLcode = curl_global_init(Int(CURL_GLOBAL_DEFAULT))

    private let request: Request
    private let onBody: BodyHandler
    private let lock = NSLock()
    private var cancelRequested = false
    private var multi: UnsafeMutableRawPointer?
    // Touched only on the transfer thread.
    private var result = Result()
    private var lastActivity = DispatchTime.now()
    private var headerBytes = 0

    init(_ request: Request, onBody: @escaping BodyHandler) {
        _ = CurlTransfer.globalInit
        self.request = request
        self.onBody = onBody
    }

    /// Runs the request to its end. Cancelling the calling task aborts it promptly.
    func run() async -> Result {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Result, Never>) in
                let thread = Thread { continuation.resume(returning: self.perform()) }
                thread.name = "autofix-curl"
                thread.start()
            }
        } onCancel: {
            self.cancel()
        }
    }

    /// Safe from any thread, any number of times, before, during or after the transfer.
    func cancel() {
        lock.lock()
        defer { lock.unlock() }
        cancelRequested = true
        if let multi { curl_multi_wakeup(multi) }
    }

    private var isCancelled: Bool {
        lock.lock()
        defer { lock.unlock() }
        return cancelRequested
    }

    private func perform() -> Result {
        guard CurlTransfer.globalInit == CURLE_OK else {
            result.code = CurlTransfer.globalInit
            result.detail = "libcurl could not initialise: \(String(cString: curl_easy_strerror(CurlTransfer.globalInit)))"
            return result
        }
        guard let easy = curl_easy_init(), let newMulti = curl_multi_init() else {
            result.code = CURLE_FAILED_INIT
            result.detail = "libcurl could not start a transfer"
            return result
        }
        var headerList: UnsafeMutablePointer<curl_slist>?
        var headersComplete = true
        for header in request.headers {
            // On failure (out of memory) the list so far is left as it was.
            guard let longer = curl_slist_append(headerList, header) else {
                headersComplete = false
                break
            }
            headerList = longer
        }
        let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        defer {
            curl_slist_free_all(headerList)
            errorBuffer.deallocate()
        }
        // A request without its headers (the API key, the content type) must not be sent.
        let refused = headersComplete ? configure(easy, headerList: headerList, errorBuffer: errorBuffer)
            : (option: "CURLOPT_HTTPHEADER", code: CURLE_OUT_OF_MEMORY)
        if let refused {
            result.code = refused.code
            result.detail = "libcurl refused \(refused.option): \(String(cString: curl_easy_strerror(refused.code)))"
            curl_easy_cleanup(easy)
            curl_multi_cleanup(newMulti)
            return result
        }

        let added = curl_multi_add_handle(newMulti, easy)
        guard added == CURLM_OK else {
            result.code = CURLE_FAILED_INIT
            result.detail = String(cString: curl_multi_strerror(added))
            curl_easy_cleanup(easy)
            curl_multi_cleanup(newMulti)
            return result
        }
        lock.lock()
        multi = newMulti
        lock.unlock()

        lastActivity = .now()
        var running: Int32 = 1
        var finished = false
        while true {
            if isCancelled {
                result.cancelled = true
                break
            }
            let code = curl_multi_perform(newMulti, &running)
            if code != CURLM_OK {
                result.code = CURLE_FAILED_INIT
                result.detail = String(cString: curl_multi_strerror(code))
                break
            }
            if running == 0 {
                finished = true
                break
            }
            let idleLeft = request.idleTimeout - Double(DispatchTime.now().uptimeNanoseconds - lastActivity.uptimeNanoseconds) / 1e9
            if idleLeft <= 0 {
                result.idleTimedOut = true
                break
            }
            // libcurl shortens the wait itself when its own timers (connect, total) are due.
            let waitMilliseconds = Int32(min(max(idleLeft * 1000, 1), 60_000))
            let polled = curl_multi_poll(newMulti, nil, 0, waitMilliseconds, nil)
            if polled != CURLM_OK {
                result.code = CURLE_FAILED_INIT
                result.detail = String(cString: curl_multi_strerror(polled))
                break
            }
        }
        if finished {
            var pending: Int32 = 0
            while let message = curl_multi_info_read(newMulti, &pending) {
                if message.pointee.msg == CURLMSG_DONE { result.code = autofix_curl_msg_result(message) }
            }
            if result.code != CURLE_OK {
                let text = String(cString: errorBuffer)
                result.detail = text.isEmpty ? String(cString: curl_easy_strerror(result.code)) : text
            }
        }
        var connectMicros: curl_off_t = 0
        if autofix_curl_getinfo_offset(easy, CURLINFO_CONNECT_TIME_T, &connectMicros) == CURLE_OK {
            result.connected = result.connected || connectMicros > 0
        }

        curl_multi_remove_handle(newMulti, easy)
        curl_easy_cleanup(easy)
        lock.lock()
        curl_multi_cleanup(newMulti)
        multi = nil
        lock.unlock()
        return result
    }

    /// Sets every option; returns the first one libcurl refused (the transfer must not start
    /// then: a refused protocol list would leave every protocol libcurl knows allowed).
    private func configure(
        _ easy: UnsafeMutableRawPointer, headerList: UnsafeMutablePointer<curl_slist>?, errorBuffer: UnsafeMutablePointer<CChar>
    ) -> (option: String, code: CURLcode)? {
        var refused: (option: String, code: CURLcode)?
        func check(_ option: String, _ code: CURLcode) {
            if code != CURLE_OK, refused == nil { refused = (option, code) }
        }
        let context = Unmanaged.passUnretained(self).toOpaque()
        // Only http and https, for the request and for any redirect: an endpoint such as
        // file:// or gopher:// must never reach libcurl's other protocols.
        let protocols = ModelEndpoint.allowedSchemes.joined(separator: ",")
        check("CURLOPT_PROTOCOLS_STR", autofix_curl_setopt_string(easy, CURLOPT_PROTOCOLS_STR, protocols))
        check("CURLOPT_REDIR_PROTOCOLS_STR", autofix_curl_setopt_string(easy, CURLOPT_REDIR_PROTOCOLS_STR, protocols))
        check("CURLOPT_URL", autofix_curl_setopt_string(easy, CURLOPT_URL, request.url))
        check("CURLOPT_NOSIGNAL", autofix_curl_setopt_long(easy, CURLOPT_NOSIGNAL, 1))
        check("CURLOPT_ERRORBUFFER", autofix_curl_setopt_pointer(easy, CURLOPT_ERRORBUFFER, errorBuffer))
        check("CURLOPT_HTTPHEADER", autofix_curl_setopt_slist(easy, CURLOPT_HTTPHEADER, headerList))
        check("CURLOPT_USERAGENT", autofix_curl_setopt_string(easy, CURLOPT_USERAGENT, "git-autofix/\(AutofixVersion.string)"))
        check("CURLOPT_CONNECTTIMEOUT_MS", autofix_curl_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, Self.milliseconds(request.connectTimeout)))
        check("CURLOPT_TIMEOUT_MS", autofix_curl_setopt_long(easy, CURLOPT_TIMEOUT_MS, Self.milliseconds(request.totalTimeout)))
        check("CURLOPT_TCP_NODELAY", autofix_curl_setopt_long(easy, CURLOPT_TCP_NODELAY, 1))
        check("CURLOPT_NOPROXY", autofix_curl_setopt_string(easy, CURLOPT_NOPROXY, Self.noProxyList()))
        if request.connectOnly { check("CURLOPT_CONNECT_ONLY", autofix_curl_setopt_long(easy, CURLOPT_CONNECT_ONLY, 1)) }
        if let caInfo = request.caInfo { check("CURLOPT_CAINFO", autofix_curl_setopt_string(easy, CURLOPT_CAINFO, caInfo)) }
        if let body = request.body {
            check("CURLOPT_POST", autofix_curl_setopt_long(easy, CURLOPT_POST, 1))
            check("CURLOPT_POSTFIELDSIZE_LARGE", autofix_curl_setopt_offset(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.utf8.count)))
            check("CURLOPT_COPYPOSTFIELDS", autofix_curl_setopt_string(easy, CURLOPT_COPYPOSTFIELDS, body))
        } else if request.method != "GET" {
            check("CURLOPT_CUSTOMREQUEST", autofix_curl_setopt_string(easy, CURLOPT_CUSTOMREQUEST, request.method))
        }
        check("CURLOPT_WRITEFUNCTION", autofix_curl_setopt_write_callback(easy) { data, size, count, context in
            guard let context, let data else { return 0 }
            let transfer = Unmanaged<CurlTransfer>.fromOpaque(context).takeUnretainedValue()
            return transfer.received(UnsafeRawBufferPointer(start: data, count: size * count))
        })
        check("CURLOPT_WRITEDATA", autofix_curl_setopt_pointer(easy, CURLOPT_WRITEDATA, context))
        check("CURLOPT_HEADERFUNCTION", autofix_curl_setopt_header_callback(easy) { data, size, count, context in
            guard let context, let data else { return 0 }
            let transfer = Unmanaged<CurlTransfer>.fromOpaque(context).takeUnretainedValue()
            return transfer.receivedHeader(UnsafeRawBufferPointer(start: data, count: size * count)) ? size * count : 0
        })
        check("CURLOPT_HEADERDATA", autofix_curl_setopt_pointer(easy, CURLOPT_HEADERDATA, context))
        return refused
    }

    private func received(_ bytes: UnsafeRawBufferPointer) -> Int {
        lastActivity = .now()
        if isCancelled {
            result.cancelled = true
            return 0
        }
        guard onBody(result.status, result.contentType, bytes) else {
            result.stoppedByReceiver = true
            return 0
        }
        return bytes.count
    }

    /// Returns false to close the transfer when the headers grow past their limit.
    private func receivedHeader(_ bytes: UnsafeRawBufferPointer) -> Bool {
        lastActivity = .now()
        result.connected = true
        headerBytes += bytes.count
        if headerBytes > request.maxHeaderBytes {
            result.headersTooLarge = true
            return false
        }
        let line = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if line.hasPrefix("HTTP/") {
            // A new response (after 100 Continue or a redirect) starts over.
            let parts = line.split(separator: " ", maxSplits: 2)
            result.status = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
            result.headers = []
            result.contentType = nil
        } else if let colon = line.firstIndex(of: ":") {
            let name = String(line[..<colon]).trimmingCharacters(in: .whitespaces)
            let value = String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
            result.headers.append((name, value))
            if name.lowercased() == "content-type" { result.contentType = value }
        }
        return true
    }

    private static func milliseconds(_ seconds: Double) -> Int {
        seconds <= 0 ? 0 : Int(min(seconds * 1000, Double(Int32.max)).rounded(.up))
    }

    /// Loopback never goes through a proxy, whatever http_proxy says; other hosts keep NO_PROXY.
    private static func noProxyList() -> String {
        let environment = ProcessInfo.processInfo.environment
        let user = environment["NO_PROXY"] ?? environment["no_proxy"] ?? ""
        return (user.isEmpty ? "" : user + ",") + "localhost,127.0.0.1,::1"
    }
}
