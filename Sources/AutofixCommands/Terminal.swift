import AutofixCore
import AutofixGit
import AutofixSupport
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

    // A closed terminal or pipe (after SIGHUP, say) must not stop the command: what it is doing,
    // such as cleaning up after a run, matters more than what it says.
    func out(_ text: String = "") {
        try? FileHandle.standardOutput.write(contentsOf: Data((text + "\n").utf8))
    }

    func write(_ text: String) {
        try? FileHandle.standardOutput.write(contentsOf: Data(text.utf8))
    }

    func err(_ text: String) {
        try? FileHandle.standardError.write(contentsOf: Data((text + "\n").utf8))
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
        if let data = try? RecordJSON.encoder().encode(value) { out(Self.jsonSafeForTerminal(data)) }
    }

    /// A JSON document as text in which DEL and the C1 controls, which JSON encoders leave raw
    /// (they escape only C0), are written as `\u` escapes: the same JSON, but a terminal showing it
    /// cannot take U+009B for the start of a control sequence.
    static func jsonSafeForTerminal(_ data: Data) -> String {
        guard data.contains(where: { $0 == 0x7F || $0 == 0xC2 }) else { return String(decoding: data, as: UTF8.self) }
        var text = String.UnicodeScalarView()
        for scalar in String(decoding: data, as: UTF8.self).unicodeScalars {
            if (0x7F...0x9F).contains(scalar.value) {
                text.append(contentsOf: "\\u00\(String(scalar.value, radix: 16))".unicodeScalars)
            } else {
                text.append(scalar)
            }
        }
        return String(text)
    }
}

extension String {
    /// This text, which git autofix did not write, as it may be printed (newlines and tabs kept).
    var terminalSafe: String { TerminalSafeText.text(self) }

    /// This text, which git autofix did not write, as it may be printed on one line.
    var terminalSafeLine: String { TerminalSafeText.line(self) }
}
