import Foundation

/// The test runs of a round's candidates, one per candidate, each in a view of its own that was
/// brought to the host's checkout while that candidate's patches were applied there. A run waits
/// for a free slot before it starts, so that no more runs go on at once than the slots allow.
final class CandidateTestRuns {
    private let tests: TestExecutor
    private let slots: TestSlots
    private let timeout: @Sendable () -> Double
    /// Runs by candidate number.
    private let runs: ViewTestRuns

    init(scratch: ScratchSession, tests: TestExecutor, slots: TestSlots, timeout: @escaping @Sendable () -> Double) {
        runs = ViewTestRuns(scratch: scratch)
        self.tests = tests
        self.slots = slots
        self.timeout = timeout
    }

    /// Starts candidate `number`'s run on the host's checkout as it is now.
    func start(candidate number: Int) throws {
        let (tests, slots, timeout) = (tests, slots, timeout)
        try runs.start(number) { view, checkout, home in
            try await slots.run {
                try await SessionTestRun.run(tests, inView: view, hostCheckout: checkout, timeout: timeout(), home: home)
            }
        }
    }

    /// Every run's result, by candidate number, once all have ended. A run that throws ends the
    /// wait with its error; the caller then stops the others (`stopAll()`).
    func results() async throws -> [Int: SessionTestRun] {
        var results: [Int: SessionTestRun] = [:]
        let tasks = runs.running.mapValues(\.task)
        try await withTaskCancellationHandler {
            for (number, task) in tasks.sorted(by: { $0.key < $1.key }) {
                results[number] = try await task.value
            }
        } onCancel: {
            for task in tasks.values { task.cancel() }
        }
        runs.giveBackEnded()
        return results
    }

    /// Stops every run and waits for it to end, so that no sandbox still writes in a view given back.
    func stopAll() async {
        await runs.stopAll()
    }
}

/// At most `count` bodies running at once; the others wait their turn, in the order they came.
actor TestSlots {
    private var free: Int
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(_ count: Int) {
        free = max(1, count)
    }

    func run<Value: Sendable>(_ body: @Sendable () async throws -> Value) async throws -> Value {
        if free > 0 {
            free -= 1
        } else {
            await withCheckedContinuation { waiting.append($0) }
        }
        defer { release() }
        // A run stopped while it waited does not start.
        try Task.checkCancellation()
        return try await body()
    }

    private func release() {
        if waiting.isEmpty { free += 1 } else { waiting.removeFirst().resume() }
    }
}
