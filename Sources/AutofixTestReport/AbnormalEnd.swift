import Foundation

/// Signs in the output or the exit status that the test process did not end on its own.
enum AbnormalEnd {
    /// Each marker is a pattern precise enough that a test merely named after a crash (say
    /// `test_handles_KeyboardInterrupt`) does not match; they are tried in this order.
    private static let markers: [(name: String, pattern: String, summary: String)] = [
        ("swift", "^\\*\\*\\* Program crashed: ", "the test process crashed"),
        ("swiftpm", "exited with unexpected signal code \\d+", "the test process was killed by a signal"),
        ("python", "Fatal Python error: ", "the Python interpreter crashed"),
        ("segv", "(?:^|: |\\d )Segmentation fault(?: \\(core dumped\\))?(?: {2,}|$)", "the test process crashed (segmentation fault)"),
        ("abort", "(?:^|: |\\d )Aborted(?: \\(core dumped\\))?(?: {2,}|$)", "the test process crashed (aborted)"),
        ("node", "^(?:# )?----- Native stack trace -----$", "the node process crashed"),
        ("pytest", "^!+ KeyboardInterrupt !+$", "the run was interrupted"),
        ("jest", "child process exceptions, exceeding retry limit", "a jest worker crashed"),
        ("go", "^panic: test timed out after ", "go test hit its own timeout"),
    ]

    /// Crash signals first (their exit code is 128 + signal when a shell reports them).
    private static let signals: [Int32: String] = [
        4: "SIGILL", 6: "SIGABRT", 7: "SIGBUS", 8: "SIGFPE", 11: "SIGSEGV",
        2: "SIGINT", 9: "SIGKILL", 15: "SIGTERM",
    ]

    /// One pass over the whole output for all markers, instead of one per marker per line.
    private static let anyMarker = Pattern(
        "(?m)" + markers.map { "(?<\($0.name)>\($0.pattern))" }.joined(separator: "|"))

    static func detect(lines: [String], exitCode: Int32?) -> String? {
        let found = anyMarker.matchedGroupNames(lines.joined(separator: "\n"), names: markers.map(\.name))
        for marker in markers where found.contains(marker.name) {
            if marker.name == "swift", let line = lines.first(where: { $0.hasPrefix("*** Program crashed: ") }) {
                let detail = line.replacingOccurrences(of: "*", with: "").trimmed
                return "the test process crashed (\(detail.replacingOccurrences(of: "Program crashed: ", with: "")))"
            }
            return marker.summary
        }
        if let exitCode, exitCode > 128, let name = signals[exitCode - 128] {
            return "the test command ended by \(name) (exit status \(exitCode))"
        }
        if let exitCode, exitCode < 0, let name = signals[-exitCode] {
            return "the test command ended by \(name)"
        }
        return nil
    }
}
