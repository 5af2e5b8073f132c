/// What a crashed Swift test process printed: the fatal error line and the frames of the thread
/// that crashed (Swift's runtime backtracer prints them on Linux).
struct SwiftCrashReport {
    var message: String?
    var frames: [(function: String, location: SourceLocation)] = []

    private static let fatalLine = Pattern(
        "^(?:(\\S+\\.swift):(\\d+): )?((?:Fatal error|Precondition failed|Assertion failed|Unexpectedly found nil)[^\\n]*)$")
    private static let frameLine = Pattern("^\\s*\\d+ (?:\\[[a-z]+\\] )*\\s*0x[0-9a-f]+ (.+?) in \\S+ at (\\S+?):(\\d+)(?::\\d+)?$")
    private static let programCrashed = Pattern("^\\*\\*\\* Program crashed: (.+?)(?: at 0x[0-9a-f]+)? \\*\\*\\*$")

    init(lines: [String], context: ParseContext) {
        var inCrashedThread = false
        var messageLocation: SourceLocation?
        for line in lines {
            if message == nil, line.contains("error") || line.contains("failed") || line.contains("Unexpectedly"),
               let groups = Self.fatalLine.match(line) {
                message = groups[2]
                if let path = groups[0], let number = groups[1].flatMap({ Int($0) }) {
                    messageLocation = context.location(path, line: number)
                    message = "\(path):\(number): \(groups[2] ?? "")"
                }
            } else if line.hasPrefix("***"), let groups = Self.programCrashed.match(line) {
                let what = "Program crashed: \(groups[0] ?? "")"
                message = message.map { "\($0) (\(what))" } ?? what
            } else if line.hasPrefix("Thread ") && line.hasSuffix(" crashed:") {
                inCrashedThread = true
            } else if inCrashedThread {
                if line.hasPrefix("Thread ") || line == "Registers:" { inCrashedThread = false; continue }
                // Runtime and thunk frames are marked [system] or [thunk] by the backtracer.
                if line.contains("[system]") || line.contains("[thunk]") { continue }
                guard let groups = Self.frameLine.match(line), let path = groups[1], !ParseContext.isFrameworkPath(path),
                      let number = groups[2].flatMap({ Int($0) }) else { continue }
                frames.append((groups[0] ?? "", context.location(path, line: number)))
            }
        }
        if frames.isEmpty, let messageLocation { frames.append(("", messageLocation)) }
    }

    var isEmpty: Bool { message == nil && frames.isEmpty }

    /// Repository frames, innermost last (the backtracer prints innermost first).
    var locations: [SourceLocation] { frames.map(\.location).reversed() }

    /// True when a crashed-thread frame runs `testName` (with or without the type in front).
    func names(_ testName: String) -> Bool {
        let bare = testName.split(separator: ".").last.map(String.init) ?? testName
        let stem = bare.split(separator: "(").first.map(String.init) ?? bare
        return frames.contains { frame in
            frame.function.contains(".\(stem)(") || frame.function.hasPrefix("\(stem)(")
        }
    }
}
