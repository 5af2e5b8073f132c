import Foundation

/// The processes on this machine, for tests that prove nothing was left running.
public enum HostProcesses {
    /// Processes other than this one whose command line contains `text`.
    public static func containing(_ text: String) -> [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { pid_t($0) }.filter { pid in
            guard pid != getpid(),
                  let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            let line = String(decoding: data.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
            // A zombie has an empty command line; it is gone once its parent reaps it.
            return line.contains(text)
        }
    }
}
