import AutofixSupport
import Foundation

/// What a reply says besides its edits, defined once for the prompt that asks for it and the
/// code that reads it back: a line `Summary: ...` that becomes the commit subject, and a line
/// `CANNOT FIX: reason` when the model gives up.
public enum ReplyGrammar {
    static let summarySpellings = ["Summary:", "summary:", "SUMMARY:"]
    static let declineMarker = "CANNOT FIX"

    /// The part of the system message that asks for both lines.
    public static let instructions = """
        Start your reply with ONE line summarising the fix (it becomes the commit message), \
        for example: \(summarySpellings[0]) handle empty input in parse().
        If you cannot fix it, reply with a line starting with \(declineMarker): and the reason.
        """

    /// The summary a line states with `Summary:` (after any Markdown heading, emphasis or
    /// quote marks), or nil.
    public static func statedSummary(in line: String) -> String? {
        var text = line
        while let first = text.first, "#*>".contains(first) { text.removeFirst() }
        text = text.trimmingCharacters(in: .whitespaces)
        for prefix in summarySpellings where text.hasPrefix(prefix) {
            let rest = cleanSummary(String(text.dropFirst(prefix.count)))
            return rest.isEmpty ? nil : rest
        }
        return nil
    }

    /// A summary line without its Markdown decoration, at most 120 characters.
    public static func cleanSummary(_ line: String) -> String {
        var text = line.trimmingCharacters(in: .whitespaces)
        while let first = text.first, "#*>".contains(first) { text.removeFirst() }
        while let last = text.last, "*".contains(last) { text.removeLast() }
        text = text.trimmingCharacters(in: .whitespaces)
        if text.count > 120 { text = String(text.prefix(117)) + "..." }
        return text
    }

    /// The commit subject for a round: the model's summary made safe for a terminal and cut to
    /// 72 characters, or `autofix: round N` when there is none.
    public static func commitSubject(_ summary: String?, round: Int) -> String {
        var text = TerminalSafeText.line(summary ?? "").trimmingCharacters(in: .whitespaces)
        for prefix in summarySpellings where text.hasPrefix(prefix) {
            text = String(text.dropFirst(prefix.count)).trimmingCharacters(in: .whitespaces)
        }
        text = text.trimmingCharacters(in: CharacterSet(charactersIn: "*#` "))
        if text.isEmpty { return "autofix: round \(round)" }
        return text.count > 72 ? String(text.prefix(69)) + "..." : text
    }

    /// The reason of the first `CANNOT FIX` line (in any case), or nil when the reply has none.
    public static func declineReason(in reply: String) -> String? {
        for line in reply.split(separator: "\n") {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.uppercased().hasPrefix(declineMarker) {
                let reason = TerminalSafeText.line(String(trimmed.dropFirst(declineMarker.count)))
                    .trimmingCharacters(in: CharacterSet(charactersIn: ": "))
                return reason.isEmpty ? "no reason given" : reason
            }
        }
        return nil
    }
}
