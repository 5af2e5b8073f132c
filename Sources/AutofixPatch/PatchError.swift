import AutofixSupport

/// A patch the model wrote that cannot be applied safely. `feedback` is written for the model:
/// the loop sends it back so the next attempt can do better.
public struct PatchError: AutofixError, Equatable {
    public enum Kind: String, Sendable, Equatable {
        /// Absolute path, `..`, `.git/`, or a path that resolves outside the checkout.
        case unsafePath
        /// The user marked the path off-limits (`autofix.protect`).
        case protectedPath
        /// A file mode change (or an executable/symlink file) that was not allowed.
        case modeChange
        /// A hunk's lines were not found in the file.
        case hunkNotFound
        /// The patch text itself makes no sense (no changes, contradictory headers).
        case malformed
        /// The file to change or delete does not exist.
        case targetMissing
        /// The file to create (or rename to) already exists.
        case alreadyExists
        /// Reading or writing the checkout failed.
        case io
    }

    public let kind: Kind
    /// The repository-relative path concerned, when there is one.
    public let path: String?
    public let message: String
    /// Text for the model: what was wrong and, for hunks, which lines were not found and the
    /// closest region of the file with line numbers.
    public let feedback: String
    public let hint: String?

    public var category: ExitCategory { .model }

    public init(_ kind: Kind, path: String?, message: String, feedback: String? = nil, hint: String? = nil) {
        self.kind = kind
        self.path = path
        self.message = message
        self.feedback = feedback ?? message
        self.hint = hint
    }
}
