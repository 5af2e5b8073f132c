import Foundation

/// Quotes words for `/bin/sh -c`, the way test commands are run.
public enum ShellWord {
    /// `word` unchanged when the shell would read it as it is, else single-quoted.
    public static func quoted(_ word: String) -> String {
        let safe = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-_./=:,+@%"))
        if !word.isEmpty, word.unicodeScalars.allSatisfy({ safe.contains($0) }) { return word }
        return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
