import Foundation

/// Signs in the output or the exit status that the test process did not end on its own.
enum AbnormalEnd {
    private static let markers: [(needle: String, summary: String)] = [
        ("*** Program crashed:", "the test process crashed"),
        ("exited with unexpected signal code", "the test process was killed by a signal"),
        ("Fatal Python error:", "the Python interpreter crashed"),
        ("Segmentation fault", "the test process crashed (segmentation fault)"),
        ("core dumped", "the test process crashed (core dumped)"),
        ("----- Native stack trace -----", "the node process crashed"),
        ("KeyboardInterrupt", "the run was interrupted"),
        ("child process exceptions, exceeding retry limit", "a jest worker crashed"),
        ("panic: test timed out after", "go test hit its own timeout"),
    ]

    /// Crash signals first (their exit code is 128 + signal when a shell reports them).
    private static let signals: [Int32: String] = [
        4: "SIGILL", 6: "SIGABRT", 7: "SIGBUS", 8: "SIGFPE", 11: "SIGSEGV",
        2: "SIGINT", 9: "SIGKILL", 15: "SIGTERM",
    ]

    /// One pass over the whole output for all markers, instead of one per marker per line.
    private static let anyMarker = Pattern(
        markers.map { NSRegularExpression.escapedPattern(for: $0.needle) }.joined(separator: "|"))

    static func detect(lines: [String], exitCode: Int32?) -> String? {
        let found = Set(anyMarker.allMatchedTexts(lines.joined(separator: "\n")))
        for marker in markers where found.contains(marker.needle) {
            if marker.needle == "*** Program crashed:",
               let line = lines.first(where: { $0.contains(marker.needle) }) {
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
