import AutofixSupport
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What a backend wants started: the program line for the host, its environment, and the
/// backend's own clean-up and limit checks.
struct Launch {
    var arguments: [String]
    var environment: [String: String]
    var directory: String
    /// Put the process tree in a cgroup of its own (host-side backends; containers have theirs).
    var ownResourceGroup: Bool
    /// Writable host directories besides `directory` (a kept HOME), under the same disk limit.
    var otherWritable: [String] = []
    /// Extra clean-up when the tree is killed, e.g. removing the container.
    var onKill: (@Sendable () -> Void)?
    /// After the process ended: which limit the backend saw hit (e.g. the container was OOM-killed)
    /// and, when the backend knows better than the client's status, the real exit code.
    var inspect: (@Sendable () -> (limit: LimitHit?, exitCode: Int32?))?
    /// Where cgroups are mounted; elsewhere only to exercise the rlimit fallback.
    var cgroupRoot = "/sys/fs/cgroup"
}

/// Runs a `Launch` with the request's limits and turns what happened into a `SandboxResult`.
enum ProcessRunner {
    static func run(_ launch: Launch, limits: SandboxLimits) async throws -> SandboxResult {
        let group = launch.ownResourceGroup
            ? ResourceGroup.make(memoryBytes: limits.memoryBytes, maxProcesses: limits.maxProcesses, root: launch.cgroupRoot) : nil
        var limitsScript: [(option: String, value: UInt64)] = []
        if group == nil, launch.ownResourceGroup {
            // No cgroup here: per-process limits are the best left. The data segment rather than
            // the address space, so runtimes that reserve large ranges (V8, Swift) still start.
            if let memory = limits.memoryBytes { limitsScript.append(("-d", max(memory / 1024, 1))) }
            if let processes = limits.maxProcesses { limitsScript.append(("-p", UInt64(processes))) }
        }
        let rlimits = limitsScript
        let disk = DiskWatch(directories: [launch.directory] + launch.otherWritable, limit: limits.diskBytes)
        let cancelled = Locked(false)
        // The supervised process, once its thread has started it.
        let running = Locked<SupervisedProcess?>(nil)
        let end: ProcessEnd = try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                // bwrap --die-with-parent (PR_SET_PDEATHSIG) kills the sandbox when the *thread*
                // that started it exits, and idle pool threads exit after a few seconds. So the
                // process is started on a thread of its own that lives until the process is gone.
                let thread = Thread {
                    let process: SupervisedProcess
                    do {
                        process = try SupervisedProcess(
                            arguments: launch.arguments, environment: launch.environment, directory: launch.directory,
                            rlimits: rlimits)
                    } catch {
                        group?.remove()
                        continuation.resume(throwing: error)
                        return
                    }
                    if let onKill = launch.onKill { process.whenKilled(onKill) }
                    if let group {
                        group.add(process.pid)
                        process.whenKilled { group.killAll() }
                    }
                    running.set(process)
                    process.openGate()
                    if cancelled.current { process.killTree() }
                    let end = process.supervise(timeout: limits.timeout, outputBytes: limits.outputBytes,
                                                isCancelled: { cancelled.current }, overLimit: { disk?.check() ?? false })
                    continuation.resume(returning: end)
                }
                thread.name = "git-autofix sandbox"
                thread.start()
            }
        } onCancel: {
            cancelled.set(true)
            running.current?.killTree()
        }

        var limitHit: LimitHit?
        var exitCode = end.exitCode
        if let group {
            if group.memoryLimitHit { limitHit = .memory } else if group.processLimitHit { limitHit = .processes }
            group.remove()
        }
        if let inspect = launch.inspect {
            let seen = inspect()
            if limitHit == nil { limitHit = seen.limit }
            if let code = seen.exitCode, end.signal == nil, !end.timedOut { exitCode = code }
        }
        if disk?.checkAtEnd() == true { limitHit = .disk }
        if end.timedOut { limitHit = .timeout }
        if end.cancelled { throw CancellationError() }
        if limitHit == nil, end.stdout.overflowed || end.stderr.overflowed { limitHit = .output }
        var stderr = end.stderr.text
        if end.timedOut {
            stderr += "\n[git-autofix: killed after the \(formatSeconds(limits.timeout)) test timeout]\n"
        } else if limitHit == .disk, let bytes = limits.diskBytes {
            stderr += "\n[git-autofix: killed: the tests wrote more than \(bytes >> 20) MiB (autofix.sandboxDisk)]\n"
        }
        return SandboxResult(
            exitCode: end.timedOut ? nil : exitCode, signal: end.signal, stdout: end.stdout.text, stderr: stderr,
            combinedOutput: end.combined.text, wallSeconds: end.wallSeconds, limitHit: limitHit)
    }

    private static func formatSeconds(_ seconds: Double) -> String {
        seconds < 60 ? String(format: "%gs", seconds) : String(format: "%gm", seconds / 60)
    }
}
