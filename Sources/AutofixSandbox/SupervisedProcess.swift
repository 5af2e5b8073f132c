import AutofixSupport
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// How a supervised process ended.
struct ProcessEnd {
    var exitCode: Int32?
    var signal: Int32?
    var stdout: CappedOutput
    var stderr: CappedOutput
    var combined: CappedOutput
    var wallSeconds: Double
    var timedOut: Bool
    var cancelled: Bool
}

/// Starts a program in its own process group behind a gate: the program is a tiny `/bin/sh`
/// that waits on fd 3 before it `exec`s the real command, so the caller can put it into a cgroup
/// and set rlimits before anything the command forks exists. Unchecked Sendable: the kill state
/// is behind `lock`; the descriptors are used only by the thread that supervises.
final class SupervisedProcess: @unchecked Sendable {
    let pid: pid_t
    private let gate: Int32
    private let stdoutFD: Int32
    private let stderrFD: Int32
    private let lock = NSLock()
    private var killRequested = false
    private var onKill: [() -> Void] = []

    private static let gateScript = #"read -r _ <&3 || exit 125; exec 3<&-; cd "$1" || exit 125; shift; exec "$@""#

    /// `rlimits` are `ulimit` options for the gated shell (e.g. `["-d", "1024"]`), inherited by
    /// everything the command starts.
    init(arguments: [String], environment: [String: String], directory: String, rlimits: [(option: String, value: UInt64)] = []) throws {
        var gatePipe: [Int32] = [0, 0]
        guard pipe(&gatePipe) == 0 else { throw SandboxError(.spawnFailed(program: arguments[0], errno: errno)) }
        // Our ends must not leak into programs other threads start.
        for fd in gatePipe { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        let limitScript = rlimits.map { "ulimit \($0.option) \($0.value) && " }.joined()
        var spec = ProcessSpec(["/bin/sh", "-c", limitScript + SupervisedProcess.gateScript, "autofix-gate", directory] + arguments,
                               environment: environment)
        spec.newProcessGroup = true
        // The gate's read end becomes fd 3, which the gate closes itself; nothing else the caller
        // or this process holds open (a terminal, a socket, a file the user opened with
        // `exec 7>file`) reaches the command.
        spec.passedDescriptors = [gatePipe[0]]
        let launched: LaunchedProcess
        do {
            launched = try ProcessLauncher.spawn(spec)
        } catch let failure as SystemCallError {
            close(gatePipe[0]); close(gatePipe[1])
            throw SandboxError(.spawnFailed(program: arguments[0], errno: failure.code))
        }
        close(gatePipe[0])
        pid = launched.pid
        gate = gatePipe[1]
        stdoutFD = launched.stdout!
        stderrFD = launched.stderr!
    }

    /// Lets the command start.
    func openGate() {
        var go: UInt8 = 0x0a
        _ = write(gate, &go, 1)
        close(gate)
    }

    /// Runs `action` when the tree is killed (a backend's own clean-up, e.g. removing a container).
    func whenKilled(_ action: @escaping () -> Void) {
        lock.lock()
        defer { lock.unlock() }
        onKill.append(action)
    }

    /// Kills the process group and runs the backend clean-ups, once.
    func killTree() {
        lock.lock()
        let first = !killRequested
        killRequested = true
        let actions = onKill
        lock.unlock()
        guard first else { return }
        kill(-pid, SIGKILL)
        actions.forEach { $0() }
    }

    private var wasKilled: Bool {
        lock.lock()
        defer { lock.unlock() }
        return killRequested
    }

    /// Whether the process has exited, without reaping it.
    private func hasExited() -> Bool {
        var info = siginfo_t()
        guard waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 else { return false }
        return info._sifields._sigchld.si_pid != 0
    }

    /// Reads both streams until the process is gone, killing the tree at the deadline. Blocks:
    /// call it from a thread of its own.
    /// `overLimit` is asked on every pass (about 20 times a second) whether a limit the backend
    /// watches itself (the disk) was passed; then the tree is killed.
    func supervise(timeout: Double, outputBytes: Int, isCancelled: () -> Bool,
                   overLimit: () -> Bool = { false }) -> ProcessEnd {
        let start = Date()
        var end = ProcessEnd(
            exitCode: nil, signal: nil, stdout: CappedOutput(capacity: outputBytes),
            stderr: CappedOutput(capacity: outputBytes), combined: CappedOutput(capacity: outputBytes),
            wallSeconds: 0, timedOut: false, cancelled: false)
        var open: [Int32] = [stdoutFD, stderrFD]
        var exitedAt: Date?
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            if exitedAt == nil, hasExited() { exitedAt = Date() }
            if open.isEmpty, exitedAt != nil { break }
            let elapsed = Date().timeIntervalSince(start)
            if !end.timedOut, !end.cancelled, elapsed >= timeout {
                end.timedOut = true
                killTree()
            }
            if !end.cancelled, !end.timedOut, isCancelled() {
                end.cancelled = true
                killTree()
            }
            if !wasKilled, exitedAt == nil, overLimit() { killTree() }
            // The command exited but something it started still holds the pipes (only possible
            // without a pid namespace): give it a moment to flush, then end the group.
            if let exitedAt, Date().timeIntervalSince(exitedAt) > 0.5, !wasKilled {
                killTree()
            }
            // After a kill, stop waiting for pipes a stray process may still hold.
            if wasKilled, let exitedAt, Date().timeIntervalSince(exitedAt) > 2 { break }
            if open.isEmpty {
                usleep(10_000)
                continue
            }
            var fds = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            let ready = poll(&fds, nfds_t(fds.count), 50)
            guard ready > 0 else { continue }
            for entry in fds where entry.revents != 0 {
                let count = read(entry.fd, &buffer, buffer.count)
                if count > 0 {
                    let chunk = Data(buffer[0..<count])
                    if entry.fd == stdoutFD { end.stdout.append(chunk) } else { end.stderr.append(chunk) }
                    end.combined.append(chunk)
                } else if count == 0 || (errno != EINTR && errno != EAGAIN) {
                    close(entry.fd)
                    open.removeAll { $0 == entry.fd }
                }
            }
        }
        open.forEach { close($0) }
        // The kill may have ended the process before the loop looked at the flag.
        if !end.timedOut, isCancelled() { end.cancelled = true }
        // Anything left in the group (no pid namespace to end it) goes now, while the unreaped
        // leader still pins the group id so it cannot name someone else's processes.
        if exitedAt != nil { kill(-pid, SIGKILL) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        if status & 0x7f == 0 { end.exitCode = (status >> 8) & 0xff } else { end.signal = status & 0x7f }
        end.wallSeconds = Date().timeIntervalSince(start)
        return end
    }
}
