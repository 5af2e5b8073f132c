import AutofixModel
import Foundation

/// Lets one stream through at a time, in the order they asked, the others waiting for their turn:
/// a model server with a single sequence slot, which queues the requests it cannot serve yet.
struct OneSequenceAtATimeModel: ChatModel {
    let inner: ChatModel
    private let slot = SequenceSlot()

    init(inner: ChatModel) { self.inner = inner }

    func checkReachable() async throws { try await inner.checkReachable() }

    func stream(_ request: ChatRequest) -> AsyncThrowingStream<ModelEvent, Error> {
        let (inner, slot) = (inner, slot)
        return AsyncThrowingStream { continuation in
            let forward = Task {
                await slot.acquire()
                do {
                    for try await event in inner.stream(request) { continuation.yield(event) }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
                await slot.release()
            }
            continuation.onTermination = { _ in forward.cancel() }
        }
    }
}

actor SequenceSlot {
    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    func acquire() async {
        guard busy else {
            busy = true
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    func release() {
        if waiting.isEmpty { busy = false } else { waiting.removeFirst().resume() }
    }
}

/// Answers each request from one of two scripted servers by its `seed`: the right reply when the
/// seed's draw for this trial falls below `probability`, the wrong one otherwise. A request
/// without a seed (a single-candidate round) draws as seed 1, the seed its candidate would have.
struct SeededReplyModel: ChatModel {
    let right: ChatModel
    let wrong: ChatModel
    let trial: Int
    let probability: Double

    func stream(_ request: ChatRequest) -> AsyncThrowingStream<ModelEvent, Error> {
        (Self.isRight(trial: trial, seed: request.seed ?? 1, probability: probability) ? right : wrong).stream(request)
    }

    static func isRight(trial: Int, seed: Int, probability: Double) -> Bool {
        draw(UInt64(trial) << 32 | UInt64(seed)) < probability
    }

    /// SplitMix64 of `key`, as a number in [0, 1): the same draw for the same trial and seed in every run.
    static func draw(_ key: UInt64) -> Double {
        var z = key &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Double(z >> 11) / Double(1 << 53)
    }
}
