import Foundation

/// Names of runs and their refs: `refs/autofix/<branch-or-detached>/<run-id>`, where the run id
/// is a UTC timestamp plus a short random part, so ids sort by time.
public struct RunName: Hashable, Sendable, Comparable {
    public static let refPrefix = "refs/autofix/"

    public let branch: String
    public let id: String

    public var ref: String { RunName.refPrefix + branch + "/" + id }

    /// Where the candidates of a round that lost are kept, outside `refPrefix` so that they are
    /// never taken for runs.
    public static let candidatePrefix = "refs/autofix-candidates/"

    /// The ref of candidate `candidate` of round `round` of this run.
    public func candidateRef(round: Int, candidate: Int) -> String {
        RunName.candidatePrefix + branch + "/" + id + "/round-\(round)-candidate-\(candidate)"
    }

    public init(branch: String, id: String) {
        self.branch = branch
        self.id = id
    }

    /// Parses a full run ref; nil for anything else.
    public init?(ref: String) {
        guard ref.hasPrefix(RunName.refPrefix) else { return nil }
        let rest = ref.dropFirst(RunName.refPrefix.count)
        guard let slash = rest.lastIndex(of: "/") else { return nil }
        branch = String(rest[..<slash])
        id = String(rest[rest.index(after: slash)...])
        guard !branch.isEmpty, !id.isEmpty else { return nil }
    }

    /// A new id such as `20261125T160812Z-3fa9`.
    public static func newID(at date: Date = Date()) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        let random = String(format: "%04x", UInt16.random(in: 0...UInt16.max))
        return formatter.string(from: date) + "-" + random
    }

    public static func < (lhs: RunName, rhs: RunName) -> Bool {
        (lhs.id, lhs.branch) < (rhs.id, rhs.branch)
    }
}
