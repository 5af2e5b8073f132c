import AutofixCore
import Foundation

/// Where the command line writes, and whether it may use color: only on a terminal, never with
/// NO_COLOR set or TERM=dumb.
struct Terminal {
    let colors: Bool
    let interactive: Bool

    static let current: Terminal = {
        let env = ProcessInfo.processInfo.environment
        let tty = isatty(STDOUT_FILENO) == 1
        let colors = tty && env["NO_COLOR"] == nil && env["TERM"] != "dumb"
        return Terminal(colors: colors, interactive: isatty(STDIN_FILENO) == 1 && isatty(STDERR_FILENO) == 1)
    }()

    enum Style: String {
        case bold = "1", dim = "2", red = "31", green = "32", yellow = "33", blue = "34", magenta = "35", cyan = "36"
    }

    func paint(_ text: String, _ style: Style) -> String {
        colors ? "\u{1B}[\(style.rawValue)m\(text)\u{1B}[0m" : text
    }

    func out(_ text: String = "") {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    func write(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    func err(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    /// Asks a yes/no question on the terminal; false when there is no terminal to ask.
    func confirm(_ question: String) -> Bool {
        guard interactive else { return false }
        FileHandle.standardError.write(Data("\(question) [y/N] ".utf8))
        guard let answer = readLine() else { return false }
        return ["y", "yes"].contains(answer.trimmingCharacters(in: .whitespaces).lowercased())
    }

    /// Prints one JSON object on its own line (for --json).
    func json<T: Encodable>(_ value: T) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        if let data = try? encoder.encode(value) { out(String(decoding: data, as: UTF8.self)) }
    }
}
