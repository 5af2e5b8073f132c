import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A process as it can be recognised later, by another process: its id alone is reused, so the
/// time it started (field 22 of /proc/PID/stat, in clock ticks since boot) goes with it, and the
/// boot, pid namespace and host it was seen on, without which neither number means anything.
public struct ProcessIdentity: Codable, Sendable, Equatable {
    public let pid: Int32
    public let startTicks: UInt64
    public let bootID: String
    public let pidNamespace: String
    public let host: String

    public init(pid: Int32, startTicks: UInt64, bootID: String, pidNamespace: String, host: String) {
        self.pid = pid
        self.startTicks = startTicks
        self.bootID = bootID
        self.pidNamespace = pidNamespace
        self.host = host
    }

    /// This process; nil where /proc does not tell (then nothing can be recognised later anyway).
    public static func current() -> ProcessIdentity? {
        let pid = getpid()
        guard let start = startTicks(of: pid), let boot = bootID(), let namespace = pidNamespace() else { return nil }
        return ProcessIdentity(pid: pid, startTicks: start, bootID: boot, pidNamespace: namespace, host: hostName())
    }

    public enum Liveness: Equatable, Sendable {
        case running
        case gone
        /// Recorded on another host or in another pid namespace: this process cannot look.
        case unknown
    }

    /// Whether the process recorded here is still running, as seen from this process.
    public var liveness: Liveness {
        guard host == Self.hostName(), pidNamespace == Self.pidNamespace() else { return .unknown }
        // Since a reboot every process is new, whatever its id and start time.
        guard bootID == Self.bootID() else { return .gone }
        return Self.startTicks(of: pid) == startTicks ? .running : .gone
    }

    static func startTicks(of pid: Int32) -> UInt64? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let endOfName = stat.lastIndex(of: ")") else { return nil }
        // The name (field 2) may hold spaces and parentheses; fields 3... follow its last ')'.
        let fields = stat[stat.index(after: endOfName)...].split(separator: " ")
        return fields.count > 19 ? UInt64(fields[19]) : nil
    }

    static func bootID() -> String? {
        (try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func pidNamespace() -> String? {
        try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/pid")
    }

    static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "" }
        return String(cString: buffer)
    }
}
