import AutofixModel
import AutofixTestSupport
import XCTest

/// Everything a stream produced: the deltas, the finish event, and the error it ended with.
struct CollectedReply {
    var deltas: [String] = []
    var finish: ModelFinish?
    var error: Error?
    var text: String { deltas.joined() }

    var modelError: ModelError? { error as? ModelError }
}

func collect(_ stream: AsyncThrowingStream<ModelEvent, Error>) async -> CollectedReply {
    var reply = CollectedReply()
    do {
        for try await event in stream {
            switch event {
            case .delta(let text): reply.deltas.append(text)
            case .finished(let finish):
                XCTAssertNil(reply.finish, "more than one finish event")
                reply.finish = finish
            }
        }
    } catch {
        reply.error = error
    }
    return reply
}

func request(_ content: String = "Fix the failing test.", model: String = "test-model") -> ChatRequest {
    ChatRequest(model: model, messages: [ChatMessage(role: .system, content: "You write unified diffs."),
                                         ChatMessage(role: .user, content: content)])
}

/// An endpoint on `server` with short waits so failing paths stay fast.
func endpoint(_ baseURL: String, maxRetries: Int = 0, idleTimeout: Double = 20, totalTimeout: Double = 60) -> ModelEndpoint {
    ModelEndpoint(baseURL: baseURL, connectTimeout: 5, idleTimeout: idleTimeout, totalTimeout: totalTimeout,
                  maxRetries: maxRetries, retryBaseDelay: 0.05, maxRetryDelay: 2)
}

/// Collects client events from any thread.
final class EventLog: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [ModelClientEvent] = []

    var events: [ModelClientEvent] {
        lock.lock()
        defer { lock.unlock() }
        return stored
    }

    var retries: [RetryNotice] {
        events.compactMap { if case .retry(let notice) = $0 { return notice } else { return nil } }
    }

    var record: @Sendable (ModelClientEvent) -> Void { { [self] event in append(event) } }

    private func append(_ event: ModelClientEvent) {
        lock.lock()
        stored.append(event)
        lock.unlock()
    }
}
