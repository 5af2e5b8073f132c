import AutofixSupport
import Foundation
/// One line of doctor's report: a verdict, what was found, and the fix for a problem.
public struct DoctorCheck: Encodable, Sendable {
    public enum Verdict: String, Encodable, Sendable { case ok = "OK", warn = "WARN", fail = "FAIL", skip = "SKIP" }

    public let name: String
    public let verdict: Verdict
    public let detail: String
    public let fix: String?
    /// The exit status a failure of this check stands for.
    public let category: ExitCategory
    /// What the test run saw, on the test run's line.
    public private(set) var testRun: DoctorTestRun? = nil

    enum CodingKeys: String, CodingKey { case name, verdict = "status", detail, fix, exitCode, testRun }

    // Only a failure has an exit code: the status that failure stands for.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(verdict, forKey: .verdict)
        try container.encode(detail, forKey: .detail)
        try container.encodeIfPresent(fix, forKey: .fix)
        if verdict == .fail { try container.encode(category.rawValue, forKey: .exitCode) }
        try container.encodeIfPresent(testRun, forKey: .testRun)
    }

    func with(_ testRun: DoctorTestRun) -> DoctorCheck {
        var check = self
        check.testRun = testRun
        return check
    }

    public static func ok(_ name: String, _ detail: String, _ category: ExitCategory = .success) -> DoctorCheck {
        DoctorCheck(name: name, verdict: .ok, detail: detail, fix: nil, category: category)
    }

    public static func warn(_ name: String, _ detail: String, fix: String?, _ category: ExitCategory = .success) -> DoctorCheck {
        DoctorCheck(name: name, verdict: .warn, detail: detail, fix: fix, category: category)
    }

    public static func fail(_ name: String, _ detail: String, fix: String?, _ category: ExitCategory) -> DoctorCheck {
        DoctorCheck(name: name, verdict: .fail, detail: detail, fix: fix, category: category)
    }

    /// A check that could not be made because of `error` (e.g. a git config git cannot read).
    public static func fail(_ name: String, _ error: Error) -> DoctorCheck {
        let failure = Doctor.describe(error)
        return .fail(name, failure.message, fix: failure.hint, (error as? AutofixError)?.category ?? .usage)
    }

    public static func skip(_ name: String, _ detail: String) -> DoctorCheck {
        DoctorCheck(name: name, verdict: .skip, detail: detail, fix: nil, category: .success)
    }

    /// For a piece this build does not contain yet.
    public static func unavailable(_ name: String, _ subject: String) -> DoctorCheck {
        DoctorCheck(name: name, verdict: .skip, detail: "\(subject) (not available in this build)", fix: nil, category: .success)
    }
}
