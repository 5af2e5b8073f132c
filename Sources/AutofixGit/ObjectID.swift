import CGit2

/// A git object id, kept as its hex form (40 or 64 digits) so it is cheap to compare and print.
public struct ObjectID: Hashable, Sendable, CustomStringConvertible, Codable {
    public let hex: String

    public init(_ oid: git_oid) {
        var copy = oid
        var buffer = [CChar](repeating: 0, count: Int(GIT_OID_HEXSZ) + 1)
        git_oid_tostr(&buffer, buffer.count, &copy)
        hex = String(cString: buffer)
    }

    public init?(hex: String) {
        guard !hex.isEmpty, hex.allSatisfy(\.isHexDigit) else { return nil }
        self.hex = hex.lowercased()
    }

    public var short: String { String(hex.prefix(10)) }
    public var description: String { hex }

    var raw: git_oid {
        var oid = git_oid()
        git_oid_fromstr(&oid, hex)
        return oid
    }
}
