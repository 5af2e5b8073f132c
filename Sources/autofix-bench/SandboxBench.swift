import AutofixCore
import AutofixSandbox
import AutofixSupport
import Foundation

/// Start-up cost of one `true` in each available backend, side by side in one run: what a
/// repair round pays on top of the tests themselves.
enum SandboxBench {
    static let podmanImage = "localhost/autofix-test:latest"

    static func run(smoke: Bool = false) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("autofix-bench-sandbox-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }

        var backends: [(label: String, sandbox: Sandbox, runs: Int)] = [
            ("none (unconfined)", UnconfinedSandbox(warn: { _ in }), smoke ? 2 : 50),
            ("bwrap", try SandboxFactory.make(.bwrap), smoke ? 2 : 50),
        ]
        if let podman = try? SandboxFactory.make(.podman, image: podmanImage, runtime: "runc"), imageExists() {
            backends.append(("podman (runc)", podman, smoke ? 1 : 10))
        } else {
            print("podman: skipped (needs podman, runc and the \(podmanImage) image the sandbox tests build)")
        }

        print("backend".padding(toLength: 20, withPad: " ", startingAt: 0) + " runs    median       p90       min")
        for backend in backends {
            let times = try measure(backend.sandbox, runs: backend.runs, in: directory)
            let label = backend.label.padding(toLength: 20, withPad: " ", startingAt: 0)
            print(label + String(format: " %4d %8.1fms %7.1fms %7.1fms", times.count,
                         percentile(times, 0.5) * 1000, percentile(times, 0.9) * 1000, times.min()! * 1000))
        }
        try SandboxViewBench.run(smoke: smoke)
    }

    private static func measure(_ sandbox: Sandbox, runs: Int, in directory: URL) throws -> [Double] {
        let request = SandboxRequest(command: "true", workDirectory: directory, limits: SandboxLimits(timeout: 60))
        var times: [Double] = []
        for index in 0...runs {
            let start = DispatchTime.now().uptimeNanoseconds
            let result = try blocking { try await sandbox.run(request) }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            guard result.succeeded else { throw SandboxBenchFailure("`true` failed in \(sandbox.kind.rawValue): \(result.combinedOutput)") }
            if index > 0 { times.append(seconds) }  // the first run warms caches
        }
        return times.sorted()
    }

    private static func percentile(_ sorted: [Double], _ fraction: Double) -> Double {
        sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * fraction).rounded()))]
    }

    private static func imageExists() -> Bool {
        var spec = ProcessSpec(["podman", "image", "exists", podmanImage], environment: ProcessInfo.processInfo.environment)
        spec.stdout = .discard
        spec.stderr = .discard
        return (try? ProcessLauncher.run(spec))?.succeeded == true
    }

    private static func blocking<T>(_ body: @escaping () async throws -> T) throws -> T {
        let semaphore = DispatchSemaphore(value: 0)
        let box = ResultBox<T>()
        Task {
            do { box.value = .success(try await body()) } catch { box.value = .failure(error) }
            semaphore.signal()
        }
        semaphore.wait()
        return try box.value!.get()
    }
}

private final class ResultBox<T>: @unchecked Sendable {
    var value: Result<T, Error>?
}

struct SandboxBenchFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
