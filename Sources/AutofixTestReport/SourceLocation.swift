/// A place in a file that a failure points at: an assertion, a traceback frame, a compiler
/// diagnostic. `path` is relative to the repository when the parser could tell, as printed otherwise.
public struct SourceLocation: Hashable, Sendable, Codable, CustomStringConvertible {
    public var path: String
    public var line: Int?

    public init(path: String, line: Int? = nil) {
        self.path = path
        self.line = line
    }

    public var description: String {
        guard let line else { return path }
        return "\(path):\(line)"
    }
}
