internal import CGit2

/// A git object id, kept as its hex form (40 or 64 digits) so it is cheap to compare and print.
public struct ObjectID: Hashable, Sendable, CustomStringConvertible, Codable {
    public let hex: String

    init(_ oid: git_oid) {
        var copy = oid
        var buffer = [CChar](repeating: 0, count: Int(GIT_OID_HEXSZ) + 1)
        // Returns the buffer it was given; it fails only for a nil buffer.
        git_oid_tostr(&buffer, buffer.count, &copy)
        hex = String(cString: buffer)
    }

    /// Nil unless `hex` is a full id (40 hex digits, or 64 for SHA-256): a short id is a
    /// revision to resolve (`Repository.resolveCommit`), not an id.
    public init?(hex: String) {
        guard hex.utf8.count == 40 || hex.utf8.count == 64, hex.allSatisfy(\.isHexDigit) else { return nil }
        self.hex = hex.lowercased()
    }

    public var short: String { String(hex.prefix(10)) }
    public var description: String { hex }

    /// The id in libgit2's form. Throws for an id this libgit2 cannot hold (a SHA-256 id, or
    /// text decoded from elsewhere that is no id): `git_oid_fromstr` reads exactly
    /// GIT_OID_HEXSZ characters, so a longer string would silently lose its tail, and a
    /// shorter one would leave the rest of the id zero.
    var raw: git_oid {
        get throws {
            var oid = git_oid()
            guard hex.utf8.count == Int(GIT_OID_HEXSZ), hex.allSatisfy(\.isHexDigit) else {
                throw GitError(.invalid, "`\(hex)` is not a \(GIT_OID_HEXSZ)-digit object id",
                               hint: "use a full commit id, as `git rev-parse` prints it")
            }
            try check(git_oid_fromstr(&oid, hex), "reading the object id `\(hex)`")
            return oid
        }
    }
}
