import AutofixTestReport
import Foundation
/// Why a change whose tests ran was rolled back: the round's reason, and what the model is told.
enum Rejection: Equatable {
    /// Tests that passed before fail now.
    case broke([String])
    /// Tests that failed before did not run at all.
    case lostTests([String])
    case noFewerFailures(before: Int, after: Int)

    /// The first thing that is wrong, in the order the acceptance rule weighs them.
    init(_ comparison: ReportComparison, failingBefore: Int, failingAfter: Int) {
        if !comparison.newlyFailing.isEmpty {
            self = .broke(comparison.newlyFailing)
        } else if !comparison.missing.isEmpty {
            self = .lostTests(comparison.missing)
        } else {
            self = .noFewerFailures(before: failingBefore, after: failingAfter)
        }
    }

    var reason: String {
        switch self {
        case .broke(let tests):
            return "it broke tests that passed before: " + tests.prefix(10).joined(separator: ", ")
        case .lostTests(let tests):
            return "tests that failed before no longer ran (deleted, renamed or skipped): " + tests.prefix(10).joined(separator: ", ")
        case .noFewerFailures(let before, let after):
            return "failing tests did not go down (\(before) before, \(after) after)"
        }
    }
}
