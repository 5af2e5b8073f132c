import AutofixSupport
import Foundation

/// What a reply says besides its edits, defined once for the prompt that asks for it and the
/// code that reads it back: a line `Summary: ...` that becomes the commit subject, and a line
/// `CANNOT FIX: reason` when the model gives up, and, for a task given in words, a line `DONE`
/// when the model holds the task finished.
public enum ReplyGrammar {
    static let summarySpellings = ["Summary:", "summary:", "SUMMARY:"]
    static let declineMarker = "CANNOT FIX"
    public static let doneMarker = "DONE"

    /// What the task's part of the prompt asks for when the tests cannot say the work is finished.
    public static let doneInstructions = """
        When the task is complete, reply with a line that says only \(doneMarker) (after your last change, \
        or alone once everything is committed).
        """

    /// What the system message adds when each request takes one file patch: the model says
    /// `DONE` in a reply of its own when no patch is left to send.
    public static let onePatchInstructions = """
        Write the change for exactly ONE file per reply, then stop: it is applied and tested at once, \
        and you are told the result and asked for the next file. When your change is complete, \
        reply with a line that says only \(doneMarker).
        """

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

    /// True when a line of the reply says only `DONE` (in any case, with Markdown emphasis or a
    /// full stop around it); a line inside a fenced block is code, not the model speaking.
    public static func saysDone(_ reply: String) -> Bool {
        var inFence = false
        for line in reply.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("```") { inFence.toggle(); continue }
            if inFence { continue }
            if trimmed.trimmingCharacters(in: CharacterSet(charactersIn: "*_`#>. ")).uppercased() == doneMarker { return true }
        }
        return false
    }
}
