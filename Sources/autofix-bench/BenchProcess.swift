import AutofixSupport
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One child process run to completion, timed from spawn to exit.
struct BenchProcess {
    struct Result {
        let arguments: [String]
        let status: Int32
        let seconds: Double
        /// User plus system CPU time of the child (from `wait4`), which other load on the
        /// machine disturbs far less than wall time.
        let cpuSeconds: Double
        let stdout: String
        let stderr: String
        var succeeded: Bool { status == 0 }
    }

    struct Failure: Error, CustomStringConvertible {
        let result: Result
        var description: String {
            "`\(result.arguments.joined(separator: " "))` exited \(result.status)\n\(result.stderr)\(result.stdout)"
        }
    }

    let arguments: [String]
    var directory: URL?
    var environment: [String: String]
    /// A file to read standard input from (default: /dev/null).
    var input: URL?

    /// Runs the program (found on PATH when not absolute) and waits for it, timed from spawn
    /// to exit.
    func run() throws -> Result {
        var spec = ProcessSpec(arguments, environment: environment, directory: directory?.path)
        if let input { spec.input = .file(input.path) }
        let start = BenchClock.now()
        let output: ProcessOutput
        do {
            output = try ProcessLauncher.run(spec, outputBytes: 256 << 20)
        } catch let failure as SystemCallError {
            throw BenchError("could not start \(arguments[0]): \(failure.message)")
        }
        let seconds = BenchClock.seconds(since: start)
        return Result(
            arguments: arguments, status: output.termination.shellStatus, seconds: seconds, cpuSeconds: output.cpuSeconds,
            stdout: output.stdoutText, stderr: output.stderrText)
    }

    /// Like `run`, but throws with the child's output when it fails.
    @discardableResult
    func check() throws -> Result {
        let result = try run()
        guard result.succeeded else { throw Failure(result: result) }
        return result
    }

    /// Runs the child under GNU time and returns its result with its peak resident set size in
    /// KiB (nil when /usr/bin/time is missing). `ru_maxrss` of a child spawned directly would not
    /// do: glibc spawns with CLONE_VM, and Linux counts the memory the child shared with this
    /// (much larger) process until exec into the child's maximum.
    func checkMeasuringPeakMemory() throws -> (result: Result, peakKiB: Int?) {
        let time = "/usr/bin/time"
        guard access(time, X_OK) == 0 else { return (try check(), nil) }
        let report = FileManager.default.temporaryDirectory
            .appendingPathComponent("autofix-bench-rss-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        defer { try? FileManager.default.removeItem(at: report) }
        let program = try executablePath(arguments[0])
        let result = try BenchProcess(arguments: [time, "-f", "%M", "-o", report.path, program] + arguments.dropFirst(),
                                      directory: directory, environment: environment, input: input).check()
        let text = try String(contentsOf: report, encoding: .utf8)
        guard let kibibytes = text.split(separator: "\n").last.flatMap({ Int($0) }) else {
            throw BenchError("GNU time reported no peak memory for \(arguments.joined(separator: " ")): \(text)")
        }
        return (result, kibibytes)
    }

    private func executablePath(_ name: String) throws -> String {
        if name.contains("/") { return name }
        let path = environment["PATH"] ?? "/usr/bin:/bin"
        guard let found = ExecutableSearch.find(name, in: path) else { throw BenchError("\(name) is not on PATH (\(path))") }
        return found
    }
}

/// A monotonic clock for wall time, unaffected by changes to the system date.
enum BenchClock {
    static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    static func seconds(since start: UInt64) -> Double {
        Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    /// Runs `body` and returns its result with the wall time it took.
    static func measure<T>(_ body: () throws -> T) rethrows -> (value: T, seconds: Double) {
        let start = now()
        let value = try body()
        return (value, seconds(since: start))
    }
}

enum CPUTime {
    static func seconds(_ usage: rusage) -> Double {
        Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
            + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }

    /// CPU time used so far by every thread of this process.
    static func ofThisProcess() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return seconds(usage)
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The `git-autofix` built next to this benchmark, so both come from the same build.
enum BuiltAutofix {
    static func url() throws -> URL {
        let own = URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0])
        let autofix = own.deletingLastPathComponent().appendingPathComponent("git-autofix")
        guard FileManager.default.isExecutableFile(atPath: autofix.path) else {
            throw BenchError("git-autofix is not built next to autofix-bench (\(autofix.path)): run `swift build -c release` first")
        }
        return autofix
    }
}
