import AutofixTestSupport
import Foundation
import XCTest
@testable import AutofixSandbox

/// Shared by the sandbox tests: a checkout dir, a marker to find leftover processes,
/// a real TCP listener on the host loopback, and the local busybox image for podman.
enum SandboxFixture {
    /// Processes on the host whose command line contains `marker`.
    static func processes(containing marker: String) -> [pid_t] {
        HostProcesses.containing(marker)
    }

    /// Digits only, so it works as a file name and as a `sleep` duration that no other process
    /// on the machine has on its command line.
    static func marker() -> String { "7\(UInt32.random(in: 10_000_000...99_999_999))" }

    static func run(_ sandbox: Sandbox, _ command: String, in checkout: URL, limits: SandboxLimits = SandboxLimits(timeout: 60),
                    binds: [String] = [], environment: [String] = []) async throws -> SandboxResult {
        try await sandbox.run(SandboxRequest(command: command, workDirectory: checkout, readOnlyBinds: binds,
                                             passEnvironment: environment, limits: limits))
    }

    static func unconfined() -> Sandbox { UnconfinedSandbox(warn: { _ in }) }

    static let podmanImage = PodmanTestImage.name
    static var podmanAvailable: Bool { PodmanTestImage.available }
}

/// A real TCP listener on the host's 127.0.0.1 that accepts (and at once closes) connections
/// on a thread of its own and counts them.
final class LoopbackListener: @unchecked Sendable {
    let port: UInt16
    private let socketFD: Int32
    private let lock = NSLock()
    private var accepted = 0
    private var stopped = false
    private var thread: Thread?

    init() throws {
        let (fd, boundPort) = try LoopbackSocket.bind()
        guard listen(fd, 16) == 0 else {
            close(fd)
            throw POSIXError(.EADDRINUSE)
        }
        port = boundPort
        socketFD = fd
        let thread = Thread { [unowned self] in self.acceptLoop() }
        self.thread = thread
        thread.start()
    }

    private func acceptLoop() {
        while true {
            lock.lock()
            let stop = stopped
            lock.unlock()
            if stop { return }
            var entry = pollfd(fd: socketFD, events: Int16(POLLIN), revents: 0)
            guard poll(&entry, 1, 50) > 0 else { continue }
            let client = accept(socketFD, nil, nil)
            guard client >= 0 else { continue }
            close(client)
            lock.lock()
            accepted += 1
            lock.unlock()
        }
    }

    /// How many connections were accepted since the last call.
    func acceptPending() -> Int {
        lock.lock()
        defer { lock.unlock() }
        let count = accepted
        accepted = 0
        return count
    }

    func stop() {
        lock.lock()
        stopped = true
        lock.unlock()
        usleep(100_000)
        close(socketFD)
    }
}
