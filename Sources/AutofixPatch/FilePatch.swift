import AutofixSupport

/// How the model is asked to write its edits.
public enum EditFormat: String, Sendable, CaseIterable, Codable {
    /// Unified diffs, one file after another.
    case diff
    /// Whole-file replacement blocks: a fenced block headed by the file's path.
    case whole
}
