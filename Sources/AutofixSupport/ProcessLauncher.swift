internal import CSystem
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What to start: the one description every process this package starts goes through.
public struct ProcessSpec: Sendable {
    public enum Input: Sendable {
        case null
        case file(String)
    }

    public enum Output: Sendable {
        /// A pipe this process reads (`LaunchedProcess.stdout`/`stderr`).
        case capture
        case discard
        /// This process's own stream.
        case inherit
    }

    /// `arguments[0]` is a path, or a name looked up on the `PATH` of `environment`.
    public var arguments: [String]
    public var environment: [String: String]
    /// Where the child starts; nil: this process's directory.
    public var directory: String?
    /// The child leads a process group of its own, so the whole tree it starts can be signalled.
    public var newProcessGroup = false
    public var input: Input = .null
    public var stdout: Output = .capture
    public var stderr: Output = .capture
    /// Descriptors of this process the child gets as 3, 4, ... Nothing else above 2 reaches it:
    /// not a terminal, a socket, nor a file another thread opened without O_CLOEXEC.
    public var passedDescriptors: [Int32] = []

    public init(_ arguments: [String], environment: [String: String], directory: String? = nil) {
        self.arguments = arguments
        self.environment = environment
        self.directory = directory
    }
}

/// How a started program ended.
public enum Termination: Equatable, Sendable {
    case exited(Int32)
    case signalled(Int32)

    public init(waitStatus status: Int32) {
        self = status & 0x7f == 0 ? .exited((status >> 8) & 0xff) : .signalled(status & 0x7f)
    }

    public var exitCode: Int32? {
        if case .exited(let code) = self { return code }
        return nil
    }

    public var signal: Int32? {
        if case .signalled(let signal) = self { return signal }
        return nil
    }

    /// As a shell reports it: the exit code, or 128 plus the signal.
    public var shellStatus: Int32 { exitCode ?? 128 + (signal ?? 0) }
}

/// A started child. The caller reads the captured pipes (or lets `ProcessLauncher.run` do it)
/// and reaps the child exactly once with `wait()`.
public struct LaunchedProcess: Sendable {
    // Glibc's spelling: CSystem's header declares pid_t too, and its types stay internal.
    public let pid: Glibc.pid_t
    /// Read ends of the captured streams; the caller closes them.
    public let stdout: Int32?
    public let stderr: Int32?

    /// Blocks until the child is gone and reaps it; with its CPU time (user plus system).
    public func wait() throws -> (termination: Termination, cpuSeconds: Double) {
        var status: Int32 = 0
        var usage = rusage()
        try SystemCall.retrying("wait", path: "process \(pid)") { wait4(pid, &status, 0, &usage) }
        let cpu = Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
            + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
        return (Termination(waitStatus: status), cpu)
    }
}

/// What a program run to its end printed, each stream cut at the byte cap it was run with.
public struct ProcessOutput: Sendable {
    public let termination: Termination
    public let stdout: Data
    public let stderr: Data
    /// A stream printed more than the cap; the rest was read and dropped.
    public let truncated: Bool
    public let cpuSeconds: Double

    public var succeeded: Bool { termination == .exited(0) }
    public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    public var stderrText: String { String(decoding: stderr, as: UTF8.self) }
}

/// Starts processes with posix_spawn: no fork of this (large, threaded) process, signals reset
/// to their defaults and unblocked in the child, and only the descriptors asked for inherited.
public enum ProcessLauncher {
    public static func spawn(_ spec: ProcessSpec) throws -> LaunchedProcess {
        guard let name = spec.arguments.first else { throw SystemCallError("spawn", path: "(no program)", code: EINVAL) }
        let program = try executablePath(name, environment: spec.environment)
        var outPipe: [Int32] = [-1, -1], errPipe: [Int32] = [-1, -1]
        var parentEnds: [Int32] = []
        var childEnds: [Int32] = []
        defer { childEnds.forEach { close($0) } }
        do {
            if case .capture = spec.stdout {
                try makePipe(&outPipe, program: program)
                parentEnds.append(outPipe[0]); childEnds.append(outPipe[1])
            }
            if case .capture = spec.stderr {
                try makePipe(&errPipe, program: program)
                parentEnds.append(errPipe[0]); childEnds.append(errPipe[1])
            }
            let pid = try start(program, spec, stdoutPipe: outPipe[1], stderrPipe: errPipe[1])
            return LaunchedProcess(pid: pid, stdout: outPipe[0] >= 0 ? outPipe[0] : nil,
                                   stderr: errPipe[0] >= 0 ? errPipe[0] : nil)
        } catch {
            parentEnds.forEach { close($0) }
            throw error
        }
    }

    /// Runs the program to its end, reading both captured streams as it goes (so a chatty child
    /// never blocks on a full pipe) and keeping at most `outputBytes` of each. Blocks.
    public static func run(_ spec: ProcessSpec, outputBytes: Int = 1 << 20) throws -> ProcessOutput {
        let process = try spawn(spec)
        var captured: [Int32: Data] = [:]
        var open = [process.stdout, process.stderr].compactMap { $0 }
        var truncated = false
        var buffer = [UInt8](repeating: 0, count: 65536)
        while !open.isEmpty {
            var fds = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            let ready = poll(&fds, nfds_t(fds.count), -1)
            if ready < 0, errno == EINTR { continue }
            for entry in fds where entry.revents != 0 {
                let count = read(entry.fd, &buffer, buffer.count)
                if count < 0, errno == EINTR || errno == EAGAIN { continue }
                guard count > 0 else {
                    close(entry.fd)
                    open.removeAll { $0 == entry.fd }
                    continue
                }
                let room = outputBytes - (captured[entry.fd]?.count ?? 0)
                if count > room { truncated = true }
                if room > 0 { captured[entry.fd, default: Data()].append(contentsOf: buffer[0..<min(count, room)]) }
            }
        }
        let end = try process.wait()
        return ProcessOutput(termination: end.termination, stdout: process.stdout.flatMap { captured[$0] } ?? Data(),
                             stderr: process.stderr.flatMap { captured[$0] } ?? Data(), truncated: truncated,
                             cpuSeconds: end.cpuSeconds)
    }

    /// `run` on a thread of its own, so a waiting task holds no thread of the shared pool. The
    /// thread also lives as long as the child, which `bwrap --die-with-parent` needs: it ties
    /// the child to the thread that started it.
    public static func run(_ spec: ProcessSpec, outputBytes: Int = 1 << 20) async throws -> ProcessOutput {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                continuation.resume(with: Result { try run(spec, outputBytes: outputBytes) })
            }
            thread.name = "git-autofix process"
            thread.start()
        }
    }

    private static func executablePath(_ name: String, environment: [String: String]) throws -> String {
        if name.contains("/") { return name }
        let searchPath = environment["PATH"] ?? "/usr/bin:/bin"
        guard let found = ExecutableSearch.find(name, in: searchPath) else {
            throw SystemCallError("spawn", path: name, code: ENOENT)
        }
        return found
    }

    private static func makePipe(_ ends: inout [Int32], program: String) throws {
        try SystemCall.retrying("pipe", path: program) { pipe(&ends) }
        // Our ends must not leak into programs other threads start meanwhile.
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
    }

    private static func start(_ program: String, _ spec: ProcessSpec, stdoutPipe: Int32, stderrPipe: Int32) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        try SystemCall.checkingReturnedError("spawn", path: program) { posix_spawn_file_actions_init(&actions) }
        defer { posix_spawn_file_actions_destroy(&actions) }
        func add(_ body: () -> Int32) throws { try SystemCall.checkingReturnedError("spawn", path: program, body) }
        switch spec.input {
        case .null: try add { posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0) }
        case .file(let path): try add { posix_spawn_file_actions_addopen(&actions, 0, path, O_RDONLY, 0) }
        }
        for (target, output, pipeEnd) in [(Int32(1), spec.stdout, stdoutPipe), (2, spec.stderr, stderrPipe)] {
            switch output {
            case .capture: try add { posix_spawn_file_actions_adddup2(&actions, pipeEnd, target) }
            case .discard: try add { posix_spawn_file_actions_addopen(&actions, target, "/dev/null", O_WRONLY, 0) }
            case .inherit: break
            }
        }
        for (offset, descriptor) in spec.passedDescriptors.enumerated() {
            try add { posix_spawn_file_actions_adddup2(&actions, descriptor, Int32(3 + offset)) }
        }
        try add { autofix_spawn_addclosefrom(&actions, Int32(3 + spec.passedDescriptors.count)) }
        if let directory = spec.directory { try add { autofix_spawn_addchdir(&actions, directory) } }

        var attributes = posix_spawnattr_t()
        try SystemCall.checkingReturnedError("spawn", path: program) { posix_spawnattr_init(&attributes) }
        defer { posix_spawnattr_destroy(&attributes) }
        var defaultSignals = sigset_t()
        sigfillset(&defaultSignals)
        var noMask = sigset_t()
        sigemptyset(&noMask)
        try add { posix_spawnattr_setsigdefault(&attributes, &defaultSignals) }
        try add { posix_spawnattr_setsigmask(&attributes, &noMask) }
        var flags = POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK
        if spec.newProcessGroup {
            try add { posix_spawnattr_setpgroup(&attributes, 0) }
            flags |= POSIX_SPAWN_SETPGROUP
        }
        try add { posix_spawnattr_setflags(&attributes, Int16(flags)) }

        let argv = [program] + spec.arguments.dropFirst()
        let envp = spec.environment.map { "\($0.key)=\($0.value)" }.sorted()
        var cArgv = argv.map { strdup($0) } + [nil]
        var cEnvp = envp.map { strdup($0) } + [nil]
        defer {
            cArgv.forEach { free($0) }
            cEnvp.forEach { free($0) }
        }
        var child: pid_t = 0
        try add { posix_spawn(&child, program, &actions, &attributes, &cArgv, &cEnvp) }
        return child
    }
}
