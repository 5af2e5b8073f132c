import AutofixBenchSupport
import AutofixCore
import AutofixModel
import Dispatch
import Foundation

/// Client overhead against the scripted loopback server (no model, no network): how fast deltas
/// get through libcurl, the SSE parser and the AsyncThrowingStream, and how fast cancel stops a
/// transfer. `curl -N` reading the same stream is the baseline.
enum ModelBench {
    static func run(smoke: Bool = false) throws {
        // --smoke: one short run of each measurement, to prove they still work.
        let tokenCount = smoke ? 100 : 2000
        let runs = smoke ? 1 : 10
        let cancelRuns = smoke ? 2 : 20
        let deltas = sampleDeltas(tokenCount)
        print("machine: \(ProcessInfo.processInfo.activeProcessorCount) cores, \(ProcessInfo.processInfo.physicalMemory >> 30) GiB")

        var seconds: [Double] = []
        var latencies: [Double] = []
        for _ in 0..<runs {
            let (total, sendToDelivery) = try throughputRun(deltas, delay: 0)
            seconds.append(total)
            latencies += sendToDelivery
        }
        let median = percentile(seconds, 0.5)
        print(String(format: "client, %d tokens, zero delay: median %.1f ms per stream = %.0f tokens/s (best %.1f ms, %d runs)",
                     tokenCount, median * 1000, Double(tokenCount) / median, seconds.min()! * 1000, runs))
        print(String(format: "  server send -> delta delivered: p50 %.3f ms, p90 %.3f ms, p99 %.3f ms, max %.3f ms",
                     percentile(latencies, 0.5) * 1000, percentile(latencies, 0.9) * 1000,
                     percentile(latencies, 0.99) * 1000, latencies.max()! * 1000))

        var paced: [Double] = []
        for _ in 0..<(smoke ? 1 : 3) { paced += try throughputRun(Array(sampleDeltas(200)), delay: 0.002).sendToDelivery }
        print(String(format: "client, 200 tokens 2 ms apart: server send -> delta delivered p50 %.3f ms, p90 %.3f ms, p99 %.3f ms",
                     percentile(paced, 0.5) * 1000, percentile(paced, 0.9) * 1000, percentile(paced, 0.99) * 1000))

        var curlSeconds: [Double] = []
        for _ in 0..<runs { curlSeconds.append(try curlRun(deltas)) }
        let curlMedian = percentile(curlSeconds, 0.5)
        print(String(format: "curl -N, same stream (time_total, no parsing): median %.1f ms = %.0f tokens/s (best %.1f ms)",
                     curlMedian * 1000, Double(tokenCount) / curlMedian, curlSeconds.min()! * 1000))

        for (label, streaming) in [("stalled server", false), ("streaming server (1 token/ms)", true)] {
            var consumerDone: [Double] = []
            var serverSawClose: [Double] = []
            for _ in 0..<cancelRuns {
                let (done, closed) = try cancelRun(streaming: streaming)
                consumerDone.append(done)
                if let closed { serverSawClose.append(closed) }
            }
            print(String(format: "cancel, %@: consumer task ends p50 %.3f ms, max %.3f ms; server sees close p50 %.3f ms, max %.3f ms (%d/%d seen)",
                         label, percentile(consumerDone, 0.5) * 1000, consumerDone.max()! * 1000,
                         percentile(serverSawClose, 0.5) * 1000, (serverSawClose.max() ?? .nan) * 1000, serverSawClose.count, cancelRuns))
        }
    }

    /// Pieces of a unified diff about the size of real tokens.
    static func sampleDeltas(_ count: Int) -> [String] {
        let words = ["--- a/", "Sources/", "Parser", ".swift", "\n", "@@ -", "12,", "7 +", "12,", "8 @@", "\n ",
                     "func", " parse", "(_", " text", ":", " String", ")", " ->", " [", "Token", "]", " {", "\n-",
                     "    ", "return", " []", "\n+", "    ", "guard", " !", "text", ".isEmpty", " else", " {", " é→"]
        return (0..<count).map { words[$0 % words.count] }
    }

    static func blocking<T>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var result: Result<T, Error>!
        Task {
            do { result = .success(try await body()) } catch { result = .failure(error) }
            done.signal()
        }
        done.wait()
        return try result.get()
    }

    static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    /// Seconds for the whole stream, and per delta the seconds from the server's write to the
    /// consumer receiving it.
    static func throughputRun(_ deltas: [String], delay: Double) throws -> (total: Double, sendToDelivery: [Double]) {
        let server = try ScriptedSSEServer(replies: [ScriptedSSEServer.chatStream(deltas, usage: (1000, deltas.count), delay: delay)])
        defer { server.stop() }
        let client = OpenAICompatibleClient(endpoint: ModelEndpoint(baseURL: server.baseURL, maxRetries: 0))
        let chat = ChatRequest(model: "bench", messages: [ChatMessage(role: .user, content: "go")])
        let (start, delivered) = try blocking { () async throws -> (UInt64, [UInt64]) in
            let start = now()
            var delivered: [UInt64] = []
            delivered.reserveCapacity(deltas.count)
            for try await event in client.stream(chat) {
                if case .delta = event { delivered.append(now()) }
            }
            return (start, delivered)
        }
        let total = Double(delivered.last! - start) / 1e9
        server.waitUntilIdle()
        guard delivered.count == deltas.count, let sent = server.connections.first?.chunkSentAt else {
            throw BenchFailure("expected \(deltas.count) deltas, got \(delivered.count)")
        }
        // Chunk 0 is the role-only chunk; chunk i + 1 carries delta i.
        let latencies = delivered.enumerated().map { Double(Int64($1) - Int64(sent[$0 + 1])) / 1e9 }
        return (total, latencies)
    }

    /// `curl -N` reading the same stream; curl's own time_total, so process start is not counted.
    static func curlRun(_ deltas: [String]) throws -> Double {
        let server = try ScriptedSSEServer(replies: [ScriptedSSEServer.chatStream(deltas, usage: (1000, deltas.count))])
        defer { server.stop() }
        let output = try Shell.check([
            "curl", "-N", "-s", "--noproxy", "*", "-o", "/dev/null", "-w", "%{time_total} %{size_download}",
            "-H", "Content-Type: application/json", "-d", #"{"model":"bench","stream":true,"messages":[]}"#,
            server.baseURL + "/chat/completions",
        ])
        let parts = output.split(separator: " ")
        guard parts.count == 2, let seconds = Double(parts[0]), Int(parts[1]) ?? 0 > deltas.count * 100 else {
            throw BenchFailure("unexpected curl output: \(output)")
        }
        return seconds
    }

    /// Seconds from `cancel()` to the consuming task's end, and to the server seeing the close.
    static func cancelRun(streaming: Bool) throws -> (consumerDone: Double, serverSawClose: Double?) {
        let reply: ScriptedSSEServer.Reply = streaming
            ? ScriptedSSEServer.chatStream(sampleDeltas(100_000), delay: 0.001)
            : .events(ScriptedSSEServer.chatStreamEvents(sampleDeltas(5), finishReason: nil, done: false), ending: .stall(seconds: 60))
        let server = try ScriptedSSEServer(replies: [reply])
        defer { server.stop() }
        let client = OpenAICompatibleClient(endpoint: ModelEndpoint(baseURL: server.baseURL, maxRetries: 0))
        let chat = ChatRequest(model: "bench", messages: [ChatMessage(role: .user, content: "go")])
        let (cancelAt, doneAt) = try blocking { () async throws -> (UInt64, UInt64) in
            let received = AsyncStream<Void>.makeStream()
            let consumer = Task {
                var count = 0
                do {
                    for try await event in client.stream(chat) {
                        if case .delta = event { count += 1 }
                        if count == 5 { received.continuation.yield() }
                    }
                } catch {}
            }
            for await _ in received.stream { break }
            let cancelAt = now()
            consumer.cancel()
            await consumer.value
            return (cancelAt, now())
        }
        server.waitUntilIdle(timeout: 10)
        let closedAt = server.connections.first?.clientLeftAt
        return (Double(doneAt - cancelAt) / 1e9, closedAt.map { Double(Int64($0) - Int64(cancelAt)) / 1e9 })
    }

    static func percentile(_ values: [Double], _ fraction: Double) -> Double {
        guard !values.isEmpty else { return .nan }
        let sorted = values.sorted()
        return sorted[min(sorted.count - 1, Int(Double(sorted.count - 1) * fraction + 0.5))]
    }
}

struct BenchFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
